"""Audit trail: who did what to which record, and who looked at a confidential complaint. Append-only."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, append_only, utcnow
from models.entities import Complaint, User


class AuditEntry(Base):
    """One action by a user (or by the system when user_id is None) on one record."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    user: Mapped[User | None] = relationship()
    action: Mapped[str] = mapped_column(String(60))
    """Dotted verb, e.g. complaint.confirm, complaint.view, holiday.set, user.login."""
    object_type: Mapped[str | None] = mapped_column(String(40))
    """The table name of the record acted on."""
    object_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


append_only(AuditEntry, "audit entries")


def _jsonable(detail: dict[str, Any]) -> dict[str, Any]:
    # Dates, enums and other values become their text so the JSON column accepts them.
    return json.loads(json.dumps(detail, default=str))


def audit(
    session: Session, user: User | None, action: str, obj: Any = None, *, now: datetime | None = None, **detail: Any
) -> AuditEntry:
    """Record an action on `obj` (any mapped record, or None); `detail` is stored as JSON."""
    object_type = object_id = None
    if obj is not None:
        if obj.id is None:
            session.flush()
        object_type, object_id = obj.__tablename__, obj.id
    entry = AuditEntry(
        at=now or utcnow(),
        user=user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=_jsonable(detail),
    )
    session.add(entry)
    return entry


def audit_view(
    session: Session, user: User | None, complaint: Complaint, *, now: datetime | None = None
) -> AuditEntry | None:
    """Log that `user` looked at a complaint, when it is confidential; other views are not logged."""
    if not complaint.confidential:
        return None
    return audit(session, user, "complaint.view", complaint, now=now)
