"""The held-out speech set stays apart: no training or tuning code reads a held-out report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from transcribe.drafting import heldout, training

REPO = Path(__file__).resolve().parents[1]
REPORTS = REPO.parent / "shared" / "eval" / "routing_dev.jsonl"
# the only code that may read every report: the script that speaks the held-out set and the bench that measures on it
MAY_READ_ALL = {"scripts/make_heldout_speech.py", "scripts/bench_routing.py", "scripts/bench_learning.py",
                "transcribe/drafting/training.py"}


def test_the_split_is_fixed_and_kept_in_the_repository() -> None:
    ids = heldout.heldout_ids()
    assert len(ids) == heldout.HELDOUT_SIZE
    if REPORTS.exists():
        assert set(heldout.split(str(r["id"]) for r in training.read_all_reports(REPORTS))) == ids


@pytest.mark.skipif(not REPORTS.exists(), reason="routing_dev.jsonl not available")
def test_training_reads_no_held_out_report() -> None:
    reports = training.read_reports(REPORTS)
    assert reports and not {str(r["id"]) for r in reports} & heldout.heldout_ids()
    everything = training.read_all_reports(REPORTS)
    assert len(everything) == len(reports) + heldout.HELDOUT_SIZE
    one_held_out = next(r for r in everything if str(r["id"]) in heldout.heldout_ids())
    with pytest.raises(ValueError, match="held-out"):
        training.training_set([one_held_out], heard_copies=0, asr_weight=0)
    with pytest.raises(ValueError, match="held-out"):
        training.training_set(reports[:3], heard_copies=0, asr_weight=0, heard_reports={str(one_held_out["id"]): ["x"]})


def test_no_other_code_reads_every_report() -> None:
    readers = {str(p.relative_to(REPO)) for d in ("scripts", "transcribe", "web", "voice", "models")
               for p in (REPO / d).rglob("*.py") if re.search(r"\bread_all_reports\b", p.read_text(encoding="utf-8"))}
    assert readers <= MAY_READ_ALL, readers - MAY_READ_ALL


def test_the_training_speech_has_no_held_out_report() -> None:
    rows = heldout.read_spoken(heldout.data_path(heldout.TRAIN_SPEECH_FILE))
    assert not {r.id for r in rows} & heldout.heldout_ids()


def test_the_held_out_speech_is_spoken_in_many_ways() -> None:
    rows = heldout.heldout_speech()
    assert len(rows) >= 60
    assert {r.id for r in rows} <= heldout.heldout_ids()
    parts = [r.form.split("/") for r in rows]
    assert {p[0] for p in parts} == {"mb-id1", "id"}
    assert len({(p[0], p[1]) for p in parts}) == 4  # two speeds of each voice
    assert {p[2] for p in parts} == {"phone8k", "phone8k-15db", "radio16k", "radio16k-20db"}
    assert {p[3] for p in parts} == {"whole", "first"}
    assert all(r.heard.strip() and r.typed.strip() and r.accept for r in rows)
