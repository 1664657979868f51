"""What the console's modules share: the blueprint (one, so endpoint names stay `console.*`), the acting user, the
audit helper and how a refused domain operation is shown."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash
from flask_login import current_user

from models.entities import User
from models.errors import SuaraError
from web.state import db

bp = Blueprint("console", __name__)

ROLE_LABELS = {"admin": "Admin", "operator": "Operator (admin koordinator)", "liaison": "Admin penghubung OPD", "viewer": "Pimpinan (lihat saja)"}


def acting_user() -> User:
    """The ORM row of the logged-in user, for the domain functions' `by`."""
    user = db().get(User, current_user.id)
    if user is None:
        abort(403)
    return user


def record_audit(action: str, obj: Any, **detail: Any) -> None:
    """Write an audit entry for the current user (models.audit)."""
    from models.audit import audit

    audit(db(), db().get(User, current_user.id) if current_user.is_authenticated else None, action, obj, **detail)


def _fail_message(exc: SuaraError) -> None:
    db().rollback()
    flash(exc.message_id, "error")
