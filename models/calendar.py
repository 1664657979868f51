"""Working days for the SP4N-LAPOR! time limits: weekends, national holidays and cuti bersama are not counted.

Counting rule (the usual "H+n hari kerja"): the day a complaint arrives is day 0, whatever the hour;
the limit ends at midnight (WIB) at the end of the n-th working day after it. So office hours do not
matter: a call on Friday at 09:00, at 20:00 or on Saturday all get the same limit (end of Wednesday
when nothing else is a holiday). Days are local days in Bojonegoro (WIB, UTC+7, no daylight saving);
every datetime in and out is naive UTC like the rest of the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import Boolean, Date, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.audit import audit
from models.base import Base
from models.entities import User
from models.errors import SuaraError

WIB = timedelta(hours=7)
"""Bojonegoro's offset from UTC."""

HOLIDAY_KINDS = {"libur_nasional": "Hari libur nasional", "cuti_bersama": "Cuti bersama"}
_ONE_DAY = timedelta(days=1)


class Holiday(Base):
    """A day that is not a working day (national holiday or cuti bersama); the admin may edit the list."""

    __tablename__ = "holiday"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="libur_nasional")
    """libur_nasional or cuti_bersama."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    """False when the admin removed the day; kept so that seeding again does not bring it back."""
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    """An estimate made before the year's SKB 3 Menteri was published: the admin should check it."""
    source: Mapped[str] = mapped_column(String(400), default="")


def local_date(at: datetime, utc_offset: timedelta = WIB) -> date:
    """The local calendar day of a naive UTC instant."""
    return (at + utc_offset).date()


def end_of_local_day(day: date, utc_offset: timedelta = WIB) -> datetime:
    """Midnight (local) at the end of `day`, as naive UTC."""
    return datetime.combine(day + _ONE_DAY, time()) - utc_offset


def last_allowed_minute(limit: datetime) -> datetime:
    """The last minute a time limit allows, for people and for Open311: limits are stored as the instant they expire
    (midnight after the last day), which read as the next day ("5 Nov 00.00" for a limit ending on the 4th)."""
    return limit - timedelta(minutes=1)


def is_working_day(day: date, holidays: set[date] | frozenset[date]) -> bool:
    """Monday to Friday and not a holiday."""
    return day.weekday() < 5 and day not in holidays


def add_working_days(
    start: datetime, n: int, holidays: set[date] | frozenset[date], utc_offset: timedelta = WIB
) -> datetime:
    """The end (24:00 local) of the n-th working day after the local day of `start`, as naive UTC."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = local_date(start, utc_offset)
    while n:
        day += _ONE_DAY
        if is_working_day(day, holidays):
            n -= 1
    return end_of_local_day(day, utc_offset)


def working_days_between(
    start: datetime, end: datetime, holidays: set[date] | frozenset[date], utc_offset: timedelta = WIB
) -> int:
    """Working days after the local day of `start` up to and including that of `end`; negative when end is earlier."""
    first, last = local_date(start, utc_offset), local_date(end, utc_offset)
    sign = 1
    if last < first:
        first, last, sign = last, first, -1
    count = 0
    day = first + _ONE_DAY
    while day <= last:
        count += is_working_day(day, holidays)
        day += _ONE_DAY
    return sign * count


@dataclass(frozen=True)
class WorkingCalendar:
    """The holidays as loaded once (per request or job run), with the counting functions bound to them."""

    holidays: frozenset[date] = frozenset()
    utc_offset: timedelta = WIB

    @classmethod
    def load(cls, session: Session) -> "WorkingCalendar":
        """The active holidays of the `holiday` table."""
        days = session.scalars(select(Holiday.day).where(Holiday.active.is_(True)))
        return cls(frozenset(days))

    @classmethod
    def from_data(cls) -> "WorkingCalendar":
        """The holidays of the shipped data file, without a database."""
        return cls(frozenset(date.fromisoformat(row[0]) for row in _shipped_days()))

    @property
    def years(self) -> frozenset[int]:
        """The years that have holiday data; due dates in other years only skip weekends."""
        return frozenset(day.year for day in self.holidays)

    def is_working_day(self, day: date) -> bool:
        return is_working_day(day, self.holidays)

    def add_working_days(self, start: datetime, n: int) -> datetime:
        return add_working_days(start, n, self.holidays, self.utc_offset)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        return working_days_between(start, end, self.holidays, self.utc_offset)

    def local_date(self, at: datetime) -> date:
        return local_date(at, self.utc_offset)


def load_holiday_data() -> dict[str, Any]:
    """models/data/holidays_id.json: per year the source and the days [date, name, kind]."""
    text = resources.files("models.data").joinpath("holidays_id.json").read_text(encoding="utf-8")
    return json.loads(text)


def _shipped_days() -> list[tuple[str, str, str, str, bool]]:
    rows = []
    for year in load_holiday_data()["years"].values():
        for day, name, kind in year["days"]:
            rows.append((day, name, kind, year["source"], bool(year["provisional"])))
    return rows


def seed_holidays(session: Session) -> int:
    """Insert the shipped holidays whose date is not in the table yet; returns how many were added.

    Safe to run again: a date already present (even one the admin deactivated or renamed) is left alone,
    so the admin's edits win over the shipped list.
    """
    present = set(session.scalars(select(Holiday.day)))
    added = 0
    for day_text, name, kind, source, provisional in _shipped_days():
        day = date.fromisoformat(day_text)
        if day in present:
            continue
        session.add(Holiday(day=day, name=name, kind=kind, source=source, provisional=provisional, active=True))
        present.add(day)
        added += 1
    session.flush()
    return added


class InvalidHoliday(SuaraError):
    """A holiday kind outside HOLIDAY_KINDS or an empty name."""

    code = "invalid_holiday"
    message_id = "Hari libur harus bernama dan berjenis hari libur nasional atau cuti bersama."


def set_holiday(session: Session, day: date, name: str, kind: str, by: User | None) -> Holiday:
    """Add or change a holiday (admin); confirmed by a person, so no longer provisional."""
    if kind not in HOLIDAY_KINDS or not name.strip():
        raise InvalidHoliday(f"kind must be one of {sorted(HOLIDAY_KINDS)} and name not empty")
    holiday = session.scalar(select(Holiday).where(Holiday.day == day))
    if holiday is None:
        holiday = Holiday(day=day, source="admin")
        session.add(holiday)
    holiday.name, holiday.kind, holiday.active, holiday.provisional = name.strip(), kind, True, False
    session.flush()
    audit(session, by, "holiday.set", holiday, day=day, name=holiday.name, kind=kind)
    return holiday


def remove_holiday(session: Session, day: date, by: User | None) -> Holiday | None:
    """Make a day a working day again (admin); the row stays inactive so seeding does not restore it."""
    holiday = session.scalar(select(Holiday).where(Holiday.day == day))
    if holiday is None or not holiday.active:
        return holiday
    holiday.active = False
    audit(session, by, "holiday.remove", holiday, day=day, name=holiday.name)
    return holiday
