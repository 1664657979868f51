"""Template filters: times in WIB, durations, labels."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Flask

from models.calendar import last_allowed_minute
from models.call_state import LABELS as CALL_STATE_LABELS
from models.channels import LABELS as CHANNEL_LABELS

WIB = timezone(timedelta(hours=7), "WIB")
WEEKDAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
CHANNELS = CHANNEL_LABELS
CALL_STATUSES = CALL_STATE_LABELS


def wib(value: datetime | None) -> str:
    """A naive-UTC database time shown in Western Indonesia Time."""
    if value is None:
        return "–"
    local = value.replace(tzinfo=timezone.utc).astimezone(WIB)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} {local:%H.%M} WIB"


def due_by(value: datetime | None) -> str:
    """A time limit as the last day and minute it allows: "Jumat, 4 Des 2026 23.59 WIB".

    Limits are stored as the instant they expire (midnight after the last working day); shown as
    that midnight, people read the next day.
    """
    if value is None:
        return "–"
    last = last_allowed_minute(value)
    return f"{WEEKDAYS[last.replace(tzinfo=timezone.utc).astimezone(WIB).weekday()]}, {wib(last)}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def show_time(seconds: float | None) -> str:
    """A time within a radio show as its page's clock shows it: "07:05" (whole seconds, as radio.js does)."""
    minutes, secs = divmod(int(seconds or 0), 60)
    return f"{minutes:02d}:{secs:02d}"


def init_app(app: Flask) -> None:
    app.add_template_filter(wib)
    app.add_template_filter(due_by)
    app.add_template_filter(duration)
    app.add_template_filter(show_time)
    app.add_template_filter(lambda c: CHANNELS.get(c, c), "channel")
    app.add_template_global(CHANNELS, "CHANNELS")
    app.add_template_filter(lambda s: CALL_STATUSES.get(s, s), "call_status")
    app.add_template_filter(lambda s: datetime.fromisoformat(s) if s else None, "isotime")
