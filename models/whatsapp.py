"""WhatsApp's records and rules: messages as they arrived, replies waiting to go out, files sent with a complaint.

A conversation is a call on channel `whatsapp` (its `caller_number` is the sender): voice notes become its audio,
texts and photos join it while it is open (within `whatsapp_join_minutes` of the last message, and before an
operator confirmed its draft). Messages and replies are kept, with their retry schedules, so a worker killed at
any moment or a provider down for minutes loses nothing: the recovery job drives whatever is overdue.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, utcnow
from models.retry import Schedule
from models.status import Status
from models.entities import Call, Channel, Complaint

AUDIO_TYPES = ("audio/",)


class MessageKind(str, enum.Enum):
    TEXT = "text"
    AUDIO = "audio"
    """A voice note or an audio file: transcribed."""
    FILE = "file"
    """A photo or a document: kept as an attachment."""
    COMMAND = "command"
    """`STATUS <nomor>` or the answer to the rating question: answered, not drafted."""


class MessageStatus(str, enum.Enum):
    RECEIVED = "received"
    FETCHING = "fetching"
    """Its media is being downloaded (schedule in `fetch`)."""
    DONE = "done"
    FAILED = "failed"
    """Kept with the reason in `error` (the media could not be downloaded, or was refused)."""


class ReplyStatus(str, enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class WhatsAppMessage(Base):
    """One message as the provider delivered it; the same provider message id twice makes one row."""

    __tablename__ = "whatsapp_message"
    __table_args__ = (UniqueConstraint("provider", "message_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(10))
    message_id: Mapped[str] = mapped_column(String(120))
    """Twilio's MessageSid or Meta's wamid."""
    sender: Mapped[str] = mapped_column(String(40), index=True)
    """E.164: the reporter's identity, shown and filtered like a caller's number."""
    kind: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text, default="")
    media_ref: Mapped[str | None] = mapped_column(String(1000))
    """Twilio's MediaUrl0 or Meta's media id: fetched by a job with the account's credentials."""
    media_type: Mapped[str | None] = mapped_column(String(100))
    filename: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id"), index=True)
    call: Mapped[Call | None] = relationship()
    status: Mapped[str] = mapped_column(String(12), default=MessageStatus.RECEIVED.value, index=True)
    fetch: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    audio_path: Mapped[str | None] = mapped_column(String(400))
    """A voice note as it arrived (relative to the audio folder); the call's audio joins the notes."""


class WhatsAppReply(Base):
    """A message to a sender, sent by a retried job; `key` makes each reply happen once."""

    __tablename__ = "whatsapp_reply"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    """e.g. `receipt:<call id>`, `reference:<complaint id>`, `rating:<complaint id>`, `answer:<message id>`."""
    to: Mapped[str] = mapped_column(String(40), index=True)
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=ReplyStatus.PENDING.value, index=True)
    schedule: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    provider_id: Mapped[str | None] = mapped_column(String(120), index=True)
    template: Mapped[str | None] = mapped_column(String(200))
    """The approved template it went as (outside WhatsApp's 24-hour window), None for free text."""
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


def kind_of(media_type: str | None) -> MessageKind:
    if not media_type:
        return MessageKind.TEXT
    return MessageKind.AUDIO if media_type.lower().startswith(AUDIO_TYPES) else MessageKind.FILE


# -- commands ------------------------------------------------------------------------------------

STATUS_COMMAND = re.compile(r"^\s*(?:cek\s+)?status\b[\s:#.-]*(?P<number>[0-9oOiIlL\s.\-/]*)\s*$", re.IGNORECASE)
_RATING_ANSWER = re.compile(r"^\s*([1-4])\s*[.)]?\s*$")
RATING_QUESTION_DAYS = 30
"""A digit 1-4 answers the rating question for this long after it was asked."""


@dataclass(frozen=True)
class Command:
    """What a text asks for instead of being part of a complaint."""

    name: str
    """"status" or "rating"."""
    argument: str = ""


def parse_command(text: str) -> Command | None:
    """`STATUS <nomor>` (any case, the number optional) or a lone digit 1-4; anything else is a complaint's text."""
    if match := STATUS_COMMAND.match(text or ""):
        return Command("status", re.sub(r"\s", "", match.group("number")))
    if match := _RATING_ANSWER.match(text or ""):
        return Command("rating", match.group(1))
    return None


# -- conversations -------------------------------------------------------------------------------

def open_conversation(session: Session, sender: str, now: datetime, window: timedelta) -> Call | None:
    """The sender's conversation a new message joins: its last message is within the window and nobody has
    confirmed or rejected its draft yet."""
    last = (
        select(WhatsAppMessage.call_id, func.max(WhatsAppMessage.received_at).label("last_at"))
        .where(WhatsAppMessage.sender == sender, WhatsAppMessage.call_id.is_not(None),
               WhatsAppMessage.kind != MessageKind.COMMAND.value)
        .group_by(WhatsAppMessage.call_id)
        .subquery()
    )
    rows = session.execute(
        select(Call).join(last, last.c.call_id == Call.id)
        .where(Call.channel == Channel.WHATSAPP.value, last.c.last_at >= now - window)
        .order_by(last.c.last_at.desc())
    ).scalars().all()
    for call in rows:
        draft = call.draft
        if draft is None or draft.status == Status.DRAFT:
            return call
    return None


def conversation_messages(session: Session, call: Call) -> list[WhatsAppMessage]:
    return list(session.scalars(select(WhatsAppMessage).where(WhatsAppMessage.call_id == call.id)
                                .order_by(WhatsAppMessage.received_at, WhatsAppMessage.id)))




def pending_rating_question(session: Session, sender: str, now: datetime) -> Complaint | None:
    """The complaint this sender was last asked to rate, if the question is recent."""
    reply = session.scalars(
        select(WhatsAppReply).where(WhatsAppReply.to == sender, WhatsAppReply.kind == "rating",
                                    WhatsAppReply.created_at >= now - timedelta(days=RATING_QUESTION_DAYS))
        .order_by(WhatsAppReply.id.desc())
    ).first()
    return session.get(Complaint, reply.complaint_id) if reply is not None and reply.complaint_id else None


def queue_reply(session: Session, key: str, to: str, body: str, kind: str, *, complaint: Complaint | None = None,
                call: Call | None = None) -> WhatsAppReply | None:
    """Put a reply in the outbox once (None when one with this key exists); the caller commits and enqueues."""
    if session.scalars(select(WhatsAppReply.id).where(WhatsAppReply.key == key)).first() is not None:
        return None
    reply = WhatsAppReply(key=key, to=to, body=body, kind=kind, complaint_id=complaint.id if complaint else None,
                          call_id=call.id if call else None, status=ReplyStatus.PENDING.value,
                          schedule=Schedule(next_at=utcnow().isoformat()).to_json())
    session.add(reply)
    session.flush()
    return reply


SERVICE_WINDOW = timedelta(hours=24)
"""WhatsApp delivers a business's free text only this long after the person's last message to it."""
WINDOW_MARGIN = timedelta(minutes=30)
"""Sent this close to the window's end, free text may arrive after it closed: a template then."""


def last_heard_from(session: Session, sender: str) -> datetime | None:
    """When the sender last wrote to the regency's WhatsApp number (any message, commands too)."""
    return session.scalar(select(func.max(WhatsAppMessage.received_at)).where(WhatsAppMessage.sender == sender))


def in_service_window(session: Session, sender: str, now: datetime) -> bool:
    """Whether free text to the sender is still delivered (their last message is recent enough)."""
    last = last_heard_from(session, sender)
    return last is not None and now - last < SERVICE_WINDOW - WINDOW_MARGIN


def replies_of(session: Session, call_id: int | None, complaint_id: int | None) -> list[WhatsAppReply]:
    """Every reply about a conversation or its complaint, oldest first (for the review page)."""
    clauses = []
    if call_id is not None:
        clauses.append(WhatsAppReply.call_id == call_id)
    if complaint_id is not None:
        clauses.append(WhatsAppReply.complaint_id == complaint_id)
    if not clauses:
        return []
    condition = clauses[0] if len(clauses) == 1 else clauses[0] | clauses[1]
    return list(session.scalars(select(WhatsAppReply).where(condition).order_by(WhatsAppReply.id)))
