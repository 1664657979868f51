"""Figures for the dashboard, priority issues, the transparency page and the weekly report, kept incrementally.

Design: every complaint has one `ComplaintFact` row, a snapshot of what it contributes to the figures
(its local day of receipt, channel, topic, agency, kecamatan, status, urgency, rating, time-limit
compliance, issue). `DailyCount` holds the sums of those contributions per (scope, dimension, day,
value) and `IssueDaily` per (issue, day). Every session made by `models.db.session_factory` (the web app,
`suara worker`, every command) carries the listeners of `keep_current`: after each flush they look at the
complaints touched (changed Complaint rows, and new StatusChange rows, because the lifecycle moves the status
with a Core UPDATE), recompute their facts and add the difference old → new to the counters; before the
commit they place newly counted complaints into issues. All in the same transaction. A new complaint therefore costs a handful of small UPDATEs, never a recount, and
the pages read a few thousand pre-summed rows instead of 100 000 complaints.

Scopes: every contribution is counted regency-wide (scope 0) and again under its agency (scope =
agency id), so an OPD's dashboard reads only its own rows. Audiences: every row exists twice, once counting
all complaints (`public` false: coordinators and liaisons) and once without confidential ones (`public` true:
viewers' breakdowns and the transparency page), so no audience's page recounts complaints. A confidential flag
set or cleared changes the fact, which moves the complaint's contribution in or out of the public rows.

Time-limit compliance is decided at the moment a complaint leaves a stage, against the limit it had
then (the fact's `due_at`, which includes pauses): dispositioned by the verification limit (3 working
days), answered by the follow-up limit (5 working days). The first decision sticks. A complaint still waiting
past its limit is late from the moment the limit passes: `totals` adds the complaints of the period that the overdue
index finds waiting in their stage (`Measures.verify_overdue`, `answer_overdue`) to the decided ones, so every share
("≤ 3 / ≤ 5 hari kerja") is on time out of decided (acted on, or late); one still within its limit counts neither way.

Writers that bypass the ORM (bulk loads, raw SQL) must call `rebuild` afterwards; it recomputes every
fact and counter, with limits from the working calendar (pauses ignored).

Time-dependent figures ("overdue now") are not stored: they are read live with `lifecycle.overdue_filter`,
served by the index on `complaint.due_at`.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Sequence

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    UniqueConstraint,
    and_,
    case,
    delete,
    event,
    false,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from models import issues as issues_mod
from models.base import Base, utcnow
from models.calendar import WorkingCalendar, local_date
from models.config import Settings
from models.entities import Agency, Complaint, Place, StatusChange, Topic
from models.lifecycle import overdue_filter
from models.status import STAGE_OF_STATUS, Stage, Status

log = logging.getLogger(__name__)

VERIFY_STAGE = frozenset(s for s, stage in STAGE_OF_STATUS.items() if stage is Stage.VERIFIKASI) & Status.CONFIRMED
"""Confirmed statuses whose running limit is the verification limit."""
RATINGS = ("sangat_puas", "puas", "cukup_puas", "tidak_puas")
RATING_LABELS = {"sangat_puas": "Sangat Puas", "puas": "Puas", "cukup_puas": "Cukup Puas", "tidak_puas": "Tidak Puas"}
DIMENSIONS = ("semua", "channel", "topic", "agency", "kecamatan")
"""What daily counts are broken down by (`semua`: the whole regency or agency)."""
MEASURES = (
    "complaints", "urgent", "open", "closed",
    "dispositioned", "dispositioned_on_time", "answered", "answered_on_time",
    *RATINGS,
)  # fmt: skip
WAITING = ("verify_overdue", "answer_overdue")
"""Not stored, read live by `totals`: counted complaints of the period past the limit of their stage right now
and not yet acted on (verification and disposition; the agency's follow-up)."""
ANSWER_STAGE = frozenset(s for s, stage in STAGE_OF_STATUS.items() if stage is Stage.TINDAK_LANJUT) & Status.CONFIRMED
"""Confirmed statuses whose running limit is the follow-up limit."""
REGENCY = 0
"""Scope of the regency-wide counters."""


class ComplaintFact(Base):
    """What one complaint contributes to the counters (the last snapshot counted)."""

    __tablename__ = "analytics_complaint_fact"
    __table_args__ = (Index("ix_analytics_complaint_fact_issue_day", "issue_id", "day"),)
    complaint_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    """The complaint's id (no foreign key: the fact must outlive a deleted complaint until it is subtracted)."""
    day: Mapped[date] = mapped_column(Date, index=True)
    """Local (WIB) day the complaint was received."""
    channel: Mapped[str] = mapped_column(String(12))
    topic_id: Mapped[int] = mapped_column(Integer)
    """0 = none, for every id column here."""
    agency_id: Mapped[int] = mapped_column(Integer)
    kecamatan_id: Mapped[int] = mapped_column(Integer)
    place_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24))
    counted: Mapped[bool] = mapped_column(Boolean)
    urgent: Mapped[bool] = mapped_column(Boolean)
    rating: Mapped[str | None] = mapped_column(String(20))
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    verify_on_time: Mapped[bool | None] = mapped_column(Boolean)
    """None until dispositioned; then whether it was dispositioned within the verification limit."""
    answer_on_time: Mapped[bool | None] = mapped_column(Boolean)
    """None until answered; then whether the first answer came within the follow-up limit."""
    issue_id: Mapped[int | None] = mapped_column(Integer)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Counted only in the rows of all complaints, never in the public ones."""


class DailyCount(Base):
    """Sums of complaint contributions per scope (0 = regency, else agency id), audience, dimension, local day and
    value."""

    __tablename__ = "analytics_daily"
    __table_args__ = (UniqueConstraint("scope", "public", "dimension", "day", "value"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[int] = mapped_column(Integer)
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """True: without confidential complaints (what viewers and the public may count); false: all complaints."""
    dimension: Mapped[str] = mapped_column(String(12))
    day: Mapped[date] = mapped_column(Date)
    week: Mapped[date] = mapped_column(Date)
    """The Monday of `day`'s week, so long periods are summed per week in SQL."""
    value: Mapped[str] = mapped_column(String(40))
    """Channel key, or topic/agency/kecamatan id as text ("0" = none); "" for dimension "semua"."""
    complaints: Mapped[int] = mapped_column(Integer, default=0)
    urgent: Mapped[int] = mapped_column(Integer, default=0)
    open: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    dispositioned: Mapped[int] = mapped_column(Integer, default=0)
    dispositioned_on_time: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    answered_on_time: Mapped[int] = mapped_column(Integer, default=0)
    sangat_puas: Mapped[int] = mapped_column(Integer, default=0)
    puas: Mapped[int] = mapped_column(Integer, default=0)
    cukup_puas: Mapped[int] = mapped_column(Integer, default=0)
    tidak_puas: Mapped[int] = mapped_column(Integer, default=0)


Index(
    "ix_complaint_overdue_cover", Complaint.status, Complaint.due_at, Complaint.agency_id, Complaint.place_id,
    Complaint.confidential,
)
"""Covers `overdue_now` (status IN open statuses AND due_at <= now, grouped by agency or place; for viewers not
confidential) without table reads."""


class IssueDaily(Base):
    """Complaints (and urgent ones) per issue and local day of receipt."""

    __tablename__ = "analytics_issue_daily"
    issue_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    complaints: Mapped[int] = mapped_column(Integer, default=0)
    urgent: Mapped[int] = mapped_column(Integer, default=0)


# -- facts ---------------------------------------------------------------------------------------



def _vector(fact: dict[str, Any] | None) -> tuple[int, ...]:
    if fact is None or not fact["counted"]:
        return (0,) * len(MEASURES)
    verify, answer, rating = fact["verify_on_time"], fact["answer_on_time"], fact["rating"]
    return (
        1, int(fact["urgent"]), int(fact["status"] in Status.OPEN), int(fact["status"] == Status.SELESAI),
        int(verify is not None), int(verify is True), int(answer is not None), int(answer is True),
        *(int(rating == r) for r in RATINGS),
    )  # fmt: skip


def _keys(fact: dict[str, Any]) -> list[tuple[int, bool, str, str]]:
    """(scope, public, dimension, value) of every DailyCount row the fact counts in."""
    values = {
        "semua": "", "channel": fact["channel"], "topic": str(fact["topic_id"]),
        "agency": str(fact["agency_id"]), "kecamatan": str(fact["kecamatan_id"]),
    }  # fmt: skip
    scopes = (REGENCY, fact["agency_id"]) if fact["agency_id"] else (REGENCY,)
    audiences = (False,) if fact["confidential"] else (False, True)
    return [(scope, public, dim, value) for scope in scopes for public in audiences for dim, value in values.items()]


def _current_rows(connection: Connection, ids: Iterable[int]) -> dict[int, Any]:
    kecamatan = func.coalesce(Place.parent_id, Place.id)
    query = (
        select(
            Complaint.id, Complaint.status, Complaint.channel, Complaint.topic_id, Complaint.agency_id,
            Complaint.place_id, kecamatan.label("kecamatan_id"), Complaint.received_at, Complaint.created_at,
            Complaint.urgent, Complaint.rating, Complaint.due_at, Complaint.dispositioned_at,
            Complaint.follow_up_at, Complaint.title, Complaint.description, Complaint.reporter_name,
            Complaint.confidential,
        )
        .outerjoin(Place, Place.id == Complaint.place_id)
        .where(Complaint.id.in_(list(ids)))
    )  # fmt: skip
    return {row.id: row for row in connection.execute(query)}


def _facts(connection: Connection, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    rows = connection.execute(select(ComplaintFact).where(ComplaintFact.complaint_id.in_(list(ids)))).mappings()
    return {row["complaint_id"]: dict(row) for row in rows}


def _on_time(done_at: datetime | None, limit: datetime | None, decided: bool | None) -> bool | None:
    if decided is not None or done_at is None:
        return decided
    return limit is None or done_at <= limit  # no known limit (imported already handled): counted as on time


def fact_of(row: Any, old: dict[str, Any] | None) -> dict[str, Any]:
    """The new snapshot of a complaint row, deciding compliance against the limits in the old snapshot."""
    old_status, old_due = (old["status"], old["due_at"]) if old else (None, None)
    verify_limit = old_due if old_status in VERIFY_STAGE else None
    answer_limit = old_due if old_status == Status.TERDISPOSISI else None
    return dict(
        complaint_id=row.id,
        day=local_date(row.received_at or row.created_at or utcnow()),
        channel=row.channel or "",
        topic_id=row.topic_id or 0,
        agency_id=row.agency_id or 0,
        kecamatan_id=row.kecamatan_id or 0,
        place_id=row.place_id or 0,
        status=row.status,
        counted=row.status in Status.CONFIRMED,
        urgent=bool(row.urgent),
        rating=row.rating if row.rating in RATINGS else None,
        due_at=row.due_at,
        verify_on_time=_on_time(row.dispositioned_at, verify_limit, old["verify_on_time"] if old else None),
        answer_on_time=_on_time(row.follow_up_at, answer_limit, old["answer_on_time"] if old else None),
        issue_id=old["issue_id"] if old else None,
        confidential=bool(row.confidential),
    )


def _add(deltas: dict, key: tuple, vector: Sequence[int], sign: int) -> None:
    current = deltas.get(key)
    signed = [sign * v for v in vector]
    deltas[key] = signed if current is None else [a + b for a, b in zip(current, signed)]


def _apply_daily(connection: Connection, deltas: dict[tuple[int, bool, str, date, str], list[int]]) -> None:
    table = DailyCount.__table__
    for (scope, public, dim, day, value), delta in deltas.items():
        if not any(delta):
            continue
        where = ((table.c.scope == scope) & (table.c.public == public) & (table.c.dimension == dim)
                 & (table.c.day == day) & (table.c.value == value))  # fmt: skip
        changes = {m: table.c[m] + d for m, d in zip(MEASURES, delta) if d}
        if connection.execute(update(table).where(where).values(changes)).rowcount == 0:
            connection.execute(
                insert(table).values(
                    scope=scope, public=public, dimension=dim, day=day, week=monday_of(day), value=value,
                    **dict(zip(MEASURES, delta)),
                )
            )


def _apply_issue_daily(connection: Connection, deltas: dict[tuple[int, date], list[int]]) -> None:
    table = IssueDaily.__table__
    for (issue_id, day), (n, urgent) in deltas.items():
        if not (n or urgent):
            continue
        where = (table.c.issue_id == issue_id) & (table.c.day == day)
        values = {"complaints": table.c.complaints + n, "urgent": table.c.urgent + urgent}
        if connection.execute(update(table).where(where).values(values)).rowcount == 0:
            connection.execute(insert(table).values(issue_id=issue_id, day=day, complaints=n, urgent=urgent))


def sync_complaints(connection: Connection, ids: Iterable[int], *, assign_issues: bool = True) -> int:
    """Bring the facts and counters of these complaints up to date; returns how many facts changed."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return 0
    rows, olds = _current_rows(connection, ids), _facts(connection, ids)
    daily: dict = {}
    issue_daily: dict = {}
    changed = 0
    for complaint_id in sorted(ids):
        row, old = rows.get(complaint_id), olds.get(complaint_id)
        new = fact_of(row, old) if row is not None else None
        if new is not None and assign_issues:
            _place_in_issue(connection, new, old, row)
        elif new is None and old is not None and old["issue_id"]:
            issues_mod.release(connection, old["issue_id"])
        if new == old:
            continue
        changed += 1
        for fact, sign in ((old, -1), (new, 1)):
            if fact is None:
                continue
            vector = _vector(fact)
            for scope, public, dim, value in _keys(fact):
                _add(daily, (scope, public, dim, fact["day"], value), vector, sign)
            if fact["counted"] and fact["issue_id"]:
                _add(issue_daily, (fact["issue_id"], fact["day"]), (1, int(fact["urgent"])), sign)
        table = ComplaintFact.__table__
        if new is None:
            connection.execute(delete(table).where(table.c.complaint_id == complaint_id))
        elif old is None:
            connection.execute(insert(table).values(**new))
        else:
            connection.execute(update(table).where(table.c.complaint_id == complaint_id).values(**new))
    _apply_daily(connection, daily)
    _apply_issue_daily(connection, issue_daily)
    return changed


def _place_in_issue(connection: Connection, new: dict[str, Any], old: dict[str, Any] | None, row: Any) -> None:
    """Keep the complaint's issue membership right: leave on a group change or when no longer counted; join when
    counted. A confidential complaint belongs to no issue: issue labels and counts are read beyond the operators."""
    issue_id = new["issue_id"]
    moved = old is not None and (old["topic_id"], old["kecamatan_id"]) != (new["topic_id"], new["kecamatan_id"])
    member = new["counted"] and not row.confidential
    if issue_id and (moved or not member):
        issues_mod.release(connection, issue_id)
        issue_id = None
    if issue_id is None and member:
        placement = issues_mod.assign(
            connection, issues_mod.issue_text(row.title, row.description, row.reporter_name),
            new["topic_id"], new["kecamatan_id"], new["agency_id"], place_id=new["place_id"],
        )
        issue_id = placement.issue_id
    if issue_id and new["agency_id"] and (old is None or old["agency_id"] != new["agency_id"]):
        # An issue opened before its first complaint was dispositioned belongs to no agency yet: give it this one,
        # so the agency's page lists it before the nightly recluster.
        issues_table = issues_mod.Issue.__table__
        connection.execute(update(issues_table).where(issues_table.c.id == issue_id, issues_table.c.agency_id == 0)
                           .values(agency_id=new["agency_id"]))  # fmt: skip
    new["issue_id"] = issue_id


def _touched(session: Session) -> set[int]:
    """Ids of the complaints a flush is about to write: changed Complaint rows, and new StatusChange rows (the
    lifecycle moves the status with a Core UPDATE the ORM does not see as a change of the complaint)."""
    ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Complaint):
            ids.add(obj.id)
        elif isinstance(obj, StatusChange):
            ids.add(obj.complaint_id)
    return ids


_UNPLACED = "analytics.unplaced"
"""session.info key: complaints counted in this transaction whose issue membership is not settled yet."""
_WAITING_READ = "analytics.waiting"
"""session.info key: the waiting complaints per agency already read (`_waiting`), by (period, scope, now); a page
reads them for its agency breakdown and its total at the same `now`. Emptied by every flush, commit and rollback
(`keep_current`)."""


def _count_flushed(session: Session, _flush_context: Any) -> None:
    """After a flush: counters only (a few small UPDATEs); the issue placement waits for the commit."""
    _forget_waiting(session)
    ids = _touched(session)
    if ids:
        sync_complaints(session.connection(), ids, assign_issues=False)
        session.info.setdefault(_UNPLACED, set()).update(i for i in ids if i is not None)


def _place_before_commit(session: Session) -> None:
    """Before the commit, outside any flush: put the complaints counted in this transaction into their issues."""
    session.flush()
    ids = session.info.pop(_UNPLACED, None)
    if ids:
        sync_complaints(session.connection(), ids, assign_issues=True)


def _forget_unplaced(session: Session, *_args: Any) -> None:
    session.info.pop(_UNPLACED, None)
    _forget_waiting(session)


def _forget_waiting(session: Session, *_args: Any) -> None:
    session.info.pop(_WAITING_READ, None)


_KEEPS_CURRENT = "_suara_keeps_current"
"""Attribute set on a session factory that `keep_current` has given its listeners."""


def keep_current(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Make every session of this factory keep the figures current: counters after each flush, issue placement
    before each commit, in the same transaction. `models.db.session_factory` calls it, so the web app,
    `suara worker` and every command keep figures the same way. Writers that bypass the ORM call `rebuild`."""
    # Marked on the factory, not asked of `event.contains`: SQLAlchemy's listener registry is keyed by id(), and a
    # new factory reusing a collected one's id looked as if it listened already, so its sessions kept no figures.
    if not getattr(sessions, _KEEPS_CURRENT, False):
        event.listen(sessions, "after_flush", _count_flushed)
        event.listen(sessions, "before_commit", _place_before_commit)
        event.listen(sessions, "after_rollback", _forget_unplaced)
        event.listen(sessions, "after_commit", _forget_waiting)
        setattr(sessions, _KEEPS_CURRENT, True)
    return sessions



# -- full rebuild --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RebuildResult:
    complaints: int
    daily_rows: int
    issue_daily_rows: int


def rebuild(session: Session, settings: Settings, calendar: WorkingCalendar | None = None) -> RebuildResult:
    """Recompute every fact and counter from the complaints (after bulk loads); keeps issue memberships. Caller commits."""
    calendar = calendar or WorkingCalendar.load(session)
    connection = session.connection()
    old_issue = dict(connection.execute(select(ComplaintFact.complaint_id, ComplaintFact.issue_id)).all())
    old_group = {
        r.complaint_id: (r.topic_id, r.kecamatan_id)
        for r in connection.execute(select(ComplaintFact.complaint_id, ComplaintFact.topic_id, ComplaintFact.kecamatan_id))
    }
    existing_issues = set(connection.execute(select(issues_mod.Issue.id)).scalars())
    kecamatan = func.coalesce(Place.parent_id, Place.id)
    rows = connection.execute(
        select(
            Complaint.id, Complaint.status, Complaint.channel, Complaint.topic_id, Complaint.agency_id,
            Complaint.place_id, kecamatan.label("kecamatan_id"), Complaint.received_at, Complaint.created_at,
            Complaint.urgent, Complaint.rating, Complaint.due_at, Complaint.dispositioned_at, Complaint.follow_up_at,
            Complaint.confidential,
        ).outerjoin(Place, Place.id == Complaint.place_id)
    )  # fmt: skip
    facts, daily, issue_daily = [], defaultdict(lambda: [0] * len(MEASURES)), defaultdict(lambda: [0, 0])
    for row in rows:
        fact = fact_of(row, None)
        received = row.received_at or row.created_at
        if row.dispositioned_at is not None and received is not None:
            fact["verify_on_time"] = row.dispositioned_at <= calendar.add_working_days(received, settings.sla_verify_days)
        if row.follow_up_at is not None and row.dispositioned_at is not None:
            limit = calendar.add_working_days(row.dispositioned_at, settings.sla_followup_days)
            fact["answer_on_time"] = row.follow_up_at <= limit or row.follow_up_at < row.dispositioned_at
        issue_id = old_issue.get(row.id)
        if issue_id in existing_issues and fact["counted"] and not row.confidential and old_group.get(row.id) == (fact["topic_id"], fact["kecamatan_id"]):
            fact["issue_id"] = issue_id
        facts.append(fact)
        vector = _vector(fact)
        for scope, public, dim, value in _keys(fact):
            bucket = daily[(scope, public, dim, fact["day"], value)]
            for i, v in enumerate(vector):
                bucket[i] += v
        if fact["counted"] and fact["issue_id"]:
            bucket = issue_daily[(fact["issue_id"], fact["day"])]
            bucket[0] += 1
            bucket[1] += int(fact["urgent"])
    connection.execute(delete(ComplaintFact))
    connection.execute(delete(DailyCount))
    connection.execute(delete(IssueDaily))
    for chunk in _chunks(facts, 5000):
        connection.execute(insert(ComplaintFact), chunk)
    daily_rows = [
        dict(scope=s, public=p, dimension=d, day=day, week=monday_of(day), value=v, **dict(zip(MEASURES, vec)))
        for (s, p, d, day, v), vec in daily.items()
        if any(vec)
    ]
    for chunk in _chunks(daily_rows, 5000):
        connection.execute(insert(DailyCount), chunk)
    issue_rows = [dict(issue_id=i, day=d, complaints=n, urgent=u) for (i, d), (n, u) in issue_daily.items()]
    for chunk in _chunks(issue_rows, 5000):
        connection.execute(insert(IssueDaily), chunk)
    return RebuildResult(len(facts), len(daily_rows), len(issue_rows))


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def set_issue_membership(session: Session, membership: dict[int, int | None]) -> None:
    """Store the issue of each complaint (from a recluster) and recount IssueDaily from the facts. Caller commits."""
    connection = session.connection()
    table = ComplaintFact.__table__
    connection.execute(update(table).values(issue_id=None))
    by_issue: dict[int, list[int]] = defaultdict(list)
    for complaint_id, issue_id in membership.items():
        if issue_id:
            by_issue[issue_id].append(complaint_id)
    for issue_id, complaint_ids in by_issue.items():
        for chunk in _chunks(complaint_ids, 900):
            connection.execute(update(table).where(table.c.complaint_id.in_(chunk)).values(issue_id=issue_id))
    connection.execute(delete(IssueDaily))
    counts = connection.execute(
        select(table.c.issue_id, table.c.day, func.count(), func.sum(func.cast(table.c.urgent, Integer)))
        .where(table.c.issue_id.is_not(None), table.c.counted.is_(True))
        .group_by(table.c.issue_id, table.c.day)
    ).all()
    rows = [dict(issue_id=i, day=d, complaints=n, urgent=int(u or 0)) for i, d, n, u in counts]
    for chunk in _chunks(rows, 5000):
        connection.execute(insert(IssueDaily), chunk)


@dataclass(frozen=True)
class ReclusterResult:
    complaints: int
    issues: int
    groups: int
    seconds: float


def recluster(session: Session, threshold: float = issues_mod.SIMILARITY_THRESHOLD,
              now: datetime | None = None) -> ReclusterResult:
    """Regroup every counted, non-confidential complaint into issues and store the membership in the figures.

    The caller commits. Runs as a nightly job; between runs new complaints are placed as they are counted.
    """
    started = time.perf_counter()
    rows = session.execute(
        select(
            ComplaintFact.complaint_id, ComplaintFact.topic_id, ComplaintFact.kecamatan_id, ComplaintFact.place_id,
            ComplaintFact.agency_id, ComplaintFact.issue_id, Complaint.title, Complaint.description, Complaint.reporter_name,
        )
        .join(Complaint, Complaint.id == ComplaintFact.complaint_id)
        .where(ComplaintFact.counted.is_(True), Complaint.confidential.is_(False))
        .order_by(ComplaintFact.complaint_id)
    ).all()  # fmt: skip
    membership, n_issues, n_groups = issues_mod.regroup(session, rows, threshold, now)
    set_issue_membership(session, membership)
    session.flush()
    return ReclusterResult(len(rows), n_issues, n_groups, time.perf_counter() - started)


# -- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Local days from `start` to `end`, both included."""

    start: date
    end: date

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> "Period":
        end = today or local_date(utcnow())
        return cls(end - timedelta(days=days - 1), end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> "Period":
        """The period of the same length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


@dataclass
class Measures:
    """Summed contributions of some complaints, with the shares the pages show."""

    values: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*MEASURES, *WAITING), 0))

    def __getattr__(self, name: str) -> int:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def add(self, row: Any) -> None:
        for m in MEASURES:
            self.values[m] += getattr(row, m) or 0

    @property
    def verify_decided(self) -> int:
        """Complaints whose disposition is on time or late: dispositioned, or waiting past the limit."""
        return self.dispositioned + self.verify_overdue

    @property
    def answer_decided(self) -> int:
        """Complaints whose follow-up is on time or late: answered, or waiting past the limit."""
        return self.answered + self.answer_overdue

    @property
    def verify_share(self) -> float | None:
        """Dispositioned within the verification limit, of those decided."""
        return self.dispositioned_on_time / self.verify_decided if self.verify_decided else None

    @property
    def answer_share(self) -> float | None:
        """Answered within the follow-up limit, of those decided."""
        return self.answered_on_time / self.answer_decided if self.answer_decided else None

    @property
    def rated(self) -> int:
        return sum(self.values[r] for r in RATINGS)

    @property
    def satisfaction(self) -> dict[str, float | None]:
        """The four shares Sangat Puas / Puas / Cukup Puas / Tidak Puas (None each when nothing was rated)."""
        return satisfaction_shares({r: self.values[r] for r in RATINGS})



def satisfaction_shares(counts: dict[str, int]) -> dict[str, float | None]:
    """Each rating's share of all ratings; None for every share when there are none."""
    total = sum(counts.get(r, 0) for r in RATINGS)
    return {r: (counts.get(r, 0) / total if total else None) for r in RATINGS}


def _sum_columns() -> list:
    return [func.sum(getattr(DailyCount, m)).label(m) for m in MEASURES]


def totals(
    session: Session, dimension: str, period: Period, scope: int = REGENCY, public: bool = False,
    now: datetime | None = None, shares: bool = True,
) -> dict[str, Measures]:
    """Measures per value of one dimension over the period; `public`: without confidential complaints; the
    complaints waiting past their limit at `now` (default: now) counted late (`WAITING`). `shares=False`: for a
    caller that shows no on-time share, which spares the read of the overdue index."""
    rows = session.execute(
        select(DailyCount.value, *_sum_columns())
        .where(
            DailyCount.scope == scope, DailyCount.public.is_(public), DailyCount.dimension == dimension,
            DailyCount.day.between(period.start, period.end),
        )
        .group_by(DailyCount.value)
    )  # fmt: skip
    result: dict[str, Measures] = {}
    for row in rows:
        result.setdefault(row.value, Measures()).add(row)
    for value, verify, answer in _waiting(session, dimension, period, scope, public, now or utcnow()) if shares else ():
        m = result.setdefault(value, Measures())
        m.values["verify_overdue"] += verify
        m.values["answer_overdue"] += answer
    return result


_FACT_VALUE = {
    "channel": ComplaintFact.channel, "topic": ComplaintFact.topic_id, "agency": ComplaintFact.agency_id,
    "kecamatan": ComplaintFact.kecamatan_id,
}  # fmt: skip
"""The fact column of each dimension's DailyCount.value ("semua", one value "", is summed from "agency")."""


def _waiting(session: Session, dimension: str, period: Period, scope: int, public: bool,
             now: datetime) -> list[tuple[str, int, int]]:
    """(value, verify_overdue, answer_overdue) per value of the dimension; `public`: without confidential
    complaints. A page's agency breakdown and its total, for operators and viewers alike, come from one read."""
    if dimension in ("semua", "agency"):
        read = session.info.setdefault(_WAITING_READ, {})
        key = (period.start, period.end, scope, now)
        if key not in read:
            read[key] = _waiting_rows(session, "agency", period, scope, now)
        rows = read[key]
    else:
        rows = _waiting_rows(session, dimension, period, scope, now)
    summed: dict[str, list[int]] = {}
    for value, confidential, verify, answer in rows:
        if not (public and confidential):
            counts = summed.setdefault("" if dimension == "semua" else value, [0, 0])
            counts[0] += verify
            counts[1] += answer
    return [(value, verify, answer) for value, (verify, answer) in summed.items() if verify or answer]


def _waiting_rows(session: Session, dimension: str, period: Period, scope: int,
                  now: datetime) -> list[tuple[str, bool, int, int]]:
    """(value, confidential, verify_overdue, answer_overdue): the overdue index (`overdue_filter`) joined to the
    facts, so it reads only the complaints late right now, counted where the counters count them (the fact's scope,
    day and values). A complaint whose decision is already stored (sent back to a stage after acting) is not counted
    again."""
    verify = and_(Complaint.status.in_(sorted(VERIFY_STAGE)), ComplaintFact.verify_on_time.is_(None))
    answer = and_(Complaint.status.in_(sorted(ANSWER_STAGE)), ComplaintFact.answer_on_time.is_(None))
    column = _FACT_VALUE[dimension]
    query = (
        select(column, ComplaintFact.confidential, func.sum(case((verify, 1), else_=0)), func.sum(case((answer, 1), else_=0)))
        .select_from(Complaint)
        .join(ComplaintFact, ComplaintFact.complaint_id == Complaint.id)
        .where(
            overdue_filter(now), Complaint.status.in_(sorted(VERIFY_STAGE | ANSWER_STAGE)),
            ComplaintFact.counted.is_(True), ComplaintFact.day.between(period.start, period.end),
        )
        .group_by(column, ComplaintFact.confidential)
    )  # fmt: skip
    if scope != REGENCY:
        query = query.where(ComplaintFact.agency_id == scope)
    return [(str(value), bool(confidential), int(v or 0), int(a or 0)) for value, confidential, v, a in session.execute(query)]


def public_totals(session: Session, dimension: str, period: Period, scope: int = REGENCY,
                  now: datetime | None = None, shares: bool = True) -> dict[str, Measures]:
    """`totals` without confidential complaints: published breakdowns may not show that a hidden complaint of
    some topic, agency or place exists (they count only in the regency-wide total). With an agency `scope`, that
    agency's figures without its confidential complaints."""
    result = totals(session, dimension, period, scope, public=True, now=now, shares=shares)
    return {value: m for value, m in result.items() if m.complaints > 0}


def overall(session: Session, period: Period, scope: int = REGENCY, now: datetime | None = None,
            shares: bool = True) -> Measures:
    """Measures of all complaints received in the period (`shares`: as in `totals`)."""
    return totals(session, "semua", period, scope, now=now, shares=shares).get("", Measures())


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def bucket_of(day: date, period: Period) -> date:
    """Days for periods up to 62 days, else the Monday of the week."""
    return day if period.days <= 62 else monday_of(day)


def buckets(period: Period) -> list[date]:
    """Every bucket of the period, in order."""
    seen, day = [], period.start
    while day <= period.end:
        b = bucket_of(day, period)
        if not seen or seen[-1] != b:
            seen.append(b)
        day += timedelta(days=1)
    return seen


def series(session: Session, dimension: str, period: Period, scope: int = REGENCY,
           public: bool = False) -> dict[str, dict[date, int]]:
    """Complaints per value and bucket (see bucket_of); weeks are summed in SQL. `public`: without confidential
    complaints, as `public_totals`."""
    bucket = DailyCount.day if period.days <= 62 else DailyCount.week
    rows = session.execute(
        select(bucket, DailyCount.value, func.sum(DailyCount.complaints))
        .where(
            DailyCount.scope == scope, DailyCount.public.is_(public), DailyCount.dimension == dimension,
            DailyCount.day.between(period.start, period.end), DailyCount.complaints != 0,
        )
        .group_by(bucket, DailyCount.value)
    )  # fmt: skip
    result: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for day, value, n in rows:
        result[value][day] += n
    return result


def overdue_now(session: Session, group: str, now: datetime, agency_id: int | None = None,
                public: bool = False) -> dict[int, int]:
    """Complaints past a time limit a person must meet, right now, per agency or kecamatan id (0 = none);
    `agency_id`: only what that agency is late on itself (`overdue_filter`); `public`: confidential ones left out.

    Per agency, a late verification counts under 0 (the coordinators' delay), not under the OPD it already names."""
    late = overdue_filter(now, agency_id)
    if public:
        late = and_(late, Complaint.confidential.is_(False))
    if group == "agency":
        counts: dict[int, int] = defaultdict(int)
        query = select(Complaint.agency_id, Complaint.status, func.count()).where(late)
        for agency, status, n in session.execute(query.group_by(Complaint.agency_id, Complaint.status)):
            counts[agency if agency and status in Status.AGENCY_OVERDUE_COUNTED else 0] += n
        return dict(counts)
    key = func.coalesce(Place.parent_id, Place.id, 0)
    query = select(key, func.count()).select_from(Complaint).outerjoin(Place, Place.id == Complaint.place_id).where(late)
    return {k: n for k, n in session.execute(query.group_by(key))}


def names(session: Session, dimension: str) -> dict[str, str]:
    """Display names of a dimension's values (as stored in DailyCount.value)."""
    if dimension == "channel":
        from models.channels import LABELS

        return dict(LABELS)
    if dimension == "topic":
        return {str(i): n for i, n in session.execute(select(Topic.id, Topic.name))} | {"0": "(tanpa topik)"}
    if dimension == "agency":
        return {str(i): k.upper() for i, k in session.execute(select(Agency.id, Agency.key))} | {"0": "(belum ada OPD)"}
    if dimension == "kecamatan":
        rows = session.execute(select(Place.id, Place.name).where(Place.parent_id.is_(None)))
        return {str(i): n for i, n in rows} | {"0": "(tanpa lokasi)"}
    return {"": "Semua"}


# -- priority issues -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueRow:
    issue_id: int
    label: str
    keywords: list[str]
    topic: str
    kecamatan: str
    agency: str
    agency_id: int
    agency_key: str
    """The agency's key for links ("" when none)."""
    count: int
    previous: int
    trend: float | None
    places: list[tuple[str, int]]
    overdue_share: float
    urgent_share: float
    score: float


def priority_issues(
    session: Session, period: Period, now: datetime, agency_id: int | None = None, limit: int = 25
) -> list[IssueRow]:
    """The issues with complaints in the period, highest priority score first."""
    Issue = issues_mod.Issue
    in_period = IssueDaily.day.between(period.start, period.end)
    query = (
        select(IssueDaily.issue_id, func.sum(IssueDaily.complaints), func.sum(IssueDaily.urgent))
        .where(in_period)
        .group_by(IssueDaily.issue_id)
        .having(func.sum(IssueDaily.complaints) > 0)
    )
    if agency_id is not None:
        query = query.join(Issue, Issue.id == IssueDaily.issue_id).where(Issue.agency_id == agency_id)
    current = {i: (n, u) for i, n, u in session.execute(query)}
    if not current:
        return []
    prev = period.previous
    previous = dict(
        session.execute(
            select(IssueDaily.issue_id, func.sum(IssueDaily.complaints))
            .where(IssueDaily.day.between(prev.start, prev.end), IssueDaily.issue_id.in_(list(current)))
            .group_by(IssueDaily.issue_id)
        ).all()
    )
    overdue_query = (
        select(ComplaintFact.issue_id, func.count())
        .join(Complaint, Complaint.id == ComplaintFact.complaint_id)
        .where(overdue_filter(now, agency_id), ComplaintFact.day.between(period.start, period.end),
               ComplaintFact.issue_id.is_not(None))
        .group_by(ComplaintFact.issue_id)
    )
    overdue = dict(session.execute(overdue_query).all())
    scored = []
    for issue_id, (n, urgent) in current.items():
        overdue_share = min(overdue.get(issue_id, 0) / n, 1.0)
        score = issues_mod.priority_score(n, previous.get(issue_id, 0), overdue_share, urgent / n)
        scored.append((score, n, issue_id, overdue_share, urgent / n))
    scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
    top = scored[:limit]
    ids = [s[2] for s in top]
    issue_rows = {i.id: i for i in session.scalars(select(Issue).where(Issue.id.in_(ids)))}
    places: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for issue_id, place_id, n in session.execute(
        select(ComplaintFact.issue_id, ComplaintFact.place_id, func.count())
        .where(ComplaintFact.issue_id.in_(ids), ComplaintFact.day.between(period.start, period.end), ComplaintFact.counted.is_(True))
        .group_by(ComplaintFact.issue_id, ComplaintFact.place_id)
    ):
        places[issue_id].append((place_id, n))
    place_names = dict(session.execute(select(Place.id, Place.name)).all())
    topic_names, kec_names, agency_names = names(session, "topic"), names(session, "kecamatan"), names(session, "agency")
    agency_keys = dict(session.execute(select(Agency.id, Agency.key)).all())
    result = []
    for score, n, issue_id, overdue_share, urgent_share in top:
        issue = issue_rows.get(issue_id)
        if issue is None:
            continue
        top_places = sorted(places[issue_id], key=lambda p: -p[1])[:3]
        result.append(IssueRow(
            issue_id=issue_id, label=issue.label, keywords=list(issue.keywords or []),
            topic=topic_names.get(str(issue.topic_id), "–"), kecamatan=kec_names.get(str(issue.kecamatan_id), "–"),
            agency=agency_names.get(str(issue.agency_id), "–"), agency_id=issue.agency_id,
            agency_key=agency_keys.get(issue.agency_id, ""), count=n,
            previous=previous.get(issue_id, 0), trend=issues_mod.trend(n, previous.get(issue_id, 0)),
            places=[(place_names.get(p, "(tanpa lokasi)"), c) for p, c in top_places],
            overdue_share=overdue_share, urgent_share=urgent_share, score=score,
        ))  # fmt: skip
    return result
