"""Who may see what, for the web layer: the logged-in user's audience (`models.visibility`) and the helpers every
page, feed and the JSON API use, so that a page and the API can never disagree about who sees what."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import Select, select

from models.entities import Complaint, Role, User
from models.visibility import Audience
from web.state import db

COORDINATORS = (Role.ADMIN, Role.OPERATOR)


def audience(user: Any = None) -> Audience:
    """The audience of `user`, by default the logged-in user (the public when nobody is).

    The logged-in user's is worked out once per request: a list page asks for every row, and each look through
    `current_user`'s proxy costs more than the rule itself."""
    if user is not None or not has_request_context():
        return Audience.of(user if user is not None else current_user)
    who = current_user._get_current_object()
    cached = g.get("_suara_audience")
    if cached is None or cached[0] is not who:  # logging in or out mid-request changes the user object
        cached = (who, Audience.of(who))
        g._suara_audience = cached
    return cached[1]


def is_coordinator(user: Any = None) -> bool:
    """Admin and operator (admin koordinator) see everything, including anonymous reporters."""
    return audience(user).coordinator


def scoped_complaints(user: Any = None) -> Select[tuple[Complaint]]:
    """Complaints the user may see (`Audience.complaints`)."""
    return audience(user).scope(select(Complaint))


def load_complaint(complaint_id: int, user: Any = None, options: tuple = ()) -> Complaint:
    """The complaint if the user may see it, else `ComplaintNotFound` (404, never 403: the id's existence is not
    revealed).

    Viewing a confidential complaint is written to the audit trail.
    """
    user = user or current_user
    who = audience(user)
    query = who.scope(select(Complaint)).where(Complaint.id == complaint_id)
    if options:
        query = query.options(*options)
    complaint = db().scalars(query).first()
    if complaint is None:
        raise who.not_found(complaint_id)
    if complaint.confidential:
        from models.audit import audit_view

        audit_view(db(), db().get(User, user.id), complaint)
        db().commit()
    return complaint


@dataclass(frozen=True)
class Reporter:
    """What a user may see of the reporter."""

    name: str | None
    phone: str | None
    hidden: bool
    anonymous: bool = False


def reporter_of(complaint: Complaint, user: Any = None) -> Reporter:
    """The reporter's fields when the user may see the reporter's identity (`Audience.sees_identity`)."""
    if not audience(user).sees_identity(complaint):
        return Reporter(None, None, True, bool(complaint.anonymous))
    return Reporter(complaint.reporter_name, complaint.reporter_phone, False)


def may_hear(complaint: Complaint | None) -> bool:
    """Whether the logged-in user may play the recording behind this complaint."""
    return audience().may_hear(complaint)


def shown(complaint: Complaint, text: str | None) -> str:
    """A text of the complaint as the logged-in user may read it (identity filtered where it must be)."""
    return audience().text(complaint, text)
