"""The data directory and its databases are private to their owner (issue 15, finding 7)."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from models.config import Settings
from tests.conftest import REPO


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_suara_creates_private_databases_and_files(tmp_path: Path, bundled_whisper_dir: Path) -> None:
    import numpy as np

    from transcribe.audio import write_wav

    data = tmp_path / "data"
    env = {**os.environ, "SUARA_DATA_DIR": str(data), "SUARA_WHISPER_MODEL": str(bundled_whisper_dir)}
    env.pop("SUARA_DATABASE_URL", None)
    env.pop("SUARA_REDIS_URL", None)
    suara = [sys.executable, "-c", "from web.cli import main; main()"]
    old = os.umask(0o022)  # what a login shell usually has
    try:
        subprocess.run([*suara, "init"], env=env, cwd=REPO, check=True, capture_output=True, timeout=300)
        tone = write_wav(tmp_path / "nada.wav", (np.sin(np.arange(16000) / 3) * 8000).astype(np.int16))
        subprocess.run([*suara, "import", str(tone)], env=env, cwd=REPO, check=True, capture_output=True, timeout=300)
    finally:
        os.umask(old)
    assert _mode(data) == 0o700
    for name in ("suara.sqlite3", "jobs.sqlite3", "secret_key", "admin-password.txt"):
        assert _mode(data / name) == 0o600, name
    audio = [p for p in (data / "audio").rglob("*") if p.is_file()]
    assert audio and all(_mode(p) == 0o600 for p in audio)
    # SQLite gives the WAL the database's own mode
    from models.db import make_engine

    engine = make_engine(f"sqlite:///{data / 'suara.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("UPDATE call SET caller_number = '0812' WHERE id = 1"))
        assert _mode(data / "suara.sqlite3-wal") == 0o600
    engine.dispose()


def test_start_makes_loose_database_files_private_and_warns(tmp_path: Path, caplog) -> None:  # noqa: ANN001
    from models.datadir import secure_data_dir

    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    for name in ("suara.sqlite3", "suara.sqlite3-wal", "jobs.sqlite3"):
        (data / name).write_bytes(b"")
        (data / name).chmod(0o644)
    (data / "catatan.txt").write_text("x")
    (data / "catatan.txt").chmod(0o644)
    settings = Settings.from_env(env={}, data_dir=data, secret_key="uji")
    with caplog.at_level(logging.WARNING, logger="models.datadir"):
        exposed = secure_data_dir(settings)
    for name in ("suara.sqlite3", "suara.sqlite3-wal", "jobs.sqlite3"):
        assert _mode(data / name) == 0o600
    assert set(exposed) == {data, data / "catatan.txt"}
    assert "chmod -R go-rwx" in caplog.text
