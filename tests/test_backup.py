"""`suara backup` / `suara restore`: every row and every audio byte come back, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

import models.all  # noqa: F401
from models.base import Base
from models.config import Settings
from models.db import make_engine, session_factory
from models.entities import Call, Channel, Complaint, Role, Transcript
from models.migrate import upgrade
from models.seed import seed_all
from tests.conftest import PASSWORD
from tests.console_data import make_complaint
from voice.intake import IncomingAudio, receive_call
from web.cli import main


def _tone(freq_hz: float, seconds: float = 1.0) -> bytes:
    t = np.arange(int(16000 * seconds)) / 16000
    out = io.BytesIO()
    sf.write(out, (np.sin(2 * np.pi * freq_hz * t) * 6000).astype(np.int16), 16000, format="WAV", subtype="PCM_16")
    return out.getvalue()


def _populate(settings: Settings, url: str) -> None:
    """An installation in use: migrated, seeded, users, calls with audio and transcripts, complaints in every state."""
    from web.auth import create_user

    upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        seed_all(session)
        create_user(session, "operator", PASSWORD, Role.OPERATOR)
        create_user(session, "liaison_pu", PASSWORD, Role.LIAISON, agency_key="dpubmpr")
        for n, channel in enumerate([Channel.PHONE, Channel.UPLOAD, Channel.PHONE, Channel.RADIO]):
            call, _ = receive_call(session, settings, IncomingAudio(
                data=_tone(300 + 40 * n), channel=channel, external_id=f"CA{n:032d}", caller_number=f"08123456{n:04d}",
                filename="rekaman.wav", duration_s=1.0, meta={"catatan": "uji ✓", "n": n}))
            session.add(Transcript(call=call, engine="whisper", model="base", language="id", text=f"jalan rusak nomor {n}",
                                   words=[{"word": "jalan", "start": 0.0, "end": 0.4, "conf": 0.91}], duration_s=1.0))
        for status, anonymous, confidential in [("draft", False, False), ("terdisposisi", True, False),
                                                ("selesai", False, True), ("arsip", False, False)]:
            make_complaint(session, settings, status, anonymous=anonymous, confidential=confidential,
                           title=f"Jalan {status} — Kec. Kalitidu")
        session.commit()
    engine.dispose()
    (settings.data_dir / "radio").mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "radio" / "show-1.wav").write_bytes(_tone(500, 2.0))
    (settings.data_dir / "secret_key").write_text("kunci-uji")
    (settings.audio_dir / "2026").mkdir(parents=True, exist_ok=True)
    (settings.audio_dir / "2026" / "tmpabc.part").write_bytes(b"half written")  # never part of a backup


def _rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    engine = create_engine(url)
    with engine.connect() as connection:
        dump = {
            table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns))]
            for table in Base.metadata.sorted_tables
        }
        dump["alembic_version"] = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    return dump


def _audio_hashes(url: str, audio_dir: Path) -> dict[int, tuple[str, str]]:
    """Per call: the recorded SHA-256 and the SHA-256 of the file on disk."""
    engine = create_engine(url)
    with engine.connect() as connection:
        calls = connection.execute(select(Call.id, Call.audio_path, Call.audio_sha256).where(Call.audio_path.is_not(None))).all()
    engine.dispose()
    return {cid: (sha, hashlib.sha256((audio_dir / path).read_bytes()).hexdigest()) for cid, path, sha in calls}


def _cli(args: list[str], data_dir: Path, url: str):  # noqa: ANN202
    return CliRunner().invoke(main, args, env={"SUARA_DATA_DIR": str(data_dir), "SUARA_DATABASE_URL": url,
                                              "SUARA_SECRET_KEY": ""}, catch_exceptions=False)


def _settings_for(data_dir: Path, url: str) -> Settings:
    return Settings.from_env(env={}, data_dir=data_dir, database_url=url, secret_key="uji")


def _round_trip(tmp_path: Path, source_url: str, target_url: str) -> None:
    source = _settings_for(tmp_path / "data", source_url)
    _populate(source, source_url)
    before = _rows(source_url)
    assert len(before["call"]) == 4 + 4 and len(before["complaint"]) == 4 and before["transcript"] and before["status_change"]

    result = _cli(["backup", str(tmp_path / "cadangan")], source.data_dir, source_url)
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "cadangan" / "manifest.json").read_text())
    paths = {f["path"] for f in manifest["files"]}
    assert {"radio/show-1.wav", "secret_key"} <= paths and not any(p.endswith(".part") for p in paths)
    assert manifest["row_counts"]["complaint"] == 4 and manifest["missing_audio"] == []

    result = _cli(["restore", str(tmp_path / "cadangan")], tmp_path / "pulih", target_url)
    assert result.exit_code == 0, result.output
    after = _rows(target_url)
    assert after == before  # every complaint, call, transcript, status change, user … column for column
    hashes = _audio_hashes(target_url, tmp_path / "pulih" / "audio")
    assert len(hashes) == 4 and all(recorded == on_disk for recorded, on_disk in hashes.values())
    assert hashes == _audio_hashes(source_url, source.audio_dir)
    assert (tmp_path / "pulih" / "radio" / "show-1.wav").read_bytes() == (source.data_dir / "radio" / "show-1.wav").read_bytes()
    assert (tmp_path / "pulih" / "secret_key").read_text() == "kunci-uji"

    # the restored installation keeps working: new rows get new ids (PostgreSQL sequences came back too)
    engine = make_engine(target_url)
    with session_factory(engine)() as session:
        call, created = receive_call(session, _settings_for(tmp_path / "pulih", target_url),
                                     IncomingAudio(data=_tone(900), channel=Channel.PHONE, external_id="CAnew"))
        session.add(Complaint(title="baru", description="baru", channel="phone", call=call))
        session.commit()
        assert created and call.id > max(row[0] for row in before["call"])
    engine.dispose()


def test_round_trip_sqlite(tmp_path: Path) -> None:
    _round_trip(tmp_path, f"sqlite:///{tmp_path / 'data' / 'suara.sqlite3'}", f"sqlite:///{tmp_path / 'pulih' / 'suara.sqlite3'}")


@pytest.mark.slow
def test_round_trip_postgresql(tmp_path: Path, postgres_url: str) -> None:
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in ("suara_backup_src", "suara_backup_dst"):
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    base = make_url(postgres_url)
    source = base.set(database="suara_backup_src").render_as_string(hide_password=False)
    target = base.set(database="suara_backup_dst").render_as_string(hide_password=False)
    _round_trip(tmp_path, source, target)
    # restoring again into the now-filled database is refused
    result = _cli(["restore", str(tmp_path / "cadangan")], tmp_path / "lagi", target)
    assert result.exit_code == 2 and "Basis data tujuan tidak kosong" in result.output
    assert not (tmp_path / "lagi").exists() or not any((tmp_path / "lagi").iterdir())


@pytest.fixture
def backed_up(tmp_path: Path) -> Path:
    url = f"sqlite:///{tmp_path / 'data' / 'suara.sqlite3'}"
    _populate(_settings_for(tmp_path / "data", url), url)
    assert _cli(["backup", str(tmp_path / "cadangan")], tmp_path / "data", url).exit_code == 0
    return tmp_path / "cadangan"


def test_restore_refuses_a_non_empty_data_dir(tmp_path: Path, backed_up: Path) -> None:
    target = tmp_path / "dipakai"
    target.mkdir()
    (target / "catatan.txt").write_text("jangan ditimpa")
    result = _cli(["restore", str(backed_up)], target, f"sqlite:///{tmp_path / 'baru.sqlite3'}")
    assert result.exit_code == 2 and "tidak kosong" in result.output
    assert sorted(p.name for p in target.iterdir()) == ["catatan.txt"] and not (tmp_path / "baru.sqlite3").exists()


def test_restore_refuses_an_existing_database(tmp_path: Path, backed_up: Path) -> None:
    existing = tmp_path / "ada.sqlite3"
    existing.write_bytes(b"SQLite format 3\x00" + bytes(100))
    result = _cli(["restore", str(backed_up)], tmp_path / "pulih", f"sqlite:///{existing}")
    assert result.exit_code == 2 and "sudah ada" in result.output


def test_restore_refuses_a_damaged_backup_before_writing_anything(tmp_path: Path, backed_up: Path) -> None:
    manifest = json.loads((backed_up / "manifest.json").read_text())
    audio = next(f["path"] for f in manifest["files"] if f["path"].startswith("audio/"))
    damaged = backed_up / "files" / audio
    data = bytearray(damaged.read_bytes())
    data[-1] ^= 0xFF
    damaged.write_bytes(bytes(data))
    result = _cli(["restore", str(backed_up)], tmp_path / "pulih", f"sqlite:///{tmp_path / 'pulih.sqlite3'}")
    assert result.exit_code == 2 and audio in result.output and "rusak" in result.output
    assert not (tmp_path / "pulih").exists() and not (tmp_path / "pulih.sqlite3").exists()


def test_incomplete_backup_is_not_restored(tmp_path: Path, backed_up: Path) -> None:
    (backed_up / "manifest.json").unlink()
    result = _cli(["restore", str(backed_up)], tmp_path / "pulih", f"sqlite:///{tmp_path / 'pulih.sqlite3'}")
    assert result.exit_code == 2 and "manifest.json tidak ada" in result.output


def test_backup_refuses_a_non_empty_target(tmp_path: Path, backed_up: Path) -> None:
    result = _cli(["backup", str(backed_up)], tmp_path / "data", f"sqlite:///{tmp_path / 'data' / 'suara.sqlite3'}")
    assert result.exit_code == 2 and "tidak kosong" in result.output


def test_backup_while_calls_keep_arriving_is_consistent(tmp_path: Path) -> None:
    """Calls stored during the backup: the snapshot refers only to audio that is in the backup, and restores."""
    url = f"sqlite:///{tmp_path / 'data' / 'suara.sqlite3'}"
    settings = _settings_for(tmp_path / "data", url)
    _populate(settings, url)
    stop = threading.Event()

    def keep_calling() -> None:
        engine = make_engine(url)
        n = 0
        with session_factory(engine)() as session:
            while not stop.is_set():
                receive_call(session, settings, IncomingAudio(data=_tone(1000 + n, 0.2), channel=Channel.PHONE, external_id=f"live-{n}"))
                session.commit()
                n += 1
        engine.dispose()

    writer = threading.Thread(target=keep_calling)
    writer.start()
    try:
        result = _cli(["backup", str(tmp_path / "cadangan")], settings.data_dir, url)
    finally:
        stop.set()
        writer.join(30)
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "cadangan" / "manifest.json").read_text())
    assert manifest["missing_audio"] == []
    target_url = f"sqlite:///{tmp_path / 'pulih.sqlite3'}"
    assert _cli(["restore", str(tmp_path / "cadangan")], tmp_path / "pulih", target_url).exit_code == 0
    hashes = _audio_hashes(target_url, tmp_path / "pulih" / "audio")
    assert len(hashes) == manifest["row_counts"]["call"] - 4  # make_complaint's calls carry no audio
    assert all(recorded == on_disk for recorded, on_disk in hashes.values())
