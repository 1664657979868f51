"""The complaint list's query: filters parsed from the query string, searches by reference, phone, id or text,
and keyset pages, each branch served by an index. Shared by the console list and the JSON API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from models import lifecycle as lc
from models import phone as phone_numbers
from models.analytics import ComplaintFact
from models.entities import Complaint, Place
from models.search import SearchTerms, complaint_text_matches
from models.visibility import Audience
from web.access import audience, scoped_complaints
from web.filters import CHANNELS
from web.params import parse_int
from web.state import db

PAGE_SIZE = 50
STATUS_LABELS = {status.value: status.label for status in lc.Status}


@dataclass(frozen=True)
class ListFilters:
    """The list's query string, parsed once; unknown statuses and channels are ignored, numbers out of range refused."""

    q: str = ""
    status: str = ""
    agency_id: int | None = None
    topic_id: int | None = None
    kecamatan_id: int | None = None
    channel: str = ""
    overdue: bool = False
    issue_id: int | None = None
    """The complaints of one priority issue (the links from the issue lists)."""
    after: int | None = None
    """Keyset cursor: show complaints with a smaller id."""

    @classmethod
    def from_args(cls, args: Any) -> "ListFilters":
        def as_int(name: str) -> int | None:
            raw = args.get(name, "")
            return (parse_int(name, raw) or None) if raw.strip() else None

        status = args.get("status", "")
        channel = args.get("channel", "")
        return cls(
            q=(args.get("q") or "").strip()[:100],
            status=status if status in STATUS_LABELS or status in ("terbuka", "tertutup") else "",
            agency_id=as_int("agency"),
            topic_id=as_int("topic"),
            kecamatan_id=as_int("kecamatan"),
            channel=channel if channel in CHANNELS else "",
            overdue=args.get("overdue") in ("1", "on", "true"),
            issue_id=as_int("isu"),
            after=as_int("after"),
        )

    def query_args(self, **changes: Any) -> dict[str, Any]:
        values = dict(q=self.q, status=self.status, agency=self.agency_id, topic=self.topic_id,
                      kecamatan=self.kecamatan_id, channel=self.channel, overdue="1" if self.overdue else None, isu=self.issue_id,
                      after=self.after)
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def filtered_complaints(query: Select[tuple[Complaint]], f: ListFilters, now: datetime) -> Select[tuple[Complaint]]:
    """Apply the list filters; every branch is served by an index (id, reference, reporter_phone, full text, status, due_at)."""
    from models.refs import normalise_reference

    who = audience()
    kind = search_kind(f.q, who)
    if kind == "reference_or_phone":
        query = query.where(or_(Complaint.reference == normalise_reference(f.q),
                                Complaint.reporter_phone.in_(phone_numbers.stored_forms(f.q))))
    elif kind == "reference":
        query = query.where(Complaint.reference == normalise_reference(f.q))
    elif kind == "phone":
        query = query.where(Complaint.reporter_phone.in_(phone_numbers.stored_forms(f.q)))
    elif kind == "id":
        query = query.where(Complaint.id == parse_int("q", f.q[1:]))
    elif kind == "text":  # for those who may not see every reporter, `search_page` keeps only what matches the visible text
        matches = complaint_text_matches(f.q, db().get_bind().dialect.name)
        if who.may_search_identity:
            matches = or_(matches, Complaint.reporter_name.ilike(f"%{f.q}%"))
        query = query.where(matches, who.text_search_scope())
    if f.status == "terbuka":
        query = query.where(Complaint.status.in_(sorted(lc.Status.OPEN)))
    elif f.status == "tertutup":
        query = query.where(Complaint.status.in_(sorted(lc.Status.CLOSED)))
    elif f.status:
        query = query.where(Complaint.status == f.status)
    if f.agency_id:
        query = query.where(Complaint.agency_id == f.agency_id)
    if f.topic_id:
        query = query.where(Complaint.topic_id == f.topic_id)
    if f.kecamatan_id:
        query = query.where(or_(Complaint.place_id == f.kecamatan_id,
                                Complaint.place_id.in_(select(Place.id).where(Place.parent_id == f.kecamatan_id))))
    if f.channel:
        query = query.where(Complaint.channel == f.channel)
    if f.overdue:  # with an agency: what that agency is late on itself, as its page counts
        query = query.where(lc.overdue_filter(now, f.agency_id))
    if f.issue_id:
        query = query.where(Complaint.id.in_(select(ComplaintFact.complaint_id).where(ComplaintFact.issue_id == f.issue_id)))
    if f.after:
        query = query.where(Complaint.id < f.after)
    return query


def search_kind(q: str, who: Audience) -> str:
    """What a search box entry is: "" (none), "id" (#123), "reference", "phone" or "reference_or_phone" (a 12-digit
    08… number may be either; phones for coordinators only), else "text"."""
    from models.refs import normalise_reference

    if not q:
        return ""
    if q.startswith("#") and q[1:].isdecimal():  # isdigit() also takes "➊", which int() refuses
        return "id"
    phone_like = who.may_search_identity and q.lstrip("+").replace(" ", "").replace("-", "").isdigit() and len(phone_numbers.national_digits(q)) >= 6
    if normalise_reference(q) is not None:
        return "reference_or_phone" if phone_like and phone_numbers.national_digits(q).startswith("08") else "reference"
    return "phone" if phone_like else "text"


def page_of(query: Select[tuple[Complaint]], page_size: int = PAGE_SIZE) -> tuple[list[Complaint], int | None]:
    """One keyset page, newest first, and the cursor of the next page (None on the last one)."""
    rows = db().scalars(
        query.options(joinedload(Complaint.topic), joinedload(Complaint.agency), joinedload(Complaint.place))
        .order_by(Complaint.id.desc()).limit(page_size + 1)
    ).unique().all()
    more = len(rows) > page_size
    rows = rows[:page_size]
    return list(rows), (rows[-1].id if more and rows else None)


def search_page(f: ListFilters, now: datetime, page_size: int = PAGE_SIZE) -> tuple[list[Complaint], int | None]:
    """The user's page of the filtered list. A free-text match counts only in the text the user may read: a
    search must not find a complaint by a reporter's name or number that is hidden from the one searching."""
    rows, next_after = page_of(filtered_complaints(scoped_complaints(), f, now), page_size)
    who = audience()
    words = SearchTerms.parse(f.q).words if search_kind(f.q, who) == "text" else ()
    if words and not who.coordinator:
        rows = [c for c in rows if who.text_matches(c, words)]
    return rows, next_after
