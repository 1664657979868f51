"""Tables of the radio desk: a show (its archived recording and gaps) and its caller segments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.entities import Call


class RadioShow(Base):
    """One broadcast captured by the radio desk; the whole recording is archived."""

    __tablename__ = "radio_show"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(500))
    """Device name or index, stream URL or file path, as given."""
    engine: Mapped[str] = mapped_column(String(20))
    auto_segment: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="running")
    """running, finished or failed."""
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    archive_path: Mapped[str | None] = mapped_column(String(400))
    """16 kHz mono WAV of the whole show, relative to the data directory."""
    duration_s: Mapped[float | None] = mapped_column(Float)
    gaps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """[{"at_s", "lost_s", "reason"}]: where the source was lost; `lost_s` of silence stands in for it."""

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
