"""Query parameters parsed in one place: numbers and dates out of range answer 400 with an Indonesian message.

An empty parameter is the default. A number that is not a number, or a date that is not a date, is
refused like one out of range: the caller learns what is wrong instead of silently getting another
page of results. The error is answered by web/errors.py (a page for people, JSON for machines).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import overload

from flask import request

from models.errors import SuaraError

MAX_ID = 2**31 - 1
"""Largest id or count a query may name (a 32-bit INTEGER in SQLite and PostgreSQL alike)."""
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


class BadParameter(SuaraError):
    code = "bad_parameter"
    message_id = "Parameter permintaan tidak valid."


class BadRange(BadParameter):
    """Two dates that make no range a page can show (reversed, too long, one missing): the page shows its default
    period with this reason."""

    code = "bad_range"


def parse_int(name: str, raw: str, *, minimum: int = 0, maximum: int = MAX_ID) -> int:
    """`raw` as a whole number between `minimum` and `maximum`, else BadParameter naming `name`."""
    text = raw.strip()
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()):
        raise BadParameter(f"{name} is not a number", f"Nilai '{name}' harus berupa angka.")
    value = int(text) if len(digits) <= 18 else None
    if value is None or not minimum <= value <= maximum:
        raise BadParameter(f"{name} out of range", f"Nilai '{name}' di luar batas ({minimum}–{maximum}).")
    return value


@overload
def int_arg(name: str, default: int, *, minimum: int = 0, maximum: int = MAX_ID) -> int: ...
@overload
def int_arg(name: str, default: None = None, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None: ...
def int_arg(name: str, default: int | None = None, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """The query parameter `name` as a whole number in range; `default` when absent or empty."""
    raw = request.args.get(name, "")
    return default if not raw.strip() else parse_int(name, raw, minimum=minimum, maximum=maximum)


def parse_date(name: str, raw: str, *, earliest: date = EARLIEST, latest: date = LATEST) -> date:
    """`raw` (YYYY-MM-DD) as a date between `earliest` and `latest`, else BadParameter."""
    try:
        value = date.fromisoformat(raw.strip())
    except ValueError:
        raise BadParameter(f"{name} is not a date", f"Tanggal '{name}' tidak valid (format TTTT-BB-HH).") from None
    if not earliest <= value <= latest:
        raise BadParameter(f"{name} out of range", f"Tanggal '{name}' di luar batas ({earliest.year}–{latest.year}).")
    return value


def date_arg(name: str, default: date | None = None, *, earliest: date = EARLIEST, latest: date = LATEST) -> date | None:
    """The query parameter `name` as a date in range; `default` when absent or empty."""
    raw = request.args.get(name, "")
    return default if not raw.strip() else parse_date(name, raw, earliest=earliest, latest=latest)


def datetime_arg(name: str) -> datetime | None:
    """An ISO 8601 time (with or without offset) as naive UTC, within the date range; None when absent."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(f"{name} is not a time", f"Waktu '{name}' tidak valid (ISO 8601).") from None
    if not EARLIEST <= value.date() <= LATEST:  # also keeps the conversion to UTC from overflowing
        raise BadParameter(f"{name} out of range", f"Waktu '{name}' di luar batas ({EARLIEST.year}–{LATEST.year}).")
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def date_range(args: Mapping[str, str], max_days: int, *, required: bool = False, start_name: str = "dari",
               end_name: str = "sampai") -> tuple[date, date] | None:
    """The query's first and last day (both included) as a range of at most `max_days` days; None when neither is
    given (unless `required`). A date that is not one, or out of bounds, is BadParameter; dates that make no range
    are BadRange, each with its reason in Indonesian."""
    raw_start, raw_end = (args.get(start_name) or "").strip(), (args.get(end_name) or "").strip()
    if not raw_start and not raw_end and not required:
        return None
    start = parse_date(start_name, raw_start) if raw_start else None
    end = parse_date(end_name, raw_end) if raw_end else None
    if start is None or end is None:
        raise BadRange("range incomplete", "Isi tanggal awal dan tanggal akhir.")
    if start > end:
        raise BadRange("range reversed", "Tanggal awal setelah tanggal akhir.")
    if (end - start).days >= max_days:
        raise BadRange("range too long", f"Rentang tanggal paling panjang {max_days} hari.")
    return start, end
