"""SP4N-LAPOR! lifecycle: the transition table, every operation from every status, time limits,
auto-close, reference numbers, the append-only logs and the audit trail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import lifecycle as lc
from models.audit import AuditEntry, audit, audit_view
from models.base import Base
from models.calendar import WIB, WorkingCalendar, remove_holiday, seed_holidays
from models.config import Settings
from models.db import make_engine
from models.entities import Agency, AppendOnlyError, Call, Complaint, StatusChange, User
from models.refs import (
    ReferenceUnavailable,
    find_by_reference,
    format_reference,
    is_valid_reference,
    luhn_check_digit,
    new_reference,
    normalise_reference,
)

CALENDAR = WorkingCalendar.from_data()
SETTINGS = Settings(data_dir=Path("/nonexistent"), database_url="sqlite://")
ALL = [status.value for status in lc.Status]


def wib(text: str) -> datetime:
    """A local (WIB) wall-clock time as the naive UTC the database stores."""
    return datetime.fromisoformat(text) - WIB


def end_of(day: str) -> datetime:
    """Midnight WIB at the end of `day`, as naive UTC."""
    return datetime.fromisoformat(day) + timedelta(days=1) - WIB


@dataclass
class World:
    session: Session
    operator: User
    liaison: User
    agency_a: Agency
    agency_b: Agency
    closed_agency: Agency
    now: datetime = wib("2026-11-23 10:00")

    def complaint(self, status: str = "draft", **fields: Any) -> Complaint:
        """A complaint placed directly in `status`, with the timestamps that status implies."""
        values: dict[str, Any] = dict(
            status=status, title="Jalan berlubang", received_at=wib("2026-11-20 09:00"), agency=self.agency_a
        )
        if status != "draft":
            values["reference"] = new_reference(self.session, values["received_at"])
        if status in ("terdisposisi", "ditindaklanjuti", "tunda", "bukan_wewenang", "selesai"):
            values["dispositioned_at"] = wib("2026-11-20 11:00")
        if status in ("ditindaklanjuti", "selesai"):
            values["follow_up_at"] = wib("2026-11-20 15:00")
        values.update(fields)
        complaint = Complaint(**values)
        self.session.add(complaint)
        if status == "tunda":
            pause = StatusChange(from_status="terdisposisi", to_status="tunda", at=wib("2026-11-20 16:00"))
            complaint.history.append(pause)
        self.session.flush()
        return complaint


@pytest.fixture
def session() -> Iterator[Session]:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
def world(session: Session) -> World:
    agencies = [
        Agency(key="dpupr", name="Dinas PU Bina Marga"),
        Agency(key="dinkes", name="Dinas Kesehatan"),
        Agency(key="lama", name="Dinas Lama", active=False),
    ]
    operator = User(username="operator", password_hash="x", role="operator")
    liaison = User(username="penghubung", password_hash="x", role="liaison", agency=agencies[0])
    session.add_all([*agencies, operator, liaison])
    session.flush()
    return World(session, operator, liaison, *agencies)


# --- the transition table -----------------------------------------------------------------------

LEGAL = {
    ("draft", "belum_diverifikasi"), ("draft", "ditolak"),
    ("belum_diverifikasi", "terverifikasi"), ("belum_diverifikasi", "tunda"),
    ("belum_diverifikasi", "bukan_wewenang"), ("belum_diverifikasi", "arsip"),
    ("terverifikasi", "terdisposisi"), ("terverifikasi", "tunda"),
    ("terverifikasi", "bukan_wewenang"), ("terverifikasi", "arsip"),
    ("terdisposisi", "ditindaklanjuti"), ("terdisposisi", "terdisposisi"), ("terdisposisi", "tunda"),
    ("terdisposisi", "bukan_wewenang"), ("terdisposisi", "arsip"),
    ("ditindaklanjuti", "selesai"), ("ditindaklanjuti", "ditindaklanjuti"),
    ("ditindaklanjuti", "terdisposisi"), ("ditindaklanjuti", "tunda"),
    ("tunda", "belum_diverifikasi"), ("tunda", "terverifikasi"), ("tunda", "terdisposisi"),
    ("tunda", "ditindaklanjuti"), ("tunda", "arsip"),
    ("bukan_wewenang", "terdisposisi"), ("bukan_wewenang", "arsip"),
}  # fmt: skip


@pytest.mark.parametrize("to_status", ALL)
@pytest.mark.parametrize("from_status", ALL)
def test_transition_table(from_status: str, to_status: str) -> None:
    assert lc.can_transition(from_status, to_status) == ((from_status, to_status) in LEGAL)


def test_terminal_statuses_and_labels() -> None:
    assert lc.TERMINAL == {"selesai", "arsip", "ditolak"}
    assert lc.status_label("bukan_wewenang") == "Bukan Wewenang"
    assert lc.status_label("???") == "???"
    assert lc.allowed_operations("draft") == ["confirm", "reject"]


# --- every operation from every status ----------------------------------------------------------

Op = Callable[[Session, Complaint, World], object]
OPS: dict[str, Op] = {
    "confirm": lambda s, c, w: lc.confirm_draft(s, c, w.operator, SETTINGS, w.now, calendar=CALENDAR),
    "reject": lambda s, c, w: lc.reject_draft(s, c, "uji_coba", w.operator, now=w.now),
    "verify": lambda s, c, w: lc.verify(s, c, w.operator, now=w.now),
    "disposition": lambda s, c, w: lc.disposition(
        s, c, w.agency_b, w.operator, settings=SETTINGS, now=w.now, calendar=CALENDAR
    ),
    "follow_up": lambda s, c, w: lc.record_follow_up(
        s, c, "Sudah ditambal.", w.liaison, settings=SETTINGS, now=w.now, calendar=CALENDAR
    ),
    "return_to_agency": lambda s, c, w: lc.return_to_agency(
        s, c, w.operator, "Pelapor: belum diperbaiki.", settings=SETTINGS, now=w.now, calendar=CALENDAR
    ),
    "close": lambda s, c, w: lc.close(s, c, w.operator, now=w.now),
    "pause": lambda s, c, w: lc.pause(s, c, w.operator, "Menunggu data dari pelapor.", now=w.now),
    "resume": lambda s, c, w: lc.resume(s, c, w.operator, settings=SETTINGS, now=w.now, calendar=CALENDAR),
    "not_competent": lambda s, c, w: lc.mark_not_competent(s, c, w.liaison, "Urusan provinsi.", now=w.now),
    "reroute": lambda s, c, w: lc.reroute(
        s, c, w.agency_b, w.operator, settings=SETTINGS, now=w.now, calendar=CALENDAR
    ),
    "archive": lambda s, c, w: lc.archive(s, c, w.operator, "Pelapor tidak dapat dihubungi.", now=w.now),
}
BEFORE_DISPOSITION = {"belum_diverifikasi", "terverifikasi"}
EXPECTED: dict[str, dict[str, str]] = {
    "confirm": {"draft": "belum_diverifikasi"},
    "reject": {"draft": "ditolak"},
    "verify": {"belum_diverifikasi": "terverifikasi"},
    "disposition": {"terverifikasi": "terdisposisi"},
    "follow_up": {"terdisposisi": "ditindaklanjuti", "ditindaklanjuti": "ditindaklanjuti"},
    "return_to_agency": {"ditindaklanjuti": "terdisposisi"},
    "close": {"ditindaklanjuti": "selesai"},
    "pause": {s: "tunda" for s in BEFORE_DISPOSITION | {"terdisposisi", "ditindaklanjuti"}},
    "resume": {"tunda": "terdisposisi"},  # the fixture pauses from terdisposisi
    "not_competent": {s: "bukan_wewenang" for s in BEFORE_DISPOSITION | {"terdisposisi"}},
    "reroute": {"terdisposisi": "terdisposisi", "bukan_wewenang": "terdisposisi"},
    "archive": {s: "arsip" for s in BEFORE_DISPOSITION | {"terdisposisi", "tunda", "bukan_wewenang"}},
}


def _count(session: Session, model: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("status", ALL)
@pytest.mark.parametrize("operation", list(OPS))
def test_operation_from_status(world: World, operation: str, status: str) -> None:
    session = world.session
    complaint = world.complaint(status)
    changes, audits = _count(session, StatusChange), _count(session, AuditEntry)
    expected = EXPECTED[operation].get(status)
    if expected is None:
        with pytest.raises(lc.IllegalTransition) as refused:
            OPS[operation](session, complaint, world)
        assert refused.value.code == "illegal_transition" and refused.value.http_status == 409
        assert f'dari "{lc.status_label(status)}"' in refused.value.message_id
        target = lc.OPERATIONS[operation][1]
        assert (target.label if target else "status sebelum ditunda") in refused.value.message_id
        session.flush()
        assert complaint.status == status
        assert (_count(session, StatusChange), _count(session, AuditEntry)) == (changes, audits)
        return
    OPS[operation](session, complaint, world)
    session.flush()
    session.expire_all()
    assert complaint.status == expected
    last = complaint.history[-1]
    assert (last.from_status, last.to_status, last.at) == (status, expected, world.now)
    assert last.by_user_id in (world.operator.id, world.liaison.id)
    assert _count(session, StatusChange) == changes + 1
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.object_type == "complaint" and entry.object_id == complaint.id
    assert entry.detail["from_status"] == status and entry.detail["to_status"] == expected
    if expected not in lc.STAGE_OF_STATUS:
        assert complaint.due_at is None
    elif operation != "verify":  # verification keeps the limit set at confirmation
        assert complaint.due_at is not None


# --- a whole life ---------------------------------------------------------------------------------


def test_call_on_friday_evening_followed_to_automatic_closure(world: World) -> None:
    session = world.session
    call = Call(channel="phone", external_id="CA1", received_at=wib("2026-11-27 20:00"))
    draft = Complaint(title="Lampu PJU mati", call=call, received_at=None)
    session.add_all([call, draft])

    lc.confirm_draft(session, draft, world.operator, SETTINGS, wib("2026-11-28 10:00"), calendar=CALENDAR)
    assert draft.received_at == call.received_at
    assert is_valid_reference(draft.reference or "") and (draft.reference or "").startswith("261128")
    assert draft.due_at == end_of("2026-12-02")  # Friday is day 0 even after office hours

    lc.verify(session, draft, world.operator, now=wib("2026-11-30 08:00"))
    assert draft.due_at == end_of("2026-12-02")
    lc.disposition(
        session, draft, world.agency_a, world.operator, "Mohon dicek", settings=SETTINGS,
        now=wib("2026-12-01 10:00"), calendar=CALENDAR,
    )  # fmt: skip
    assert draft.agency is world.agency_a and draft.due_at == end_of("2026-12-08")
    answer = lc.record_follow_up(
        session, draft, "Lampu sudah diganti.", world.liaison, settings=SETTINGS,
        now=wib("2026-12-07 14:00"), calendar=CALENDAR,
    )  # fmt: skip
    assert draft.follow_up_at == wib("2026-12-07 14:00") and draft.due_at == end_of("2026-12-21")
    assert [f.text for f in lc.follow_ups(session, draft)] == ["Lampu sudah diganti."]
    assert answer.by_user is world.liaison

    assert lc.auto_close_due(session, wib("2026-12-21 23:59"), CALENDAR, SETTINGS) == []
    assert lc.auto_close_due(session, wib("2026-12-22 00:00"), CALENDAR, SETTINGS) == [draft]
    assert lc.auto_close_due(session, wib("2026-12-23 00:00"), CALENDAR, SETTINGS) == []
    session.flush()
    assert draft.status == "selesai" and draft.closed_at == wib("2026-12-22 00:00") and draft.due_at is None
    assert [(c.from_status, c.to_status) for c in draft.history] == [
        ("draft", "belum_diverifikasi"),
        ("belum_diverifikasi", "terverifikasi"),
        ("terverifikasi", "terdisposisi"),
        ("terdisposisi", "ditindaklanjuti"),
        ("ditindaklanjuti", "selesai"),
    ]
    closing = draft.history[-1]
    assert closing.by_user is None and closing.note and "10 hari kerja" in closing.note

    dates = lc.due_dates(draft, draft.history, CALENDAR, SETTINGS)
    assert (dates.verify_due, dates.follow_up_due, dates.auto_close_at, dates.current) == (
        end_of("2026-12-02"), end_of("2026-12-08"), end_of("2026-12-21"), None,
    )  # fmt: skip


def test_auto_close_leaves_unanswered_and_recent_answers(world: World) -> None:
    recent = world.complaint("ditindaklanjuti", follow_up_at=wib("2026-12-08 10:00"))
    waiting = world.complaint("terdisposisi")
    old = world.complaint("ditindaklanjuti", follow_up_at=wib("2026-11-02 10:00"))
    closed = lc.auto_close_due(world.session, wib("2026-12-22 08:00"), CALENDAR, SETTINGS)
    assert closed == [old]
    assert (recent.status, waiting.status) == ("ditindaklanjuti", "terdisposisi")


def test_reporter_not_satisfied_returns_to_agency_and_restarts_follow_up_limit(world: World) -> None:
    complaint = world.complaint("ditindaklanjuti")
    lc.return_to_agency(
        world.session, complaint, world.operator, "Pelapor: masih gelap.", settings=SETTINGS,
        now=wib("2026-11-23 10:00"), calendar=CALENDAR,
    )  # fmt: skip
    assert complaint.status == "terdisposisi" and complaint.dispositioned_at == wib("2026-11-23 10:00")
    assert complaint.due_at == end_of("2026-11-30")
    assert lc.auto_close_due(world.session, wib("2027-01-30 10:00"), CALENDAR, SETTINGS) == []


# --- pauses, side exits, rejection and merging --------------------------------------------------


def test_pause_stops_the_clock_and_resume_extends_it(world: World) -> None:
    session = world.session
    complaint = world.complaint("terverifikasi", received_at=wib("2026-11-20 09:00"))
    lc.disposition(session, complaint, world.agency_a, world.operator, settings=SETTINGS, now=wib("2026-11-23 10:00"),
                   calendar=CALENDAR)  # fmt: skip
    assert complaint.due_at == end_of("2026-11-30")
    lc.pause(session, complaint, world.operator, "Menunggu foto lokasi.", now=wib("2026-11-25 10:00"))
    assert complaint.due_at is None
    assert lc.sla_state(complaint, wib("2026-11-26 10:00"), CALENDAR) == lc.SlaState(None, None, False, None)
    lc.resume(session, complaint, world.operator, settings=SETTINGS, now=wib("2026-11-27 10:00"), calendar=CALENDAR)
    assert complaint.status == "terdisposisi"
    assert complaint.due_at == end_of("2026-12-02")  # paused over Thursday and Friday: two more days
    dates = lc.due_dates(complaint, complaint.history, CALENDAR, SETTINGS)
    assert dates.verify_due == end_of("2026-11-25")  # the pause came after disposition


def test_paused_before_verification_resumes_there(world: World) -> None:
    complaint = world.complaint("draft", received_at=wib("2026-11-23 10:00"))
    lc.confirm_draft(world.session, complaint, world.operator, SETTINGS, wib("2026-11-23 11:00"), calendar=CALENDAR)
    lc.pause(world.session, complaint, world.operator, "Cek lapangan.", now=wib("2026-11-24 10:00"))
    lc.resume(world.session, complaint, None, settings=SETTINGS, now=wib("2026-11-25 10:00"), calendar=CALENDAR)
    assert complaint.status == "belum_diverifikasi" and complaint.due_at == end_of("2026-11-27")


def test_not_competent_forwarded_to_national_lapor(world: World) -> None:
    complaint = world.complaint("terdisposisi")
    lc.mark_not_competent(
        world.session, complaint, world.liaison, "Jalan nasional.", forward_national=True,
        lapor_tracking_id=" 4471234 ", now=world.now,
    )  # fmt: skip
    assert complaint.status == "bukan_wewenang" and complaint.lapor_tracking_id == "4471234"
    assert complaint.history[-1].note == "Diteruskan ke LAPOR! nasional: Jalan nasional."
    assert complaint.due_at is None


def test_reroute_after_not_competent(world: World) -> None:
    complaint = world.complaint("terdisposisi")
    lc.mark_not_competent(world.session, complaint, world.liaison, "Urusan Dinkes.", now=world.now)
    lc.reroute(
        world.session, complaint, world.agency_b, world.operator, settings=SETTINGS,
        now=wib("2026-11-24 10:00"), calendar=CALENDAR,
    )  # fmt: skip
    assert complaint.agency is world.agency_b and complaint.due_at == end_of("2026-12-01")
    entry = world.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.detail["previous_agency"] == "dpupr" and entry.detail["agency"] == "dinkes"


@pytest.mark.parametrize("agency_name", ["agency_a", "closed_agency"])
def test_reroute_refuses_same_or_inactive_agency(world: World, agency_name: str) -> None:
    complaint = world.complaint("terdisposisi")
    with pytest.raises(lc.InvalidAgency):
        lc.reroute(world.session, complaint, getattr(world, agency_name), world.operator, settings=SETTINGS)
    assert complaint.status == "terdisposisi"


def test_disposition_refuses_inactive_agency(world: World) -> None:
    complaint = world.complaint("terverifikasi")
    with pytest.raises(lc.InvalidAgency):
        lc.disposition(world.session, complaint, world.closed_agency, world.operator, settings=SETTINGS)


@pytest.mark.parametrize("reason", [r.value for r in lc.RejectReason])
def test_reject_with_each_reason(world: World, reason: str) -> None:
    complaint = world.complaint("draft")
    lc.reject_draft(world.session, complaint, reason, world.operator, note="dari radio", now=world.now)
    assert complaint.status == "ditolak" and complaint.reject_reason == reason
    assert complaint.history[-1].note == f"{lc.RejectReason(reason).label}: dari radio"
    assert complaint.reference is None


def test_reject_refuses_unknown_reason(world: World) -> None:
    complaint = world.complaint("draft")
    with pytest.raises(lc.InvalidRejectReason) as refused:
        lc.reject_draft(world.session, complaint, "malas", world.operator)
    assert "Salah sambung" in refused.value.message_id and complaint.status == "draft"


@pytest.mark.parametrize(
    "call",
    [
        lambda w, c: lc.pause(w.session, c, w.operator, "  "),
        lambda w, c: lc.archive(w.session, c, w.operator, ""),
        lambda w, c: lc.record_follow_up(w.session, c, " ", w.liaison, settings=SETTINGS),
        lambda w, c: lc.mark_not_competent(w.session, c, w.liaison, ""),
    ],
)
def test_reasons_and_answers_are_required(world: World, call: Callable[[World, Complaint], object]) -> None:
    complaint = world.complaint("terdisposisi")
    with pytest.raises(lc.NoteRequired):
        call(world, complaint)
    assert complaint.status == "terdisposisi"


def test_merge_duplicate_draft_and_confirmed(world: World) -> None:
    original = world.complaint("terdisposisi")
    draft = world.complaint("draft")
    confirmed = world.complaint("belum_diverifikasi")
    lc.merge_duplicate(world.session, draft, original, world.operator, now=world.now)
    assert (draft.status, draft.reject_reason, draft.duplicate_of_id) == ("ditolak", "duplikat", original.id)
    assert draft.history[-1].note == f"Duplikat dari {format_reference(original.reference or '')}"
    lc.merge_duplicate(world.session, confirmed, draft, world.operator, now=world.now)  # follows to the original
    assert (confirmed.status, confirmed.duplicate_of_id) == ("arsip", original.id)


def test_merge_refuses_self_rejected_and_closed(world: World) -> None:
    complaint = world.complaint("draft")
    rejected = world.complaint("ditolak")
    done = world.complaint("selesai")
    with pytest.raises(lc.InvalidMerge):
        lc.merge_duplicate(world.session, complaint, complaint, world.operator)
    with pytest.raises(lc.InvalidMerge):
        lc.merge_duplicate(world.session, complaint, rejected, world.operator)
    with pytest.raises(lc.IllegalTransition):
        lc.merge_duplicate(world.session, done, complaint, world.operator)


def test_concurrent_operators_cannot_both_move_a_complaint(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'race.sqlite3'}")
    Base.metadata.create_all(engine)
    with Session(engine) as setup:
        complaint = Complaint(title="Banjir", received_at=wib("2026-11-23 09:00"))
        setup.add(complaint)
        setup.commit()
        complaint_id = complaint.id
    with Session(engine) as first, Session(engine) as second:
        mine, theirs = first.get_one(Complaint, complaint_id), second.get_one(Complaint, complaint_id)
        lc.confirm_draft(first, mine, None, SETTINGS, calendar=CALENDAR)
        first.commit()
        with pytest.raises(lc.ConcurrentChange):
            lc.reject_draft(second, theirs, "uji_coba", None)
        second.rollback()
    with Session(engine) as check:
        assert check.scalar(select(func.count()).select_from(StatusChange)) == 1
    engine.dispose()


# --- time limits --------------------------------------------------------------------------------


def test_sla_state_counts_down_and_turns_overdue(world: World) -> None:
    complaint = world.complaint("terdisposisi", due_at=end_of("2026-11-30"))
    expected = [
        ("2026-11-26 10:00", 2, False),
        ("2026-11-28 10:00", 1, False),  # Saturday: Monday is left
        ("2026-11-30 23:59", 0, False),
        ("2026-12-01 00:00", -1, True),
        ("2026-12-07 09:00", -5, True),
    ]
    for now, days_left, overdue in expected:
        state = lc.sla_state(complaint, wib(now), CALENDAR)
        assert (state.stage, state.due_at, state.days_left, state.overdue) == (
            lc.Stage.TINDAK_LANJUT, end_of("2026-11-30"), days_left, overdue,
        ), now  # fmt: skip
        assert lc.is_overdue(complaint, wib(now)) is overdue


def test_waiting_for_auto_close_is_never_overdue(world: World) -> None:
    complaint = world.complaint("ditindaklanjuti", due_at=end_of("2026-11-30"))
    state = lc.sla_state(complaint, wib("2026-12-03 10:00"), CALENDAR)
    assert state.stage is lc.Stage.TUTUP_OTOMATIS and state.days_left == -3 and not state.overdue
    assert lc.Stage.TUTUP_OTOMATIS.label == "Menunggu tanggapan pelapor"


def test_overdue_filter_in_sql(world: World) -> None:
    now = wib("2026-12-01 10:00")
    late = world.complaint("terdisposisi", due_at=end_of("2026-11-30"))
    world.complaint("terdisposisi", due_at=end_of("2026-12-01"))
    world.complaint("ditindaklanjuti", due_at=end_of("2026-11-30"))
    late_verification = world.complaint("belum_diverifikasi", due_at=end_of("2026-11-25"))
    found = world.session.scalars(select(Complaint).where(lc.overdue_filter(now)).order_by(Complaint.id)).all()
    assert found == [late, late_verification]


def test_limits_use_the_holiday_table_and_follow_its_edits(session: Session, world: World) -> None:
    seed_holidays(session)
    complaint = world.complaint("draft", received_at=wib("2026-12-23 10:00"))
    lc.confirm_draft(session, complaint, world.operator, SETTINGS, wib("2026-12-23 10:05"))  # calendar from the table
    assert complaint.due_at == end_of("2026-12-30")  # 24 cuti bersama, 25 Natal, weekend
    remove_holiday(session, date(2026, 12, 24), world.operator)
    assert lc.refresh_open_due_dates(session, SETTINGS) == 1
    assert complaint.due_at == end_of("2026-12-29")
    assert lc.refresh_open_due_dates(session, SETTINGS) == 0


def test_limits_follow_the_settings(world: World) -> None:
    complaint = world.complaint("draft", received_at=wib("2026-11-23 10:00"))
    lc.confirm_draft(world.session, complaint, None, SETTINGS.with_(sla_verify_days=1), world.now, calendar=CALENDAR)
    assert complaint.due_at == end_of("2026-11-24")


# --- reference numbers --------------------------------------------------------------------------


class ScriptedRandom:
    """Returns the given values in turn, then keeps returning the last one."""

    def __init__(self, *values: int) -> None:
        self.values = list(values)

    def randrange(self, stop: int, /) -> int:
        return self.values.pop(0) if len(self.values) > 1 else self.values[0]


def test_luhn_known_vector() -> None:
    assert luhn_check_digit("7992739871") == 3


def test_reference_shape_date_and_check_digit(session: Session) -> None:
    reference = new_reference(session, wib("2026-11-27 23:30"), rng=ScriptedRandom(4821))
    assert reference[:11] == "26112704821" and is_valid_reference(reference)
    assert format_reference(reference) == f"2611-2704-821{reference[-1]}"


def test_reference_retries_on_collision(session: Session) -> None:
    now = wib("2026-11-27 10:00")
    taken = new_reference(session, now, rng=ScriptedRandom(7))
    session.add(Complaint(reference=taken, received_at=now))
    session.flush()
    free = new_reference(session, now, rng=ScriptedRandom(8))
    assert new_reference(session, now, rng=ScriptedRandom(7, 7, 8)) == free
    with pytest.raises(ReferenceUnavailable):
        new_reference(session, now, rng=ScriptedRandom(7))


def test_confirmed_complaints_get_distinct_references(world: World) -> None:
    complaints = [world.complaint("draft") for _ in range(30)]
    for complaint in complaints:
        lc.confirm_draft(world.session, complaint, None, SETTINGS, world.now, calendar=CALENDAR)
    assert len({c.reference for c in complaints}) == 30
    kept = new_reference(world.session, world.now)
    again = world.complaint("draft", reference=kept)
    lc.confirm_draft(world.session, again, None, SETTINGS, world.now, calendar=CALENDAR)
    assert again.reference == kept


def _valid() -> str:
    payload = "26112704821"
    return payload + str(luhn_check_digit(payload))


@pytest.mark.parametrize(
    ("typed", "ok"),
    [
        ("{r}", True),
        ("{r4}-{r8}-{rest}", True),
        ("  {r4} {r8} {rest} ", True),
        ("SW-{r4}.{r8}.{rest}", True),
        ("sw{r}", True),
        ("{r}#", True),  # DTMF terminator
        ("*{r}#", True),
        ("{r4o}{r8}{rest}", True),  # O typed for 0
        ("{r}0", False),
        ("{r11}", False),
        ("{wrong}", False),  # one digit mistyped: the check digit catches it
        ("{swapped}", False),  # two neighbours swapped
        ("ABC{r}", False),
        ("", False),
    ],
)
def test_normalise_reference(typed: str, ok: bool) -> None:
    r = _valid()
    text = typed.format(
        r=r, r4=r[:4], r4o=r[:4].replace("0", "O"), r8=r[4:8], rest=r[8:], r11=r[:11],
        wrong=r[:3] + str((int(r[3]) + 1) % 10) + r[4:], swapped=r[:5] + r[6] + r[5] + r[7:],
    )  # fmt: skip
    assert normalise_reference(text) == (r if ok else None)


def test_find_by_reference(world: World) -> None:
    complaint = world.complaint("belum_diverifikasi")
    assert find_by_reference(world.session, format_reference(complaint.reference or "")) is complaint
    assert find_by_reference(world.session, "1234") is None


# --- append-only logs and the audit trail -------------------------------------------------------


def _first(session: Session, model: type[Any]) -> Any:
    return session.scalars(select(model)).first()


@pytest.mark.parametrize("model", [StatusChange, lc.FollowUp, AuditEntry])
@pytest.mark.parametrize("change", ["update", "delete"])
def test_logs_are_append_only(world: World, model: type[Any], change: str) -> None:
    session = world.session
    complaint = world.complaint("terdisposisi")
    lc.record_follow_up(session, complaint, "Sudah.", world.liaison, settings=SETTINGS, calendar=CALENDAR)
    session.flush()
    row = _first(session, model)
    if change == "update":
        row.at = wib("2020-01-01 00:00")
    else:
        session.delete(row)
    with pytest.raises(AppendOnlyError):
        session.flush()
    session.rollback()


def test_audit_records_user_object_and_json_detail(world: World) -> None:
    complaint = world.complaint("draft")
    entry = audit(
        world.session, world.operator, "complaint.edit", complaint, now=world.now, field="title", when=world.now
    )
    world.session.flush()
    assert (entry.user_id, entry.object_type, entry.object_id, entry.at) == (
        world.operator.id, "complaint", complaint.id, world.now,
    )  # fmt: skip
    assert entry.detail == {"field": "title", "when": str(world.now)}
    login = audit(world.session, world.operator, "user.login")
    assert (login.object_type, login.object_id) == (None, None)


def test_views_of_confidential_complaints_are_audited(world: World) -> None:
    secret = world.complaint("belum_diverifikasi", confidential=True)
    public = world.complaint("belum_diverifikasi")
    assert audit_view(world.session, world.liaison, public) is None
    entry = audit_view(world.session, world.liaison, secret, now=world.now)
    world.session.flush()
    assert entry is not None and entry.action == "complaint.view" and entry.user_id == world.liaison.id
    assert entry.object_id == secret.id


def test_every_operation_is_audited_with_its_action(world: World) -> None:
    complaint = world.complaint("draft")
    session = world.session
    lc.confirm_draft(session, complaint, world.operator, SETTINGS, world.now, calendar=CALENDAR)
    lc.verify(session, complaint, world.operator, now=world.now)
    lc.disposition(session, complaint, world.agency_a, world.operator, settings=SETTINGS, calendar=CALENDAR)
    lc.record_follow_up(session, complaint, "Sudah diperbaiki.", world.liaison, settings=SETTINGS, calendar=CALENDAR)
    lc.close(session, complaint, world.operator)
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_id == complaint.id).order_by(AuditEntry.id)
    ).all()
    assert actions == [
        "complaint.confirm", "complaint.verify", "complaint.disposition", "complaint.follow_up", "complaint.close",
    ]  # fmt: skip
