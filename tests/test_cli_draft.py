"""`suara draft`: one text as JSON, or JSON lines in and out (with a clear error for a bad line)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from web.cli import main

LINES = "\n".join([
    json.dumps({"id": "a1", "text": "nama saya Budi dari desa kali tidu, jalan di erte tiga erwe lima rusak parah, "
                                   "nomor saya kosong delapan satu dua tiga empat lima enam tujuh delapan sembilan"}),
    "ini bukan json",
    json.dumps({"id": 7, "text": "Pupuk bersubsidi langka di Kecamatan Sugihwaras, petani kesulitan."}),
]) + "\n"


def test_draft_jsonl_from_stdin() -> None:
    result = CliRunner().invoke(main, ["draft", "--jsonl", "-"], input=LINES)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a1", 7]
    first = rows[0]
    assert list(first) == ["id", "classification", "topic", "topics", "agency", "title", "reporter_name", "phones",
                           "kecamatan", "desa", "rt", "rw", "urgent", "sensitive"]
    assert (first["topic"], first["agency"], first["reporter_name"]) == ("jalan", "dpubmpr", "Budi")
    assert (first["kecamatan"], first["desa"], first["rt"], first["rw"]) == ("Kalitidu", "Kalitidu", "03", "05")
    assert first["phones"] == ["08123456789"] and len(first["topics"]) == 3
    assert rows[1]["topic"] == "pertanian" and rows[1]["kecamatan"] == "Sugihwaras"
    assert '"line": 2' in result.stderr and "invalid_line" in result.stderr


def test_draft_single_text() -> None:
    result = CliRunner().invoke(main, ["draft", "banjir di desa Ledok Kulon sudah masuk rumah warga, tolong segera"])
    record = json.loads(result.stdout)
    assert record["topic"] == "bencana" and record["urgent"] is True and record["desa"] == "Ledok Kulon"


def test_draft_needs_text_or_file() -> None:
    result = CliRunner().invoke(main, ["draft"])
    assert result.exit_code == 2 and "TEKS" in result.output
