"""The data directory holds every complaint, recording and password hash: only its owner may read it.

Every `suara` command starts with a private umask (077), so whatever it creates (the databases and
their WAL, the job store, audio, models) is readable by the owner alone. At start the server also
checks the directory: database files left readable by an older version are made private, anything
else open to other users is reported in the log.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import tempfile
from datetime import datetime
from pathlib import Path

from models.config import Settings

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
_SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def use_private_umask() -> int:
    """Make files and directories this process creates private to its user; returns the old umask."""
    return os.umask(PRIVATE_UMASK)


def _sqlite_files(settings: Settings) -> list[Path]:
    paths = []
    if settings.database_url.startswith("sqlite") and "///" in settings.database_url:
        db = settings.database_url.split("///", 1)[1]
        if db and db != ":memory:":
            paths.append(Path(db))
    paths.append(settings.jobs_path)
    return [Path(f"{p}{suffix}") for p in paths for suffix in _SQLITE_SUFFIXES]


def _open_to_others(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def secure_data_dir(settings: Settings) -> list[Path]:
    """Make the database files private, and return (and log) what else in the data directory others can open."""
    for path in _sqlite_files(settings):
        if path.exists() and _open_to_others(path):
            path.chmod(0o600)
            log.warning("%s was readable by other users; it is now private (0600)", path)
    exposed = []
    data_dir = settings.data_dir
    if data_dir.exists():
        candidates = [data_dir, *data_dir.iterdir()]
        exposed = [p for p in candidates if not p.is_symlink() and _open_to_others(p)]
    for path in exposed:
        log.warning("%s can be read by other users (mode %s): run `chmod -R go-rwx %s`", path, oct(path.stat().st_mode & 0o777), data_dir)
    return exposed


def store_by_content(folder: Path, data: bytes, suffix: str, now: datetime) -> tuple[str, str]:
    """Write `data` durably as FOLDER/YYYY/MM/<hash><suffix> (kept if already there); returns (relative path, sha256).

    Named by content, so the same file twice is stored once; written to a temporary file, synced, then renamed,
    so a crash never leaves half a file under the final name.
    """
    digest = hashlib.sha256(data).hexdigest()
    relative = Path(f"{now:%Y}/{now:%m}/{digest[:32]}{suffix}")
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:  # a full disk: leave no half-written file taking the space
            Path(tmp).unlink(missing_ok=True)
            raise
    return relative.as_posix(), digest
