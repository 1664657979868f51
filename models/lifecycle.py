"""The SP4N-LAPOR! lifecycle of a complaint: a table of operations, each a plain function on a session.

Every operation checks the current status against the table, moves the status with a compare-and-set
(two operators clicking at once cannot both succeed), appends a StatusChange and an audit entry, and
keeps `Complaint.due_at` (the running time limit) up to date. The caller commits. Role checks belong
to the web layer; `by=None` means the system (the auto-close job).

Time limits (Settings.sla_*_days, counted in working days, see models.calendar):
- verification and disposition: from `received_at`;
- OPD follow-up: from `dispositioned_at` (each disposition, re-route or return restarts it);
- automatic closure: from `follow_up_at` when the reporter does not respond.
Time spent in `tunda` extends the limit of the stage it interrupted by the working days it lasted;
`tunda` and `bukan_wewenang` have no running limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy import ColumnElement, DateTime, ForeignKey, Text, and_, select, update
from sqlalchemy.orm import Mapped, Session, attributes, mapped_column, relationship, selectinload

from models.audit import append_only, audit
from models.base import Base, utcnow
from models.calendar import WorkingCalendar
from models.config import Settings
from models.entities import Agency, Complaint, StatusChange, User
from models.errors import SuaraError
from models.refs import format_reference, new_reference
from models.status import OBLIGATION_STAGES, STAGE_OF_STATUS, LabelledEnum, Stage, Status


class RejectReason(LabelledEnum):
    BUKAN_PENGADUAN = "bukan_pengaduan", "Bukan pengaduan"
    SALAH_SAMBUNG = "salah_sambung", "Salah sambung"
    UJI_COBA = "uji_coba", "Uji coba"
    DUPLIKAT = "duplikat", "Duplikat"


S = Status
_OPEN_BEFORE_DISPOSITION = frozenset({S.BELUM_DIVERIFIKASI, S.TERVERIFIKASI})

OPERATIONS: dict[str, tuple[frozenset[Status], Status | None]] = {
    "confirm": (frozenset({S.DRAFT}), S.BELUM_DIVERIFIKASI),
    "reject": (frozenset({S.DRAFT}), S.DITOLAK),
    "verify": (frozenset({S.BELUM_DIVERIFIKASI}), S.TERVERIFIKASI),
    "disposition": (frozenset({S.TERVERIFIKASI}), S.TERDISPOSISI),
    "follow_up": (frozenset({S.TERDISPOSISI, S.DITINDAKLANJUTI}), S.DITINDAKLANJUTI),
    "return_to_agency": (frozenset({S.DITINDAKLANJUTI}), S.TERDISPOSISI),
    "close": (frozenset({S.DITINDAKLANJUTI}), S.SELESAI),
    "pause": (_OPEN_BEFORE_DISPOSITION | {S.TERDISPOSISI, S.DITINDAKLANJUTI}, S.TUNDA),
    "resume": (frozenset({S.TUNDA}), None),
    "not_competent": (_OPEN_BEFORE_DISPOSITION | {S.TERDISPOSISI}, S.BUKAN_WEWENANG),
    "reroute": (frozenset({S.TERDISPOSISI, S.BUKAN_WEWENANG}), S.TERDISPOSISI),
    "archive": (_OPEN_BEFORE_DISPOSITION | {S.TERDISPOSISI, S.TUNDA, S.BUKAN_WEWENANG}, S.ARSIP),
}
"""operation -> (statuses it may start from, status it leads to); resume returns to the status before tunda."""

TRANSITIONS: dict[Status, frozenset[Status]] = {
    status: frozenset(
        target
        for sources, to in OPERATIONS.values()
        if status in sources
        for target in ((to,) if to is not None else OPERATIONS["pause"][0])
    )
    for status in Status
}
"""Every legal status change, derived from OPERATIONS."""

TERMINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets)


def status_label(status: str) -> str:
    """The Indonesian label of a status key (the key itself when unknown)."""
    try:
        return Status(status).label
    except ValueError:
        return status


def allowed_operations(status: str) -> list[str]:
    """The operations that may start from `status`, for the buttons a page offers."""
    return [name for name, (sources, _) in OPERATIONS.items() if status in sources]


def can_transition(from_status: str, to_status: str) -> bool:
    """Whether the table allows the change."""
    try:
        return Status(to_status) in TRANSITIONS[Status(from_status)]
    except ValueError:
        return False


# --- errors -------------------------------------------------------------------------------------


class LifecycleError(SuaraError):
    code = "lifecycle_error"
    message_id = "Perubahan status pengaduan tidak dapat dilakukan."
    http_status = 409


class IllegalTransition(LifecycleError):
    code = "illegal_transition"

    def __init__(self, from_status: str, to_status: str | None) -> None:
        self.from_status, self.to_status = from_status, to_status
        target = status_label(to_status) if to_status else "status sebelum ditunda"
        super().__init__(
            f"{from_status} -> {to_status or 'resume'}",
            message_id=f'Status pengaduan tidak dapat diubah dari "{status_label(from_status)}" ke "{target}".',
        )


class ConcurrentChange(LifecycleError):
    code = "concurrent_change"
    message_id = "Pengaduan ini baru saja diubah oleh pengguna lain. Muat ulang halaman lalu coba lagi."


class NoteRequired(LifecycleError):
    code = "note_required"
    message_id = "Alasan atau isi wajib diisi."
    http_status = 400


class InvalidRejectReason(LifecycleError):
    code = "invalid_reject_reason"
    message_id = "Alasan penolakan harus salah satu dari: " + ", ".join(r.label for r in RejectReason) + "."
    http_status = 400


class InvalidAgency(LifecycleError):
    code = "invalid_agency"
    message_id = "OPD tujuan tidak aktif atau sama dengan OPD saat ini."
    http_status = 400


class InvalidMerge(LifecycleError):
    code = "invalid_merge"
    message_id = "Pengaduan tidak dapat digabungkan ke pengaduan tersebut."
    http_status = 400


# --- the follow-up record -----------------------------------------------------------------------


class FollowUp(Base):
    """An OPD's answer (tindak lanjut) to a complaint. Append-only: a correction is a new answer."""

    __tablename__ = "follow_up"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    complaint: Mapped[Complaint] = relationship()
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    by_user: Mapped[User | None] = relationship()
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


append_only(FollowUp, "follow-ups")


def follow_ups(session: Session, complaint: Complaint) -> list[FollowUp]:
    """The complaint's follow-ups, oldest first."""
    return list(session.scalars(select(FollowUp).where(FollowUp.complaint_id == complaint.id).order_by(FollowUp.id)))


# --- time limits --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueDates:
    """The limits of each stage (naive UTC instants, None when the stage has not started or is paused)."""

    verify_due: datetime | None
    """Verification and disposition."""
    follow_up_due: datetime | None
    auto_close_at: datetime | None
    current: datetime | None
    """The limit that runs in the current status (what `Complaint.due_at` holds)."""


@dataclass(frozen=True)
class SlaState:
    stage: Stage | None
    due_at: datetime | None
    overdue: bool
    days_left: int | None
    """Working days left after today up to the due day: 0 on the due day, negative once late."""


def _pauses(history: Sequence[StatusChange]) -> list[tuple[datetime, datetime | None]]:
    pauses: list[tuple[datetime, datetime | None]] = []
    for change in history:
        if change.to_status == S.TUNDA:
            pauses.append((change.at, None))
        elif change.from_status == S.TUNDA and pauses and pauses[-1][1] is None:
            pauses[-1] = (pauses[-1][0], change.at)
    return pauses


def _limit(
    calendar: WorkingCalendar,
    start: datetime | None,
    days: int,
    pauses: list[tuple[datetime, datetime | None]],
    until: datetime | None,
) -> datetime | None:
    if start is None:
        return None
    extra = 0
    for paused, resumed in pauses:
        if paused < start or (until is not None and paused >= until):
            continue
        if resumed is None:
            return None
        extra += calendar.working_days_between(paused, resumed)
    return calendar.add_working_days(start, days + extra)


def verification_due(received_at: datetime, calendar: WorkingCalendar, settings: Settings) -> datetime:
    """The verification limit of a complaint received then, without pauses (a draft's: it runs from receipt)."""
    return calendar.add_working_days(received_at, settings.sla_verify_days)


def due_dates(
    complaint: Complaint, history: Sequence[StatusChange], calendar: WorkingCalendar, settings: Settings
) -> DueDates:
    """Every stage's limit, from the complaint's timestamps and the pauses in its history."""
    pauses = _pauses(history)
    first_disposition = next((c.at for c in history if c.to_status == S.TERDISPOSISI), None)
    dispositioned, followed_up = complaint.dispositioned_at, complaint.follow_up_at
    answered_after = followed_up if dispositioned and followed_up and followed_up >= dispositioned else None
    verify_due = _limit(calendar, complaint.received_at, settings.sla_verify_days, pauses, first_disposition)
    follow_up_due = _limit(calendar, dispositioned, settings.sla_followup_days, pauses, answered_after)
    auto_close_at = _limit(calendar, followed_up, settings.sla_autoclose_days, pauses, complaint.closed_at)
    stage = STAGE_OF_STATUS.get(Status(complaint.status))
    current = {Stage.VERIFIKASI: verify_due, Stage.TINDAK_LANJUT: follow_up_due, Stage.TUTUP_OTOMATIS: auto_close_at}
    return DueDates(verify_due, follow_up_due, auto_close_at, current.get(stage) if stage else None)


def is_overdue(complaint: Complaint, now: datetime) -> bool:
    """Past the stored limit of a stage where a person must act."""
    stage = STAGE_OF_STATUS.get(Status(complaint.status))
    return stage in OBLIGATION_STAGES and complaint.due_at is not None and now >= complaint.due_at


def sla_state(complaint: Complaint, now: datetime, calendar: WorkingCalendar) -> SlaState:
    """Stage, limit, lateness and working days left, from the stored `due_at` (cheap enough for every list row)."""
    stage = STAGE_OF_STATUS.get(Status(complaint.status))
    due = complaint.due_at if stage else None
    if due is None:
        return SlaState(stage, None, False, None)
    # due is midnight after the due day; step back an instant so the due day itself is the last day.
    days_left = calendar.working_days_between(now, due - timedelta(microseconds=1))
    return SlaState(stage, due, is_overdue(complaint, now), days_left)


def dispositioned_to(agency_id: int) -> ColumnElement[bool]:
    """SQL condition: the complaints sent to this agency, by a disposition or re-route (`dispositioned_at`), and not
    sent on since. The OPD the drafter or the operator fills in before the disposition sends nothing."""
    return and_(Complaint.agency_id == agency_id, Complaint.dispositioned_at.is_not(None))


def is_dispositioned_to(complaint: Complaint, agency_id: int | None) -> bool:
    """The same rule as `dispositioned_to`, for a loaded row."""
    return agency_id is not None and complaint.agency_id == agency_id and complaint.dispositioned_at is not None


def overdue_filter(now: datetime, agency_id: int | None = None) -> ColumnElement[bool]:
    """SQL condition for "terlambat", served by the index on due_at.

    With `agency_id`: what that agency itself is late on, the follow-up of a complaint dispositioned to it. A late
    verification or disposition is the coordinators' delay, whatever OPD the complaint already names."""
    if agency_id is None:
        return and_(Complaint.due_at <= now, Complaint.status.in_(sorted(Status.OVERDUE_COUNTED)))
    return and_(Complaint.due_at <= now, Complaint.status.in_(sorted(Status.AGENCY_OVERDUE_COUNTED)), dispositioned_to(agency_id))


def refresh_due(
    session: Session, complaint: Complaint, settings: Settings, calendar: WorkingCalendar | None = None
) -> datetime | None:
    """Recompute and store `complaint.due_at` (after holidays or the settings changed)."""
    calendar = calendar or WorkingCalendar.load(session)
    complaint.due_at = due_dates(complaint, complaint.history, calendar, settings).current
    return complaint.due_at


def refresh_open_due_dates(session: Session, settings: Settings, calendar: WorkingCalendar | None = None) -> int:
    """Recompute `due_at` of every complaint with a running limit; returns how many changed."""
    calendar = calendar or WorkingCalendar.load(session)
    open_complaints = session.scalars(
        select(Complaint)
        .where(Complaint.status.in_(sorted(Status.LIMITED)))
        .options(selectinload(Complaint.history))
    ).all()
    changed = 0
    for complaint in open_complaints:
        before = complaint.due_at
        changed += refresh_due(session, complaint, settings, calendar) != before
    return changed


# --- moving a complaint -------------------------------------------------------------------------


def _require(complaint: Complaint, operation: str) -> Status:
    sources, target = OPERATIONS[operation]
    current = Status(complaint.status or Status.DRAFT)  # a new, unflushed complaint has the column default
    if current not in sources:
        raise IllegalTransition(current, target)
    return current


class InvalidTrackingId(LifecycleError):
    code = "invalid_tracking_id"
    message_id = "Nomor pelacakan LAPOR! harus 3–40 karakter: huruf, angka, tanda hubung atau garis miring."
    http_status = 400


_TRACKING = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/.]{2,39}")


def _valid_tracking(tracking_id: str) -> str:
    tracking_id = tracking_id.strip()
    if not _TRACKING.fullmatch(tracking_id):
        raise InvalidTrackingId(f"bad tracking id {tracking_id!r}")
    return tracking_id


def record_lapor_tracking(session: Session, complaint: Complaint, tracking_id: str, by: User | None) -> bool:
    """Store the national LAPOR! tracking number, audited; True when it changed. Re-entering the same number is a
    no-op. The only way the number is written."""
    tracking_id = _valid_tracking(tracking_id)
    if complaint.reference is None or complaint.status not in Status.CONFIRMED:
        raise InvalidTrackingId(f"complaint {complaint.id} is not confirmed")
    if complaint.lapor_tracking_id == tracking_id:
        return False
    previous = complaint.lapor_tracking_id
    complaint.lapor_tracking_id = tracking_id
    audit(session, by, "complaint.lapor_tracking", complaint, tracking_id=tracking_id, previous=previous)
    return True


def _need_text(text: str | None) -> str:
    if text is None or not text.strip():
        raise NoteRequired("a note/text is required")
    return text.strip()


def _move(
    session: Session,
    complaint: Complaint,
    target: Status,
    by: User | None,
    note: str | None,
    now: datetime,
    action: str,
    **detail: object,
) -> StatusChange:
    session.add(complaint)
    session.flush()
    current = complaint.status
    # Compare-and-set: only one of two concurrent requests can move the same status.
    result = session.execute(
        update(Complaint)
        .where(Complaint.id == complaint.id, Complaint.status == current)
        .values(status=target.value)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ConcurrentChange(f"complaint {complaint.id} is no longer {current}")
    attributes.set_committed_value(complaint, "status", target.value)
    change = StatusChange(
        complaint=complaint, from_status=current, to_status=target.value, by_user=by, note=note, at=now
    )
    session.add(change)
    audit(session, by, action, complaint, now=now, from_status=current, to_status=target.value, note=note, **detail)
    return change


def open_draft(session: Session, complaint: Complaint, note: str, now: datetime | None = None) -> StatusChange:
    """A new draft complaint (from a call): its first change (none -> draft) and its audit entry. The caller commits."""
    if complaint.status != S.DRAFT:
        raise IllegalTransition(complaint.status, S.DRAFT)
    now = now or utcnow()
    session.add(complaint)
    session.flush()
    change = StatusChange(complaint=complaint, from_status=None, to_status=S.DRAFT.value, by_user=None, note=note, at=now)
    session.add(change)
    audit(session, None, "complaint.drafted", complaint, now=now, to_status=S.DRAFT.value, note=note)
    return change


def confirm_draft(
    session: Session,
    complaint: Complaint,
    by: User | None,
    settings: Settings,
    now: datetime | None = None,
    *,
    note: str | None = None,
    calendar: WorkingCalendar | None = None,
) -> StatusChange:
    """Draft -> belum diverifikasi: assigns the public reference and starts the verification limit."""
    now = now or utcnow()
    _require(complaint, "confirm")
    if complaint.received_at is None:
        complaint.received_at = complaint.call.received_at if complaint.call is not None else now
    if not complaint.reference:
        complaint.reference = new_reference(session, now)
    change = _move(session, complaint, S.BELUM_DIVERIFIKASI, by, note, now, "complaint.confirm")
    refresh_due(session, complaint, settings, calendar)
    return change


def reject_draft(
    session: Session,
    complaint: Complaint,
    reason: str,
    by: User | None,
    note: str | None = None,
    now: datetime | None = None,
) -> StatusChange:
    """Draft -> ditolak, with one of the RejectReason keys."""
    try:
        reason_key = RejectReason(reason)
    except ValueError:
        raise InvalidRejectReason(f"unknown reject reason {reason!r}") from None
    _require(complaint, "reject")
    complaint.reject_reason = reason_key.value
    complaint.due_at = None
    text = reason_key.label + (f": {note.strip()}" if note and note.strip() else "")
    now = now or utcnow()
    return _move(session, complaint, S.DITOLAK, by, text, now, "complaint.reject", reason=reason_key.value)


def verify(
    session: Session, complaint: Complaint, by: User | None, note: str | None = None, now: datetime | None = None
) -> StatusChange:
    """Belum diverifikasi -> terverifikasi; the verification-and-disposition limit keeps running."""
    _require(complaint, "verify")
    return _move(session, complaint, S.TERVERIFIKASI, by, note, now or utcnow(), "complaint.verify")


def _send_to_agency(
    session: Session,
    complaint: Complaint,
    agency: Agency,
    by: User | None,
    note: str | None,
    operation: str,
    settings: Settings,
    now: datetime | None,
    calendar: WorkingCalendar | None,
) -> StatusChange:
    now = now or utcnow()
    current = _require(complaint, operation)
    # Re-routing a terdisposisi complaint to its own OPD changes nothing; after "bukan wewenang" the
    # operator may overrule the OPD and send it back.
    same_allowed = operation == "disposition" or current == S.BUKAN_WEWENANG
    if not agency.active or (not same_allowed and complaint.agency_id == agency.id):
        raise InvalidAgency(f"agency {agency.key} is inactive or already assigned")
    previous = complaint.agency.key if complaint.agency is not None else None
    complaint.agency, complaint.dispositioned_at = agency, now
    change = _move(
        session, complaint, S.TERDISPOSISI, by, note, now, f"complaint.{operation}",
        agency=agency.key, previous_agency=previous,
    )  # fmt: skip
    refresh_due(session, complaint, settings, calendar)
    return change


def disposition(
    session: Session,
    complaint: Complaint,
    agency: Agency,
    by: User | None,
    note: str | None = None,
    *,
    settings: Settings,
    now: datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> StatusChange:
    """Terverifikasi -> terdisposisi to an OPD; starts the follow-up limit."""
    return _send_to_agency(session, complaint, agency, by, note, "disposition", settings, now, calendar)


def reroute(
    session: Session,
    complaint: Complaint,
    agency: Agency,
    by: User | None,
    note: str | None = None,
    *,
    settings: Settings,
    now: datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> StatusChange:
    """Bukan wewenang (or terdisposisi) -> terdisposisi to another OPD; restarts the follow-up limit."""
    return _send_to_agency(session, complaint, agency, by, note, "reroute", settings, now, calendar)


def record_follow_up(
    session: Session,
    complaint: Complaint,
    text: str,
    by: User | None,
    *,
    settings: Settings,
    now: datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> FollowUp:
    """The OPD's answer: terdisposisi (or ditindaklanjuti, for a further answer) -> ditindaklanjuti."""
    now = now or utcnow()
    _require(complaint, "follow_up")
    answer = FollowUp(complaint=complaint, by_user=by, text=_need_text(text), at=now)
    session.add(answer)
    session.flush()
    complaint.follow_up_at = now
    _move(session, complaint, S.DITINDAKLANJUTI, by, None, now, "complaint.follow_up", follow_up_id=answer.id)
    refresh_due(session, complaint, settings, calendar)
    return answer


def return_to_agency(
    session: Session,
    complaint: Complaint,
    by: User | None,
    note: str,
    *,
    settings: Settings,
    now: datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> StatusChange:
    """Ditindaklanjuti -> terdisposisi when the reporter or operator finds the answer insufficient."""
    now = now or utcnow()
    _require(complaint, "return_to_agency")
    complaint.dispositioned_at = now
    change = _move(session, complaint, S.TERDISPOSISI, by, _need_text(note), now, "complaint.return_to_agency")
    refresh_due(session, complaint, settings, calendar)
    return change


def close(
    session: Session,
    complaint: Complaint,
    by: User | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> StatusChange:
    """Ditindaklanjuti -> selesai (by an operator, or by the system when `by` is None)."""
    now = now or utcnow()
    _require(complaint, "close")
    complaint.closed_at, complaint.due_at = now, None
    return _move(session, complaint, S.SELESAI, by, note, now, "complaint.close")


def pause(
    session: Session, complaint: Complaint, by: User | None, note: str, now: datetime | None = None
) -> StatusChange:
    """-> tunda with a reason; the running limit stops until resume."""
    _require(complaint, "pause")
    complaint.due_at = None
    return _move(session, complaint, S.TUNDA, by, _need_text(note), now or utcnow(), "complaint.pause")


def resume(
    session: Session,
    complaint: Complaint,
    by: User | None,
    note: str | None = None,
    *,
    settings: Settings,
    now: datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> StatusChange:
    """Tunda -> the status it was paused from; that stage's limit is extended by the working days paused."""
    _require(complaint, "resume")
    paused_from = next((c.from_status for c in reversed(complaint.history) if c.to_status == S.TUNDA), None)
    if paused_from is None:
        raise LifecycleError(f"complaint {complaint.id} is tunda without a pause in its history")
    change = _move(session, complaint, Status(paused_from), by, note, now or utcnow(), "complaint.resume")
    refresh_due(session, complaint, settings, calendar)
    return change


def mark_not_competent(
    session: Session,
    complaint: Complaint,
    by: User | None,
    note: str,
    forward_national: bool = False,
    *,
    lapor_tracking_id: str | None = None,
    now: datetime | None = None,
) -> StatusChange:
    """-> bukan wewenang, to be re-routed to another OPD or, with `forward_national`, sent on to national LAPOR!."""
    _require(complaint, "not_competent")
    text = _need_text(note)
    tracking = _valid_tracking(lapor_tracking_id) if forward_national and lapor_tracking_id else None
    if forward_national:
        text = f"Diteruskan ke LAPOR! nasional: {text}"
    complaint.due_at = None
    change = _move(
        session,
        complaint,
        S.BUKAN_WEWENANG,
        by,
        text,
        now or utcnow(),
        "complaint.not_competent",
        forward_national=forward_national,
        lapor_tracking_id=tracking or complaint.lapor_tracking_id,
    )
    if tracking:
        record_lapor_tracking(session, complaint, tracking, by)
    return change


def archive(
    session: Session, complaint: Complaint, by: User | None, note: str, now: datetime | None = None
) -> StatusChange:
    """-> arsip with a reason (handling ends without an answer: unclear, unreachable reporter, forwarded)."""
    _require(complaint, "archive")
    complaint.due_at = None
    return _move(session, complaint, S.ARSIP, by, _need_text(note), now or utcnow(), "complaint.archive")


def merge_duplicate(
    session: Session, duplicate: Complaint, into: Complaint, by: User | None, now: datetime | None = None
) -> StatusChange:
    """Mark `duplicate` as a duplicate of `into` (or of the original `into` duplicates).

    A draft is rejected with reason "duplikat", a confirmed complaint archived.
    """
    now = now or utcnow()
    session.add_all([duplicate, into])
    session.flush()
    original, seen = into, {duplicate.id}
    while original.duplicate_of_id is not None and original.id not in seen:
        seen.add(original.id)
        original = session.get_one(Complaint, original.duplicate_of_id)
    if original.id in seen or original.status in (S.DITOLAK, S.ARSIP):
        raise InvalidMerge(f"cannot merge complaint {duplicate.id} into {into.id}")
    operation = "reject" if duplicate.status == S.DRAFT else "archive"
    _require(duplicate, operation)
    label = format_reference(original.reference) if original.reference else f"#{original.id}"
    note = f"Duplikat dari {label}"
    duplicate.duplicate_of_id, duplicate.due_at = original.id, None
    if operation == "reject":
        duplicate.reject_reason = RejectReason.DUPLIKAT.value
    target = S.DITOLAK if operation == "reject" else S.ARSIP
    return _move(session, duplicate, target, by, note, now, "complaint.merge", into=original.id)


def auto_close_due(
    session: Session, now: datetime, calendar: WorkingCalendar, settings: Settings
) -> list[Complaint]:
    """Close, as the system, every answered complaint whose reporter did not respond within the auto-close limit."""
    # n working days are at least n calendar days, so this bound only narrows the candidates.
    cutoff = now - timedelta(days=settings.sla_autoclose_days)
    candidates = session.scalars(
        select(Complaint)
        .where(Complaint.status == S.DITINDAKLANJUTI.value, Complaint.follow_up_at <= cutoff)
        .options(selectinload(Complaint.history))
        .order_by(Complaint.id)
    ).all()
    note = (
        f"Ditutup otomatis: pelapor tidak menanggapi tindak lanjut dalam {settings.sla_autoclose_days} hari kerja."
    )
    closed = []
    for complaint in candidates:
        deadline = due_dates(complaint, complaint.history, calendar, settings).auto_close_at
        if deadline is not None and deadline <= now:
            close(session, complaint, None, note, now)
            closed.append(complaint)
    return closed
