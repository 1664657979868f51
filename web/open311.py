"""Open311 GeoReport v2 (read-only): services are the complaint topics, requests the published complaints.

Published means confirmed (has a reference), not confidential, not rejected and not a merged duplicate.
No personal data leaves through here: no reporter, no description (it is the caller's own words and
may name people), only the title, topic, agency, place and status. The reference number, not the
primary key, is the service_request_id.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, abort, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models.base import utcnow
from models.entities import Complaint, Place, Topic
from web.params import datetime_arg
from web.state import db

bp = Blueprint("open311", __name__)

OPEN = ("belum_diverifikasi", "terverifikasi", "terdisposisi", "ditindaklanjuti", "tunda")
CLOSED = ("selesai", "bukan_wewenang", "arsip")
DEFAULT_WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000


def published() -> Any:
    """The complaints anyone may see, as a select."""
    return select(Complaint).where(
        Complaint.reference.is_not(None),
        Complaint.confidential.is_(False),
        Complaint.status.in_(OPEN + CLOSED),
        Complaint.duplicate_of_id.is_(None),
    )


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).astimezone(timezone(timedelta(hours=7))).isoformat(timespec="seconds")


def _address(place: Place | None) -> str | None:
    if place is None:
        return None
    return f"{place.label}, Kabupaten Bojonegoro"


def request_json(c: Complaint) -> dict[str, Any]:
    from models.lifecycle import status_label

    return {
        "service_request_id": c.reference,
        "status": "closed" if c.status in CLOSED else "open",
        "status_notes": status_label(c.status),
        "service_name": c.topic.name if c.topic else None,
        "service_code": c.topic.key if c.topic else None,
        "description": c.title,
        "agency_responsible": c.agency.name if c.agency else None,
        "service_notice": None,
        "requested_datetime": _iso(c.received_at),
        "updated_datetime": _iso(c.updated_at),
        "expected_datetime": _iso(c.due_at),
        "address": _address(c.place),
        "address_id": c.place.code if c.place else None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


@bp.get("/open311/v2/services.json")
def services():
    topics = db().scalars(select(Topic).options(joinedload(Topic.agency)).order_by(Topic.name)).all()
    return jsonify([
        {"service_code": t.key, "service_name": t.name, "description": t.about or "", "metadata": False,
         "type": "realtime", "keywords": "", "group": t.agency.name if t.agency else ""}
        for t in topics
    ])


@bp.get("/open311/v2/requests.json")
def requests_():
    query = published().options(joinedload(Complaint.topic), joinedload(Complaint.agency),
                                joinedload(Complaint.place).joinedload(Place.parent))
    ids = [i.strip() for i in (request.args.get("service_request_id") or "").split(",") if i.strip()]
    if ids:
        query = query.where(Complaint.reference.in_(ids[:MAX_REQUESTS]))
    else:
        end = datetime_arg("end_date") or utcnow()
        start = datetime_arg("start_date") or end - DEFAULT_WINDOW
        query = query.where(Complaint.received_at >= start, Complaint.received_at <= end)
        codes = [c.strip() for c in (request.args.get("service_code") or "").split(",") if c.strip()]
        if codes:
            query = query.where(Complaint.topic_id.in_(select(Topic.id).where(Topic.key.in_(codes))))
        status = request.args.get("status")
        if status in ("open", "closed"):
            query = query.where(Complaint.status.in_(OPEN if status == "open" else CLOSED))
    rows = db().scalars(query.order_by(Complaint.received_at.desc()).limit(MAX_REQUESTS)).unique().all()
    return jsonify([request_json(c) for c in rows])


@bp.get("/open311/v2/requests/<service_request_id>.json")
def request_one(service_request_id: str):
    c = db().scalars(published().where(Complaint.reference == service_request_id)
                     .options(joinedload(Complaint.topic), joinedload(Complaint.agency), joinedload(Complaint.place))).first()
    if c is None:
        abort(404)
    return jsonify([request_json(c)])
