"""The draft inbox's rows: one narrow query per priority, read as plain rows, not as complaint records.

The inbox is the page operators keep open all day and it is re-fetched after every live event, so a row
carries only what the table shows: places come from the cached place directory and each draft's
verification limit from one calendar computation per day of receipt.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.status import Status
from models.entities import Call, Complaint, Topic
from web import sse
from web.places import PlaceDirectory
from web.sse import Broker

INBOX_LIMIT = 100


@dataclass(frozen=True)
class InboxRow:
    """One waiting draft as the inbox shows it."""

    id: int
    title: str
    urgent: bool
    channel: str
    received_at: datetime
    duration_s: float | None
    place: str | None
    """The place's label ("Desa Pejok, Kec. Kepohbaru")."""
    topic: str | None
    due_at: datetime
    """Verification limit, counted from receipt."""
    status: str = Status.DRAFT


def waiting_drafts(session: Session, places: PlaceDirectory, verification_due: Callable[[datetime], datetime],
                   limit: int = INBOX_LIMIT) -> list[InboxRow]:
    """Urgent drafts first, then the newest; each query walks the (status, created_at) index and stops at `limit`."""
    rows: list[InboxRow] = []
    for urgent in (True, False):
        if len(rows) >= limit:
            break
        found = session.execute(
            select(Complaint.id, Complaint.title, Complaint.urgent, Complaint.channel, Complaint.received_at,
                   Complaint.place_id, Call.duration_s, Topic.name)
            .outerjoin(Call, Call.id == Complaint.call_id).outerjoin(Topic, Topic.id == Complaint.topic_id)
            .where(Complaint.status == Status.DRAFT, Complaint.urgent.is_(urgent))
            .order_by(Complaint.created_at.desc(), Complaint.id.desc())
            .limit(limit - len(rows))
        ).all()
        for r in found:
            place = places.by_id.get(r.place_id) if r.place_id is not None else None
            rows.append(InboxRow(r.id, r.title, r.urgent, r.channel, r.received_at, r.duration_s,
                                 place.label if place else None, r.name, verification_due(r.received_at)))
    return rows


def draft_marker(sessions: Callable[[], Session]) -> Callable[[], tuple[int, int]]:
    """(newest draft id, number of drafts), read in a short session: changes when a draft arrives or leaves."""

    def marker() -> tuple[int, int]:
        with sessions() as session:
            row = session.execute(select(func.max(Complaint.id), func.count(Complaint.id)).where(Complaint.status == Status.DRAFT)).one()
            return int(row[0] or 0), int(row[1] or 0)

    return marker


def sse_stream(broker_: Broker, marker: Callable[[], tuple[int, int]] | None, keepalive_s: float, stop: threading.Event | None = None) -> Iterator[str]:
    """Server-Sent Events: published events, a comment as keep-alive, and a database check at each
    keep-alive so drafts made by workers in other processes (Redis) still reach the page.

    Holds no database session between checks.
    """
    subscription = broker_.subscribe()
    last = marker() if marker else None
    try:
        yield sse.event("hello", {"subscribers": broker_.subscriber_count}, retry_ms=3000)
        while stop is None or not stop.is_set():
            try:
                message = subscription.get(timeout=keepalive_s)
            except queue.Empty:
                current = marker() if marker else None
                if current != last:
                    last = current
                    yield sse.event("inbox", {"event": "changed"})
                else:
                    yield sse.KEEPALIVE
                continue
            yield sse.event("inbox", message)
    finally:
        broker_.unsubscribe(subscription)
