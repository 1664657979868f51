"""Shows left active by a process that died (a server restart, a crash, a killed command)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from models.config import Settings
from models.radio import RadioShow, fail_orphaned_shows
from voice.radio.archive import repair_archive

log = logging.getLogger(__name__)


def recover_orphaned_shows(session: Session, settings: Settings, now: datetime | None = None) -> list[RadioShow]:
    """Fail every active show no process captures any more and make its archive whole again (header,
    duration), so that it can be re-segmented; returns them. The caller commits."""
    failed = fail_orphaned_shows(session, now)
    for show in failed:
        duration_s = repair_archive(settings.data_dir / show.archive_path) if show.archive_path else None
        if duration_s is not None:
            show.duration_s = duration_s
        log.warning("show %s (%s) had no process capturing it any more; marked failed, %.0f s of archive kept",
                    show.id, show.name, duration_s or 0.0)
    return failed
