"""Complaints typed at the desk (counter, letter, SMS, social media, e-mail) and Sambang Desa sessions.

A typed complaint is an ordinary Complaint (channel = how it arrived) drafted from the typed text; its `DeskIntake`
keeps what only the desk knows: the text as typed, the sub-source (which social-media platform), the sender's
reference (letter number, post link, e-mail address) and, for Sambang Desa, the session it was heard in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Date, DateTime, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, utcnow
from models.calendar import WIB
from models.entities import Call, Channel, Complaint, Place, User
from models.radio import RadioShow

GATHERING_WINDOW = timedelta(days=1)
"""Calls of one show or session are looked for this far back (a show or session lasts hours, not days)."""


class SambangSession(Base):
    """One Sambang Desa: the Bupati's (or an OPD's) visit to a village, where many aspirations are heard at once."""

    __tablename__ = "sambang_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(Date)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"), index=True)
    place: Mapped[Place] = relationship()
    """The desa (or kelurahan) visited: every complaint of the session starts with it."""
    officials: Mapped[str] = mapped_column(Text, default="")
    """Who was present for the regency (one per line, as typed)."""
    note: Mapped[str | None] = mapped_column(Text)
    show_id: Mapped[int | None] = mapped_column(ForeignKey("radio_show.id"), unique=True)
    """The recording of the session, archived and segmented like a radio show."""
    show: Mapped[RadioShow | None] = relationship()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_by: Mapped[User | None] = relationship()
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def title(self) -> str:
        return f"Sambang Desa {self.place.name if self.place else ''} {self.held_on:%d-%m-%Y}".strip()


class DeskIntake(Base):
    """How a typed complaint reached the desk; one per complaint."""

    __tablename__ = "desk_intake"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), unique=True)
    complaint: Mapped[Complaint] = relationship()
    text: Mapped[str] = mapped_column(Text)
    """What the operator typed, verbatim (the draft's description is drafted from it)."""
    source_detail: Mapped[str | None] = mapped_column(String(40))
    """The social-media platform (a key of models.channels.SOCIAL_PLATFORMS), or what "lainnya" was."""
    source_ref: Mapped[str | None] = mapped_column(String(300))
    """The sender's reference: letter number, link to the post, e-mail address or SMS number."""
    sambang_session_id: Mapped[int | None] = mapped_column(ForeignKey("sambang_session.id"), index=True)
    sambang_session: Mapped[SambangSession | None] = relationship()
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    entered_by: Mapped[User | None] = relationship()
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


def intake_of(session: Session, complaint: Complaint) -> DeskIntake | None:
    return session.scalars(select(DeskIntake).where(DeskIntake.complaint_id == complaint.id)).first()


def session_of_call(session: Session, call: Call) -> SambangSession | None:
    """The Sambang Desa session a recorded segment belongs to."""
    show_id = (call.meta or {}).get("show_id")
    if call.channel != Channel.SAMBANG_DESA.value or show_id is None:
        return None
    return session.scalars(select(SambangSession).where(SambangSession.show_id == show_id)).first()


def default_place_for_call(session: Session, call: Call) -> Place | None:
    """The place a call's draft starts with when the speech names none: the desa of its Sambang Desa session."""
    sambang = session_of_call(session, call)
    return sambang.place if sambang is not None else None


def _show_complaints(session: Session, channel: str, show_id: int, around: datetime, exclude_call_id: int | None) -> list[Complaint]:
    rows = session.execute(
        select(Complaint, Call.meta)
        .join(Call, Complaint.call_id == Call.id)
        .where(Call.channel == channel, Call.received_at >= around - GATHERING_WINDOW)
    ).all()
    return [c for c, meta in rows if (meta or {}).get("show_id") == show_id and c.call_id != exclude_call_id]


def peers_of_call(session: Session, call: Call) -> list[Complaint]:
    """The other complaints heard at the same gathering as this call: the show's other callers; for a Sambang Desa
    recording also the complaints typed in its session."""
    show_id = (call.meta or {}).get("show_id")
    if call.channel not in (Channel.RADIO.value, Channel.SAMBANG_DESA.value) or show_id is None:
        return []
    peers = _show_complaints(session, call.channel, show_id, call.received_at, call.id)
    sambang = session_of_call(session, call)
    if sambang is not None:
        peers += typed_complaints(session, sambang)
    return peers


def typed_complaints(session: Session, sambang: SambangSession) -> list[Complaint]:
    return list(session.scalars(select(Complaint).join(DeskIntake, DeskIntake.complaint_id == Complaint.id)
                                .where(DeskIntake.sambang_session_id == sambang.id).order_by(Complaint.id)))


def session_complaints(session: Session, sambang: SambangSession) -> list[Complaint]:
    """Every complaint of a session, typed or cut from its recording, in the order they were made."""
    recorded = _show_complaints(session, Channel.SAMBANG_DESA.value, sambang.show_id, sambang.show.started_at, None) \
        if sambang.show is not None else []
    return sorted(typed_complaints(session, sambang) + recorded, key=lambda c: c.id)


def heard_at(sambang: SambangSession, now: datetime | None = None) -> datetime:
    """When what was said at a session was heard (UTC): now when entered on its own day (WIB), else noon WIB of its
    day. The verification limit runs from then, for complaints typed in and for a recording cut into speakers."""
    now = now or utcnow()
    if (now + WIB).date() == sambang.held_on:
        return now
    return min(now, datetime.combine(sambang.held_on, datetime.min.time()) + timedelta(hours=12) - WIB)
