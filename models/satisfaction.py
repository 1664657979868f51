"""The reporter's satisfaction rating: one per complaint, from the phone, the public page or an operator's call-back.

The rating can be changed within `CHANGE_WORKING_DAYS` working days of when it was first given; the
source of the latest rating is kept, and every rating or change goes to the audit trail.
`Complaint.rating`/`rated_at` mirror the current rating, so existing readers (the phone menu, the API)
and the dashboard counters (models.analytics) see it without a join.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.analytics import RATINGS
from models.audit import audit
from models.base import Base, utcnow
from models.calendar import WorkingCalendar
from models.entities import Complaint, User
from models.lifecycle import Status
from models.errors import SuaraError

CHANGE_WORKING_DAYS = 10
PHONE_RATINGS = {"1": "sangat_puas", "2": "puas", "3": "cukup_puas", "4": "tidak_puas"}
"""DTMF digit -> rating, as the phone menu reads them out."""


class RatingSource(enum.StrEnum):
    PHONE = "phone"
    """DTMF menu on the complaint line."""
    PUBLIC = "public"
    """The public tracking page."""
    CALLBACK = "callback"
    """Entered by an operator after calling the reporter back."""
    WHATSAPP = "whatsapp"
    """The reporter's answer to the rating question sent on WhatsApp (voice/whatsapp.py)."""


class SatisfactionRating(Base):
    """The current rating of a complaint (one row per complaint)."""

    __tablename__ = "satisfaction_rating"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), unique=True)
    complaint: Mapped[Complaint] = relationship()
    rating: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(12))
    first_rated_at: Mapped[datetime] = mapped_column(DateTime)
    """Starts the change window."""
    rated_at: Mapped[datetime] = mapped_column(DateTime)
    changes: Mapped[int] = mapped_column(Integer, default=0)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    """The operator who entered a call-back rating."""


class RatingError(SuaraError):
    code = "rating_error"
    message_id = "Penilaian tidak dapat disimpan."
    http_status = 409


class InvalidRating(RatingError):
    code = "invalid_rating"
    message_id = "Pilih salah satu: Sangat Puas, Puas, Cukup Puas atau Tidak Puas."
    http_status = 400


class NotRateable(RatingError):
    code = "not_rateable"
    message_id = "Pengaduan ini belum dapat dinilai: penilaian dibuka setelah OPD memberi tindak lanjut."


class RatingLocked(RatingError):
    code = "rating_locked"
    message_id = f"Penilaian hanya dapat diubah dalam {CHANGE_WORKING_DAYS} hari kerja sejak pertama diberikan."


def rating_of(session: Session, complaint: Complaint) -> SatisfactionRating | None:
    return session.scalar(select(SatisfactionRating).where(SatisfactionRating.complaint_id == complaint.id))


def change_deadline(
    rating: SatisfactionRating, calendar: WorkingCalendar, days: int = CHANGE_WORKING_DAYS
) -> datetime:
    """Until when (naive UTC) the rating may still be changed."""
    return calendar.add_working_days(rating.first_rated_at, days)


def can_rate(
    session: Session, complaint: Complaint, now: datetime, calendar: WorkingCalendar, days: int = CHANGE_WORKING_DAYS
) -> bool:
    """Whether a rating may be given or changed now."""
    if complaint.status not in Status.RATEABLE:
        return False
    existing = rating_of(session, complaint)
    return existing is None or now < change_deadline(existing, calendar, days)


def rate(
    session: Session,
    complaint: Complaint,
    rating: str,
    source: RatingSource | str,
    *,
    by: User | None = None,
    now: datetime | None = None,
    calendar: WorkingCalendar | None = None,
    change_days: int = CHANGE_WORKING_DAYS,
) -> SatisfactionRating:
    """Give or change the complaint's rating. Raises InvalidRating, NotRateable or RatingLocked. Caller commits."""
    if rating not in RATINGS:
        raise InvalidRating(f"unknown rating {rating!r}")
    source = RatingSource(source)
    if complaint.status not in Status.RATEABLE:
        raise NotRateable(f"complaint {complaint.id} is {complaint.status}")
    now = now or utcnow()
    calendar = calendar or WorkingCalendar.load(session)
    current = rating_of(session, complaint)
    previous = current.rating if current else None
    if current is None:
        current = SatisfactionRating(complaint=complaint, rating=rating, source=source.value, first_rated_at=now,
                                     rated_at=now, changes=0, by_user_id=by.id if by else None)  # fmt: skip
        session.add(current)
    else:
        if now >= change_deadline(current, calendar, change_days):
            raise RatingLocked(f"rating of complaint {complaint.id} is locked")
        current.rating, current.source, current.rated_at = rating, source.value, now
        current.changes += 1
        current.by_user_id = by.id if by else None
    complaint.rating, complaint.rated_at = rating, now
    audit(session, by, "complaint.rate", complaint, now=now, rating=rating, previous=previous, source=source.value)
    return current
