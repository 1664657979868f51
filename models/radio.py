"""Tables of the radio desk: a show (its archived recording and gaps) and its caller segments.

A show's life: starting (source and recognizer being opened) -> live (audio arriving) -> stopping (asked to
stop; the caller in progress is being stored) -> finished, or failed with an Indonesian reason. A show is
only active while a process captures it: that process writes `heartbeat_at` every few seconds, and an
active show whose heartbeat stopped is failed by `fail_orphaned_shows` (the archive stays, re-segmentable).
"""

from __future__ import annotations

import enum
import os
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, utcnow
from models.entities import Call


class ShowStatus(str, enum.Enum):
    STARTING = "starting"
    LIVE = "live"
    STOPPING = "stopping"
    FINISHED = "finished"
    FAILED = "failed"


ACTIVE_STATUSES = frozenset({ShowStatus.STARTING.value, ShowStatus.LIVE.value, ShowStatus.STOPPING.value})
"""Statuses of a show some process is capturing; every other status is final."""
STATUS_LABELS = {
    ShowStatus.STARTING.value: "menyiapkan",
    ShowStatus.LIVE.value: "berjalan",
    ShowStatus.STOPPING.value: "menghentikan",
    ShowStatus.FINISHED.value: "selesai",
    ShowStatus.FAILED.value: "gagal",
}
HEARTBEAT_S = 2.0
"""How often the capturing process writes `heartbeat_at`."""
STALE_AFTER = timedelta(seconds=20)
"""An active show whose heartbeat is older than this has no process capturing it."""
ORPHANED_REASON = "Proses perekam berhenti (server dimulai ulang atau mati) sebelum siaran ditutup; rekaman yang sudah masuk tetap tersimpan."


class RadioShow(Base):
    """One broadcast captured by the radio desk; the whole recording is archived."""

    __tablename__ = "radio_show"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(500))
    """Device name or index, stream URL or file path, as given."""
    engine: Mapped[str] = mapped_column(String(20))
    auto_segment: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str] = mapped_column(String(12), default="radio", server_default="radio")
    """The channel of the calls cut from it: radio, or sambang_desa for the recording of a Sambang Desa session."""
    status: Mapped[str] = mapped_column(String(16), default=ShowStatus.STARTING.value)
    """A `ShowStatus` value."""
    error: Mapped[str | None] = mapped_column(Text)
    """Why the show failed, in Indonesian."""
    owner: Mapped[str | None] = mapped_column(String(200))
    """HOST:PID of the process capturing the show."""
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    """Last sign of life of the capturing process (every HEARTBEAT_S while active)."""
    stop_requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    """Set by whoever asks the show to stop (the page); the capturing process polls it."""
    stopped_by: Mapped[str | None] = mapped_column(String(100))
    """Who stopped the show (a user name, or the signal); None when the source ended by itself."""
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    archive_path: Mapped[str | None] = mapped_column(String(400))
    """16 kHz mono WAV of the whole show, relative to the data directory."""
    duration_s: Mapped[float | None] = mapped_column(Float)
    gaps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """[{"at_s", "lost_s", "reason", "replayed_s"?}]: where the source was lost; `lost_s` of silence stands in
    for it; `replayed_s` of audio the reconnected source delivered again was left out."""

    segments: Mapped[list["RadioSegment"]] = relationship(
        back_populates="show", order_by="RadioSegment.number", cascade="all, delete-orphan"
    )


class RadioSegment(Base):
    """One caller of a show: a span of the archive that became a call (channel radio)."""

    __tablename__ = "radio_segment"
    __table_args__ = (UniqueConstraint("show_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("radio_show.id", ondelete="CASCADE"), index=True)
    show: Mapped[RadioShow] = relationship(back_populates="segments")
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200), default="")
    """The caller's name and village, as the operator typed it."""
    start_s: Mapped[float] = mapped_column(Float)
    """Seconds from the start of the show archive."""
    end_s: Mapped[float] = mapped_column(Float)
    origin: Mapped[str] = mapped_column(String(16), default="manual")
    """manual, suggestion, auto or resegment."""
    live_text: Mapped[str] = mapped_column(Text, default="")
    """What the live recognizer heard in this span (the call's own transcript comes from the pipeline)."""
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    """Replaced by a later re-segmentation; its call stays."""
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id"), index=True)
    call: Mapped[Call | None] = relationship()
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


def typed_caller(call: Call) -> str:
    """What the operator typed for a show's caller ("Pak Bambang, Kalitidu"), as stored with their call; '' for none."""
    typed = (call.meta or {}).get("caller")
    return typed.strip() if isinstance(typed, str) else ""


def process_owner() -> str:
    """HOST:PID of this process, as stored in `RadioShow.owner`."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_gone(owner: str | None) -> bool:
    """True when `owner` is a process of this host that no longer runs."""
    host, _, pid = (owner or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def is_orphaned(show: RadioShow, now: datetime) -> bool:
    """An active show no process captures: its heartbeat stopped, or its process on this host is gone."""
    if show.status not in ACTIVE_STATUSES:
        return False
    last = show.heartbeat_at or show.started_at
    return now - last > STALE_AFTER or _owner_gone(show.owner)


def fail_orphaned_shows(session: Session, now: datetime | None = None) -> list[RadioShow]:
    """Mark failed every active show that no process captures any more; returns them. The caller commits
    (and repairs their archives, which a process that died may have left with a stale WAV header)."""
    now = now or utcnow()
    active = session.scalars(select(RadioShow).where(RadioShow.status.in_(ACTIVE_STATUSES))).all()
    failed = [show for show in active if is_orphaned(show, now)]
    for show in failed:
        show.status = ShowStatus.FAILED.value
        show.error = ORPHANED_REASON
        show.ended_at = show.heartbeat_at or now
    return failed


def request_stop(session: Session, show: RadioShow, by: str) -> bool:
    """Ask the process capturing `show` to stop it; False when it is not active. The caller commits."""
    if show.status not in ACTIVE_STATUSES:
        return False
    if show.stop_requested_at is None:
        show.stop_requested_at = utcnow()
        show.stopped_by = by
    show.status = ShowStatus.STOPPING.value
    return True
