"""`suara doctor`: every check of an installation, one line each; and the checks that stop a start."""

from __future__ import annotations

import os
import tempfile

from models.config import Settings
from models.config_check import Check, config_checks


def environment_checks(settings: Settings) -> list[Check]:
    """The checks that need the disk, the database or a server: data directory, database, models, Redis."""
    checks = [_data_dir(settings), _database(settings), _whisper(settings)]
    if settings.vosk_model is not None:
        ok = (settings.vosk_model / "am").is_dir() or (settings.vosk_model / "final.mdl").exists()
        checks.append(Check("SUARA_VOSK_MODEL", ok, str(settings.vosk_model) if ok else
                            f"{settings.vosk_model} bukan direktori model Vosk (tidak ada am/)"))
    if settings.redis_url:
        checks.append(_redis(settings.redis_url))
    return checks


def all_checks(settings: Settings) -> list[Check]:
    return config_checks(settings) + environment_checks(settings)


def _data_dir(settings: Settings) -> Check:
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=settings.data_dir):
            pass
    except OSError as exc:
        return Check("SUARA_DATA_DIR", False, f"{settings.data_dir} tidak dapat ditulisi: {exc.strerror}")
    free_gb = os.statvfs(settings.data_dir).f_bavail * os.statvfs(settings.data_dir).f_frsize / 1e9
    return Check("SUARA_DATA_DIR", True, f"{settings.data_dir} ({free_gb:.1f} GB kosong)")


def _database(settings: Settings) -> Check:
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import SQLAlchemyError

    from models.migrate import alembic_config, current

    try:
        revision = current(settings.database_url)
    except SQLAlchemyError as exc:
        return Check("SUARA_DATABASE_URL", False, f"tidak dapat dihubungi: {type(exc).__name__}")
    head = ScriptDirectory.from_config(alembic_config(settings.database_url)).get_current_head()
    if revision != head:
        return Check("SUARA_DATABASE_URL", False, f"skema {revision or 'kosong'}, terbaru {head}: jalankan `suara db upgrade`")
    return Check("SUARA_DATABASE_URL", True, f"terhubung, skema terbaru ({head})")


def _whisper(settings: Settings) -> Check:
    from transcribe.whisper_model import BUNDLED_DIR_NAME

    path = settings.whisper_model or settings.models_dir / BUNDLED_DIR_NAME
    ok = (path / "model.bin").is_file()
    return Check("SUARA_WHISPER_MODEL", ok, str(path) if ok else f"{path}/model.bin tidak ada: jalankan `suara init`")


def _redis(url: str) -> Check:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return Check("SUARA_REDIS_URL", False, f"tidak dapat dihubungi: {exc}")
    return Check("SUARA_REDIS_URL", True, "terhubung")
