"""Working-day calendar: holiday data, seeding, and due dates across weekends, holidays and cuti bersama."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.base import Base
from models.calendar import (
    HOLIDAY_KINDS,
    WIB,
    Holiday,
    InvalidHoliday,
    WorkingCalendar,
    add_working_days,
    load_holiday_data,
    local_date,
    remove_holiday,
    seed_holidays,
    set_holiday,
    working_days_between,
)
from models.db import make_engine
from models.entities import User

CALENDAR = WorkingCalendar.from_data()


@pytest.fixture
def session() -> Iterator[Session]:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def wib(text: str) -> datetime:
    """A local (WIB) wall-clock time as the naive UTC the database stores."""
    return datetime.fromisoformat(text) - WIB


def end_of(day: str) -> datetime:
    """Midnight WIB at the end of `day`, as naive UTC: what a limit ending on that day looks like."""
    return datetime.fromisoformat(day) + timedelta(days=1) - WIB


# --- data ---------------------------------------------------------------------------------------


def test_data_covers_2024_to_2027_with_sources_and_known_kinds() -> None:
    data = load_holiday_data()
    assert sorted(data["years"]) == ["2024", "2025", "2026", "2027"]
    seen: set[str] = set()
    for year, block in data["years"].items():
        assert block["source"]
        for day, name, kind in block["days"]:
            assert day.startswith(year) and day not in seen and name and kind in HOLIDAY_KINDS
            date.fromisoformat(day)
            seen.add(day)
    assert data["years"]["2027"]["provisional"] is True
    assert not any(data["years"][y]["provisional"] for y in ("2024", "2025", "2026"))


@pytest.mark.parametrize(
    "day",
    ["2024-04-10", "2024-04-15", "2024-02-14", "2025-03-31", "2025-04-07", "2025-08-18", "2026-03-20", "2026-12-24"],
)
def test_known_holidays_and_cuti_bersama_are_not_working_days(day: str) -> None:
    assert not CALENDAR.is_working_day(date.fromisoformat(day))


@pytest.mark.parametrize("day", ["2026-11-27", "2026-03-25", "2025-04-08", "2024-04-16"])
def test_ordinary_weekdays_are_working_days(day: str) -> None:
    assert CALENDAR.is_working_day(date.fromisoformat(day))


# --- seeding and editing ------------------------------------------------------------------------


def test_seed_is_idempotent_and_loads_into_the_calendar(session: Session) -> None:
    added = seed_holidays(session)
    assert added == len(CALENDAR.holidays) > 90
    assert seed_holidays(session) == 0
    assert session.scalar(select(func.count()).select_from(Holiday)) == added
    loaded = WorkingCalendar.load(session)
    assert loaded.holidays == CALENDAR.holidays
    assert loaded.years == {2024, 2025, 2026, 2027}
    provisional = session.scalar(select(Holiday).where(Holiday.day == date(2027, 3, 10)))
    assert provisional is not None and provisional.provisional and "PERKIRAAN" in provisional.source


def test_admin_edits_survive_seeding_again_and_are_audited(session: Session) -> None:
    admin = User(username="admin", password_hash="x", role="admin")
    session.add(admin)
    seed_holidays(session)
    remove_holiday(session, date(2026, 12, 24), admin)
    set_holiday(session, date(2027, 3, 10), "Hari Raya Idul Fitri 1448 H", "libur_nasional", admin)
    set_holiday(session, date(2026, 10, 20), "Hari Jadi Kabupaten Bojonegoro", "cuti_bersama", admin)
    assert seed_holidays(session) == 0
    calendar = WorkingCalendar.load(session)
    assert calendar.is_working_day(date(2026, 12, 24))
    assert not calendar.is_working_day(date(2026, 10, 20))
    edited = session.scalar(select(Holiday).where(Holiday.day == date(2027, 3, 10)))
    assert edited is not None and not edited.provisional and edited.name == "Hari Raya Idul Fitri 1448 H"
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["holiday.remove", "holiday.set", "holiday.set"]
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).first()
    assert entry is not None and entry.user_id == admin.id and entry.detail["day"] == "2026-12-24"


@pytest.mark.parametrize(("name", "kind"), [("", "libur_nasional"), ("Hari X", "libur_daerah")])
def test_set_holiday_refuses_bad_input(session: Session, name: str, kind: str) -> None:
    with pytest.raises(InvalidHoliday):
        set_holiday(session, date(2026, 1, 2), name, kind, None)


# --- counting -----------------------------------------------------------------------------------

ADD_CASES = [
    # (received, local WIB, n, last day of the limit)
    ("2026-11-23 10:00", 3, "2026-11-26"),  # Monday -> Thursday
    ("2026-11-27 09:00", 3, "2026-12-02"),  # Friday -> Wednesday
    ("2026-11-27 20:00", 3, "2026-12-02"),  # Friday after office hours: same day 0
    ("2026-11-27 23:59", 3, "2026-12-02"),
    ("2026-11-28 11:00", 3, "2026-12-02"),  # Saturday: same limit as Friday
    ("2026-11-29 11:00", 3, "2026-12-02"),  # Sunday
    ("2026-11-30 00:30", 3, "2026-12-03"),  # Monday just after midnight WIB (still Sunday in UTC)
    ("2026-11-23 10:00", 0, "2026-11-23"),
    ("2026-03-17 10:00", 3, "2026-03-27"),  # Nyepi, Idul Fitri 1447 and its cuti bersama: 18-24 March off
    ("2026-03-16 10:00", 10, "2026-04-07"),  # auto-close across Lebaran and Good Friday
    ("2025-03-27 10:00", 3, "2025-04-10"),  # Friday 28 cuti Nyepi, 31 Mar-7 Apr Lebaran 1446
    ("2024-04-05 15:00", 3, "2024-04-18"),  # Friday before Lebaran 1445 (8-15 April off)
    ("2025-05-09 10:00", 3, "2025-05-16"),  # Friday before Waisak Monday and its cuti bersama Tuesday
    ("2026-05-13 10:00", 3, "2026-05-20"),  # Kenaikan Thursday and cuti bersama Friday
    ("2026-12-23 10:00", 5, "2027-01-04"),  # Christmas, cuti bersama and New Year
    ("2025-08-15 10:00", 5, "2025-08-25"),  # 17 August on Sunday, cuti bersama Monday 18
]


@pytest.mark.parametrize(("received", "n", "last_day"), ADD_CASES)
def test_add_working_days(received: str, n: int, last_day: str) -> None:
    assert CALENDAR.add_working_days(wib(received), n) == end_of(last_day)


@pytest.mark.parametrize(("received", "n", "last_day"), ADD_CASES)
def test_working_days_between_inverts_add(received: str, n: int, last_day: str) -> None:
    due = CALENDAR.add_working_days(wib(received), n)
    assert CALENDAR.working_days_between(wib(received), due - timedelta(microseconds=1)) == n


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-11-27 10:00", "2026-11-27 16:00", 0),
        ("2026-11-27 10:00", "2026-11-30 08:00", 1),  # Friday -> Monday
        ("2026-11-30 08:00", "2026-11-27 10:00", -1),
        ("2026-03-17 10:00", "2026-03-25 10:00", 1),  # across Lebaran 1447
        ("2026-11-28 10:00", "2026-11-29 10:00", 0),  # weekend only
    ],
)
def test_working_days_between(start: str, end: str, expected: int) -> None:
    assert CALENDAR.working_days_between(wib(start), wib(end)) == expected


def test_module_functions_take_any_holiday_set() -> None:
    monday = wib("2026-11-23 10:00")
    assert add_working_days(monday, 1, {date(2026, 11, 24)}) == end_of("2026-11-25")
    assert working_days_between(monday, wib("2026-11-25 10:00"), set()) == 2
    assert local_date(wib("2026-11-23 00:30")) == date(2026, 11, 23)


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        CALENDAR.add_working_days(wib("2026-11-23 10:00"), -1)
