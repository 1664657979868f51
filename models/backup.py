"""Backups of one installation: a consistent database snapshot plus the data directory's files, hashed.

A backup directory holds `database.sqlite3` (SQLite's online backup API) or `database.pgdump` (`pg_dump`'s
custom format, one transaction), `files/` (audio, radio archives, trained models, the secret key: the data
directory minus what is rebuilt or transient) and `manifest.json` with the SHA-256 and size of every file and
the number of rows of every table. `manifest.json` is written last: a directory without it is not a backup.

Consistency: the database is snapshotted first, the files copied after. Audio is written (atomically, named by
its content) before the row that refers to it, so every file the snapshot refers to already exists when the
copy starts; files that arrive later are extra, never missing.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.engine import make_url

from models.base import Base, utcnow
from models.config import Settings
from models.db import make_engine
from models.errors import SuaraError

FORMAT = "suara-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
FILES_DIR = "files"
CHUNK = 1 << 20

# Not copied from the data directory: the job store (unfinished calls are enqueued again when a worker
# starts), the bundled Whisper model (`suara init` joins it again from the installed packages), files still
# being written, and the SQLite database itself (snapshotted separately).
SKIPPED_TOP = {"jobs.sqlite3", "jobs.sqlite3-wal", "jobs.sqlite3-shm"}
SKIPPED_DIRS = {"models/whisper-base"}
SKIPPED_SUFFIXES = (".part", "-journal", "-wal", "-shm")


class BackupError(SuaraError):
    code = "backup_failed"
    message_id = "Cadangan gagal dibuat."


class RestoreRefused(SuaraError):
    code = "restore_refused"
    message_id = "Pemulihan ditolak."


@dataclass(frozen=True)
class FileEntry:
    """One file of the backup: its path relative to the data directory, size in bytes and SHA-256."""

    path: str
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FileEntry":
        return cls(path=str(data["path"]), size=int(data["size"]), sha256=str(data["sha256"]))


@dataclass(frozen=True)
class Manifest:
    """What a backup holds, written as manifest.json."""

    created_at: str
    """ISO time (UTC) the database snapshot was taken."""
    database_kind: str
    """"sqlite" or "postgresql"."""
    database: FileEntry
    """The snapshot file, relative to the backup directory."""
    revision: str | None
    """The Alembic revision of the snapshot (`suara db upgrade` after restoring into newer code)."""
    row_counts: dict[str, int]
    files: list[FileEntry]
    """Data directory files, relative to it (stored under files/ in the backup)."""
    missing_audio: list[str] = field(default_factory=list)
    """Audio paths the database refers to that were not in the data directory when the backup was made."""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "version": FORMAT_VERSION, "created_at": self.created_at,
            "database": {"kind": self.database_kind, **self.database.to_json()},
            "revision": self.revision, "row_counts": self.row_counts,
            "files": [f.to_json() for f in self.files], "missing_audio": self.missing_audio,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Manifest":
        if data.get("format") != FORMAT or data.get("version") != FORMAT_VERSION:
            raise RestoreRefused("not a suara backup", "Direktori ini bukan cadangan Suara Warga (versi tidak dikenal).")
        db = data["database"]
        return cls(
            created_at=str(data["created_at"]), database_kind=str(db["kind"]), database=FileEntry.from_json(db),
            revision=data.get("revision"), row_counts={str(k): int(v) for k, v in data["row_counts"].items()},
            files=[FileEntry.from_json(f) for f in data["files"]], missing_audio=list(data.get("missing_audio") or []),
        )


# -- backup ------------------------------------------------------------------------------------
def backup(settings: Settings, target: Path) -> Manifest:
    """Write a backup of the installation into `target`, which must not exist or be empty."""
    import models.all  # noqa: F401 - every table, for the row counts

    target = Path(target).resolve()
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty", f"Direktori tujuan {target} tidak kosong; pilih direktori baru.")
    data_dir = settings.data_dir.resolve()
    if target == data_dir or data_dir in target.parents:
        raise BackupError("target inside the data directory", "Direktori cadangan tidak boleh berada di dalam direktori data.")
    target.mkdir(parents=True, exist_ok=True)
    os.chmod(target, 0o700)  # the backup holds personal data and the secret key

    kind = _kind(settings.database_url)
    created_at = utcnow().isoformat(timespec="seconds") + "Z"
    if kind == "sqlite":
        db_file = target / "database.sqlite3"
        _sqlite_snapshot(_sqlite_path(settings.database_url), db_file)
        facts = _snapshot_of(f"sqlite:///{db_file}")
    else:
        db_file = target / "database.pgdump"
        facts = _pg_snapshot(settings.database_url, db_file)
    database = FileEntry(db_file.name, db_file.stat().st_size, _sha256_file(db_file))

    files = []
    for rel in _data_files(settings):
        try:
            files.append(_copy_hashed(data_dir / rel, target / FILES_DIR / rel, rel))
        except FileNotFoundError:  # removed since the directory was listed (never audio: it is kept forever)
            (target / FILES_DIR / rel).unlink(missing_ok=True)
    present = {f.path for f in files}
    missing = sorted(p for p in facts.audio_paths if f"audio/{p}" not in present)
    manifest = Manifest(created_at=created_at, database_kind=kind, database=database, revision=facts.revision,
                        row_counts=facts.row_counts, files=files, missing_audio=missing)
    (target / SUMS).write_text(
        "".join(f"{e.sha256}  {e.path}\n" for e in [database]) + "".join(f"{e.sha256}  {FILES_DIR}/{e.path}\n" for e in files)
    )
    tmp = target / (MANIFEST + ".part")
    tmp.write_text(json.dumps(manifest.to_json(), indent=1, ensure_ascii=False))
    os.replace(tmp, target / MANIFEST)
    return manifest


def _kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"unsupported database {backend}", f"Basis data {backend} tidak didukung untuk cadangan.")
    return backend


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("in-memory database", "Basis data di memori tidak dapat dicadangkan.")
    return Path(database).resolve()


def _sqlite_snapshot(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy while the server and workers keep writing."""
    if not source.exists():
        raise BackupError(f"{source} does not exist", f"Basis data {source} tidak ada.")
    src = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=1024)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()


def _snapshot_of(url: str) -> _Snapshot:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return _read_snapshot(connection)
    finally:
        engine.dispose()


@dataclass(frozen=True)
class _Snapshot:
    """What the database snapshot holds, read inside it."""

    row_counts: dict[str, int]
    revision: str | None
    audio_paths: frozenset[str]
    """Call.audio_path values, relative to the audio folder."""


def _read_snapshot(connection: Connection) -> _Snapshot:
    """Rows per table (every table of the schema), the Alembic revision and the audio the calls refer to."""
    from models.entities import Call

    names = set(inspect(connection).get_table_names())
    counts = {
        table.name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
        for table in Base.metadata.sorted_tables if table.name in names
    }
    revision = None
    if "alembic_version" in names:
        revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    audio = connection.scalars(select(Call.audio_path).where(Call.audio_path.is_not(None))) if "call" in names else []
    return _Snapshot(counts, revision, frozenset(audio))


def _pg_snapshot(url: str, target: Path) -> _Snapshot:
    """pg_dump of one exported snapshot, with the rows counted inside that same snapshot."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
                facts = _read_snapshot(connection)
                # the snapshot lives as long as this transaction: pg_dump runs while it is open
                uri, env = _libpq(url)
                _run_pg([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                         f"--snapshot={snapshot}", "--file", str(target), "--dbname", uri],
                        env, BackupError, "pg_dump gagal; lihat detail galat.")
    finally:
        engine.dispose()
    return facts


def _pg_tool(name: str) -> str:
    """The newest PostgreSQL client tool installed (Debian keeps each major version in its own directory)."""
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[-3]))
    found = candidates[-1] if candidates else shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found", f"{name} tidak terpasang (paket Debian postgresql-client).")
    return found


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for the SQLAlchemy URL, and the environment carrying its password (not argv)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run_pg(cmd: list[str], env: dict[str, str], error: type[SuaraError], message: str) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise error(result.stderr.strip()[-2000:], message)


def _pg_restore(url: str, dump: Path) -> None:
    uri, env = _libpq(url)
    _run_pg([_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
             "--dbname", uri, str(dump)], env, RestoreRefused, "pg_restore gagal; lihat detail galat.")


def _data_files(settings: Settings) -> Iterator[str]:
    """Files of the data directory worth keeping, relative to it, in a stable order."""
    data_dir = settings.data_dir.resolve()
    skip_files = set()
    if _kind(settings.database_url) == "sqlite":
        db_path = _sqlite_path(settings.database_url)
        skip_files = {db_path, *(db_path.with_name(db_path.name + s) for s in ("-wal", "-shm", "-journal"))}
    for root, dirs, names in os.walk(data_dir):
        rel_root = Path(root).relative_to(data_dir)
        dirs[:] = sorted(d for d in dirs if (rel_root / d).as_posix() not in SKIPPED_DIRS)
        for name in sorted(names):
            path = Path(root) / name
            rel = (rel_root / name).as_posix()
            if path in skip_files or rel in SKIPPED_TOP or name.endswith(SKIPPED_SUFFIXES) or not path.is_file():
                continue
            yield rel


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_hashed(source: Path, target: Path, rel: str) -> FileEntry:
    """Copy a file, hashing exactly the bytes written (a radio archive may still be growing)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as src, open(target, "wb") as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    shutil.copymode(source, target)
    return FileEntry(rel, size, digest.hexdigest())


# -- restore -----------------------------------------------------------------------------------
def read_manifest(source: Path) -> Manifest:
    path = Path(source) / MANIFEST
    if not path.exists():
        raise RestoreRefused(f"{path} missing", f"{source} bukan cadangan lengkap (manifest.json tidak ada).")
    try:
        return Manifest.from_json(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError) as exc:
        raise RestoreRefused(str(exc), "manifest.json rusak.") from exc


def verify(source: Path) -> Manifest:
    """Check every file of the backup against its manifest; raises RestoreRefused on the first difference."""
    source = Path(source)
    manifest = read_manifest(source)
    for entry, path in [(manifest.database, source / manifest.database.path),
                        *((f, source / FILES_DIR / f.path) for f in manifest.files)]:
        if not path.is_file():
            raise RestoreRefused(f"{entry.path} missing", f"Berkas {entry.path} hilang dari cadangan.")
        if path.stat().st_size != entry.size or _sha256_file(path) != entry.sha256:
            raise RestoreRefused(f"{entry.path} differs", f"Berkas {entry.path} dalam cadangan rusak (SHA-256 berbeda).")
    return manifest


def restore(settings: Settings, source: Path) -> Manifest:
    """Restore a backup into an empty data directory and an empty database; refuses anything else."""
    import models.all  # noqa: F401

    source = Path(source).resolve()
    data_dir = settings.data_dir.resolve()
    if data_dir.exists() and any(data_dir.iterdir()):
        raise RestoreRefused(f"{data_dir} is not empty",
                             f"Direktori data {data_dir} tidak kosong; pemulihan hanya ke direktori data yang kosong.")
    kind = _kind(settings.database_url)
    manifest = read_manifest(source)
    if manifest.database_kind != kind:
        raise RestoreRefused(f"backup of {manifest.database_kind} into {kind}",
                             f"Cadangan ini dari {manifest.database_kind}; basis data tujuan {kind}.")
    _refuse_non_empty_database(settings.database_url)
    verify(source)

    data_dir.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        db_path = _sqlite_path(settings.database_url)
        db_path.parent.mkdir(parents=True, exist_ok=True)
        _copy_checked(source / manifest.database.path, db_path, manifest.database)
    else:
        _pg_restore(settings.database_url, source / manifest.database.path)
    for entry in manifest.files:
        _copy_checked(source / FILES_DIR / entry.path, data_dir / entry.path, entry)

    counts = _snapshot_of(settings.database_url).row_counts
    if counts != manifest.row_counts:
        differ = sorted(k for k in set(counts) | set(manifest.row_counts) if counts.get(k) != manifest.row_counts.get(k))
        raise RestoreRefused(f"row counts differ: {differ}", "Jumlah baris setelah pemulihan berbeda dari cadangan.")
    return manifest


def _refuse_non_empty_database(url: str) -> None:
    if _kind(url) == "sqlite":
        path = _sqlite_path(url)
        if path.exists() and path.stat().st_size > 0:
            raise RestoreRefused(f"{path} exists", f"Basis data {path} sudah ada; pemulihan hanya ke basis data kosong.")
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise RestoreRefused(f"database has {len(tables)} tables",
                             "Basis data tujuan tidak kosong; buat basis data baru untuk pemulihan.")


def _copy_checked(source: Path, target: Path, entry: FileEntry) -> None:
    tmp = target.with_name(target.name + ".part")
    copied = _copy_hashed(source, tmp, entry.path)
    if copied.sha256 != entry.sha256:
        tmp.unlink()
        raise RestoreRefused(f"{entry.path} changed while restoring", f"Berkas {entry.path} berubah saat dipulihkan.")
    os.replace(tmp, target)
