"""JSON API for integrations under /api/v1/: token authentication, the same access rules as the console.

Clients send `Authorization: Bearer <token>` (issued by an admin on the users page; only its SHA-256
is stored). No cookies are accepted here, so no request can ride on a logged-in browser and CSRF
does not apply; the blueprint is read-only.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import Blueprint, abort, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import lifecycle as lc
from models.base import utcnow
from models.entities import Complaint, User
from web import csrf
from web.auth import LoginUser
from web.access import audience, load_complaint, reporter_of, scoped_complaints
from web.complaint_list import ListFilters, search_page
from web.params import int_arg
from web.state import db

bp = Blueprint("api", __name__)
csrf.exempt(bp)
MAX_PAGE = 200


def _token_user() -> User | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    digest = hashlib.sha256(token.strip().encode()).hexdigest()
    user = db().scalars(select(User).where(User.api_token_hash == digest)).first()
    if user is None or not user.active or not hmac.compare_digest(user.api_token_hash or "", digest):
        return None
    return user


@bp.before_request
def _authenticate() -> Any:
    user = _token_user()
    if user is None:
        response = jsonify({"error": {"code": "unauthorized", "message": "Token API tidak ada atau tidak sah."}})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="suara-warga"'
        return response
    # The token's user is current for this request only: Flask-Login reads g._login_user first,
    # and nothing is written to the session cookie.
    g._login_user = LoginUser(user)
    return None


@bp.after_request
def _no_store(response):  # noqa: ANN001, ANN202
    response.headers["Cache-Control"] = "no-store"
    return response


def complaint_json(c: Complaint, detail: bool = False) -> dict[str, Any]:
    """A complaint as the caller may see it: anonymous reporters masked for non-coordinators."""
    reporter, text = reporter_of(c), audience().text
    body: dict[str, Any] = {
        "id": c.id,
        "reference": c.reference,
        "status": c.status,
        "status_label": lc.status_label(c.status),
        "classification": c.classification,
        "title": text(c, c.title),
        "topic": c.topic.key if c.topic else None,
        "agency": c.agency.key if c.agency else None,
        "place": {"code": c.place.code, "name": c.place.name} if c.place else None,
        "channel": c.channel,
        "urgent": c.urgent,
        "anonymous": c.anonymous,
        "confidential": c.confidential,
        "received_at": _iso(c.received_at),
        "due_at": _iso(c.due_at),
        "overdue": lc.is_overdue(c, utcnow()),
        "reporter": None if reporter.hidden else {"name": reporter.name, "phone": reporter.phone},
    }
    if detail:
        body.update(
            description=text(c, c.description),
            location_detail=text(c, c.location_detail) or None,
            dispositioned_at=_iso(c.dispositioned_at),
            follow_up_at=_iso(c.follow_up_at),
            closed_at=_iso(c.closed_at),
            duplicate_of=c.duplicate_of_id,
            history=[{"from": h.from_status, "to": h.to_status, "at": _iso(h.at), "note": text(c, h.note) or None} for h in c.history],
            follow_ups=[{"text": text(c, f.text), "at": _iso(f.at)} for f in lc.follow_ups(db(), c)],
        )
    return body


def _iso(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


@bp.get("/api/v1/complaints")
def complaints():
    """Newest first; filters as in the console (q, status, agency, topic, kecamatan, channel, overdue); `after` pages."""
    size = int_arg("limit", 50, minimum=1, maximum=MAX_PAGE)
    rows, next_after = search_page(ListFilters.from_args(request.args), utcnow(), size)
    return jsonify({"complaints": [complaint_json(c) for c in rows], "next_after": next_after})


@bp.get("/api/v1/complaints/<int:complaint_id>")
def complaint(complaint_id: int):
    c = load_complaint(complaint_id, options=(joinedload(Complaint.topic), joinedload(Complaint.agency), joinedload(Complaint.place)))
    return jsonify(complaint_json(c, detail=True))


@bp.get("/api/v1/complaints/ref/<reference>")
def complaint_by_reference(reference: str):
    from models.refs import normalise_reference

    ref = normalise_reference(reference)
    if ref is None:
        abort(404)
    ident = db().scalar(scoped_complaints().with_only_columns(Complaint.id).where(Complaint.reference == ref))
    if ident is None:
        abort(404)
    return complaint(ident)
