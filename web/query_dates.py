"""Dates and times from query strings, kept to the years a complaint can have.

`date.fromisoformat` accepts 0001-01-01 to 9999-12-31, but a week, a day's end in WIB or a period's buckets
step past those ends (OverflowError, a 500); nothing in this system happens outside EARLIEST..LATEST.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


def date_arg(raw: str | None) -> date | None:
    """A YYYY-MM-DD query value as a date, or None when it is missing, not a date, or out of range."""
    try:
        value = date.fromisoformat(raw or "")
    except ValueError:
        return None
    return value if EARLIEST <= value <= LATEST else None


def datetime_arg(raw: str) -> datetime:
    """An ISO 8601 time as naive UTC; ValueError when it is not one or out of range."""
    value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if not EARLIEST <= value.date() <= LATEST:
        raise ValueError(f"{raw!r} is out of range")
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def year_arg(raw: str | None, default: int) -> int:
    """A year from a query value, or `default` when it is missing, not a number, or out of range."""
    try:
        year = int(raw or "")
    except ValueError:
        return default
    return year if EARLIEST.year <= year <= LATEST.year else default
