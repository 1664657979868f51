"""The records of Suara Warga: agencies, topics, places, users, calls, transcripts, complaints."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AppendOnlyError, Base, append_only, utcnow  # noqa: F401 (re-exported)
from models.status import Status


class Channel(str, enum.Enum):
    """How a complaint reached the regency (labels in models/channels.py)."""

    PHONE = "phone"
    RADIO = "radio"
    UPLOAD = "upload"
    WALK_IN = "walk_in"
    LETTER = "letter"
    SMS = "sms"
    SOCIAL_MEDIA = "social_media"
    """Which platform (YouTube, Facebook, X, ...) is the intake's `source_detail`, not a channel of its own."""
    EMAIL = "email"
    SAMBANG_DESA = "sambang_desa"
    OTHER = "other"
    WHATSAPP = "whatsapp"
    """Voice notes, texts and photos from WhatsApp (Twilio or Meta's Cloud API): voice/whatsapp.py."""


class CallStatus(str, enum.Enum):
    """Where a call stands; the moves and what a caller is told in each are in models/call_state.py."""

    RINGING = "ringing"
    """The call came in (first webhook); the caller is at the menu and has not chosen to record."""
    RECORDING = "recording"
    """The caller chose to record; the provider has not delivered the recording yet."""
    AWAITING = "awaiting"
    """The provider announced the recording; its download is scheduled (state in `meta["fetch"]`)."""
    RECEIVED = "received"
    TRANSCRIBING = "transcribing"
    TRANSCRIBED = "transcribed"
    DRAFTED = "drafted"
    FAILED = "failed"
    """Kept with the reason in `error`."""
    ABANDONED = "abandoned"
    """The caller hung up before anything was recorded."""
    NO_SPEECH = "no_speech"
    """Audio arrived but nobody spoke in it."""
    NO_AUDIO = "no_audio"
    """Older rows: the provider reported no recording (absent/failed); read as abandoned."""
    SILENT = "silent"
    """The recording holds (almost) no sound: kept, but not given to a recognizer."""


class Role(str, enum.Enum):
    ADMIN = "admin"
    OPERATOR = "operator"
    LIAISON = "liaison"
    VIEWER = "viewer"


class Agency(Base):
    """An OPD (regional agency) that receives complaints."""

    __tablename__ = "agency"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Topic(Base):
    """A complaint category; routes by default to one agency."""

    __tablename__ = "topic"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    about: Mapped[str | None] = mapped_column(Text)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    agency: Mapped[Agency | None] = relationship()


class Place(Base):
    """A kecamatan, or a desa/kelurahan inside one (Kemendagri code)."""

    __tablename__ = "place"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    """kecamatan, desa or kelurahan."""
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"))
    parent: Mapped["Place | None"] = relationship(remote_side=[id])

    @property
    def label(self) -> str:
        if self.parent is None:
            return f"Kec. {self.name}"
        prefix = "Kel." if self.kind == "kelurahan" else "Desa"
        return f"{prefix} {self.name}, Kec. {self.parent.name}"


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.OPERATOR.value)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    agency: Mapped[Agency | None] = relationship()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    api_token_hash: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """Carried in every session and remember cookie; bumping it signs the user out everywhere."""
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Set by an admin's reset: the next login leads straight to the password change."""


# "budi" and "BUDI" are one account: the database's own lower() both keeps names unique and finds them, so the two
# agree on every database (SQLite folds ASCII letters only, PostgreSQL by its collation).
Index("uq_user_account_username_lower", func.lower(User.username), unique=True)


def same_username(username: str) -> ColumnElement[bool]:
    """A WHERE clause for the user of this name, whatever its case."""
    return func.lower(User.username) == func.lower(username)


class Call(Base):
    """One phone call, radio caller segment or uploaded recording: the audio is stored before anything else."""

    __tablename__ = "call"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(12))
    external_id: Mapped[str | None] = mapped_column(String(120))
    """CallSid, AudioSocket UUID, show/segment id or file hash: unique per channel, so imports are idempotent."""
    caller_number: Mapped[str | None] = mapped_column(String(40), index=True)
    code: Mapped[str | None] = mapped_column(String(12), unique=True, index=True)
    """The short number a phone caller hears and quotes (keypad status, staff); never the primary key."""
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    audio_path: Mapped[str | None] = mapped_column(String(400))
    """Relative to the data directory's audio folder."""
    audio_sha256: Mapped[str | None] = mapped_column(String(64))
    duration_s: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default=CallStatus.RECEIVED.value, index=True)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    transcripts: Mapped[list["Transcript"]] = relationship(
        back_populates="call", order_by="Transcript.id", cascade="all, delete-orphan"
    )
    complaints: Mapped[list["Complaint"]] = relationship(back_populates="call", order_by="Complaint.id")

    @property
    def transcript(self) -> "Transcript | None":
        return self.transcripts[-1] if self.transcripts else None

    @property
    def draft(self) -> "Complaint | None":
        return self.complaints[0] if self.complaints else None


class Transcript(Base):
    __tablename__ = "transcript"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    call: Mapped[Call] = relationship(back_populates="transcripts")
    engine: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text, default="")
    words: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """[{"word", "start", "end", "conf"}] with times in seconds from the start of the audio."""
    alternatives: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Other readings of the audio (Whisper's beam hypotheses, then readings drawn at a temperature): the
    router averages over them with the text. Not shown to anyone."""
    duration_s: Mapped[float | None] = mapped_column(Float)
    processing_s: Mapped[float | None] = mapped_column(Float)
    edited_text: Mapped[str | None] = mapped_column(Text)
    """The operator's corrected transcript; the verbatim text is kept."""
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Complaint(Base):
    """A complaint (pengaduan, aspirasi or permintaan informasi), from draft to closure."""

    __tablename__ = "complaint"
    __table_args__ = (
        Index("ix_complaint_status_created", "status", "created_at"),
        # the inbox: urgent drafts, then the others, newest first (without it, urgent ones are found by reading every draft)
        Index("ix_complaint_status_urgent_created", "status", "urgent", "created_at"),
        Index("ix_complaint_agency_status", "agency_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(24), unique=True)
    """Public reference number, assigned when a draft is confirmed; never the primary key."""
    status: Mapped[str] = mapped_column(String(24), default=Status.DRAFT.value)
    classification: Mapped[str] = mapped_column(String(24), default="pengaduan")
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"), index=True)
    topic: Mapped[Topic | None] = relationship()
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    agency: Mapped[Agency | None] = relationship()
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"), index=True)
    place: Mapped[Place | None] = relationship()
    location_detail: Mapped[str | None] = mapped_column(String(300))
    """Dusun, RT/RW, landmarks."""
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_phone: Mapped[str | None] = mapped_column(String(40), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str] = mapped_column(String(12), default=Channel.UPLOAD.value)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id"), index=True)
    call: Mapped[Call | None] = relationship(back_populates="complaints")
    suggestions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """What drafting proposed: field confidences, top-3 topics, place candidates, duplicate candidates."""
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    """When the complaint reached the regency: the start of the verification time limit."""
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    """When the current stage's time limit runs out (verification, follow-up or auto-close)."""
    dispositioned_at: Mapped[datetime | None] = mapped_column(DateTime)
    follow_up_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    reject_reason: Mapped[str | None] = mapped_column(String(40))
    lapor_tracking_id: Mapped[str | None] = mapped_column(String(40))
    """The national SP4N-LAPOR! tracking number, once the complaint was entered there."""
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"))
    rating: Mapped[str | None] = mapped_column(String(20))
    """sangat_puas, puas, cukup_puas or tidak_puas."""
    rated_at: Mapped[datetime | None] = mapped_column(DateTime)

    history: Mapped[list["StatusChange"]] = relationship(
        back_populates="complaint", order_by="StatusChange.id"
    )


class StatusChange(Base):
    """Append-only log of a complaint's lifecycle: who moved it, when, from where to where, and why."""

    __tablename__ = "status_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    complaint: Mapped[Complaint] = relationship(back_populates="history")
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    by_user: Mapped[User | None] = relationship()
    note: Mapped[str | None] = mapped_column(Text)


append_only(StatusChange, "status changes")
