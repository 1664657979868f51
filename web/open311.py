"""Open311 GeoReport v2 (read-only): services are the complaint topics, requests the published complaints.

Published is the public audience's rule (`models.visibility`): confirmed, not confidential, not rejected, not a
merged duplicate. No personal data leaves through here: no reporter, and no free text at all. The description is
a problem summary made from the topic and the kecamatan (`public_summary`), never the operator's title or the
caller's words. References are not listable in bulk: the list carries no `service_request_id`, and a request is
looked up by its reference one at a time, with failed look-ups limited per address as on `/lacak`.
`expected_datetime` is the day of the last minute the running time limit allows, as every page shows it
(`due_by`).

The list never singles out what /transparansi masks (`visibility.public_listing`, with the same
`public_min_count`): no anonymous complaint; a complaint only among as many that share its topic, agency and
channel; its kecamatan only among as many of those in the same kecamatan. Times are days (WIB), not seconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, abort, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models.base import utcnow
from models.calendar import last_allowed_minute, local_date
from models.channels import label as channel_label
from models.entities import Complaint, Place, Topic
from models.lifecycle import Status
from models.visibility import PUBLIC, kecamatan_of, listable, public_listing, public_summary
from web.limits import TRACK_MISSES_PER_ADDRESS, TRACK_PER_ADDRESS, limiter
from web.params import datetime_arg
from web.state import db, state

bp = Blueprint("open311", __name__)

DEFAULT_WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000


def _not_merged(query: Any) -> Any:
    """A merged duplicate is published as the one it joined."""
    return query.where(Complaint.duplicate_of_id.is_(None))


def published() -> Any:
    """The complaints anyone may look up by reference, as a select."""
    return _not_merged(PUBLIC.scope(select(Complaint)))


def _day(value: datetime | None) -> str | None:
    """The local (WIB) day of a time: a list of complaints to the second would tell them apart."""
    return local_date(value).isoformat() if value is not None else None


def request_json(c: Complaint, listed: bool = False, with_place: bool = True) -> dict[str, Any]:
    """One request; `listed` (in the bulk list) leaves the reference out, `with_place` False the kecamatan."""
    from models.lifecycle import status_label

    kecamatan = kecamatan_of(c) if with_place else None
    return {
        "service_request_id": None if listed else c.reference,
        "status": "closed" if c.status in Status.CLOSED else "open",
        "status_notes": status_label(c.status),
        "service_name": c.topic.name if c.topic else None,
        "service_code": c.topic.key if c.topic else None,
        "description": public_summary(c, with_place),
        "agency_responsible": c.agency.name if c.agency else None,
        "service_notice": None,
        "requested_datetime": _day(c.received_at),
        "updated_datetime": _day(c.updated_at),
        "expected_datetime": _day(last_allowed_minute(c.due_at)) if c.due_at else None,
        "address": f"Kec. {kecamatan.name}, Kabupaten Bojonegoro" if kecamatan is not None else None,
        "address_id": kecamatan.code if kecamatan is not None else None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
        "extended_attributes": {"channel": c.channel, "channel_name": channel_label(c.channel)},
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
    ids = [i.strip() for i in (request.args.get("service_request_id") or "").split(",") if i.strip()]
    if ids:
        if len(ids) > 1:
            return _error(400, "Satu nomor pengaduan per permintaan.")
        return request_one(ids[0])
    query = _not_merged(listable(select(Complaint))).options(
        joinedload(Complaint.topic), joinedload(Complaint.agency), joinedload(Complaint.place).joinedload(Place.parent))
    end = datetime_arg("end_date") or utcnow()
    start = datetime_arg("start_date") or end - DEFAULT_WINDOW
    query = query.where(Complaint.received_at >= start, Complaint.received_at <= end)
    codes = [c.strip() for c in (request.args.get("service_code") or "").split(",") if c.strip()]
    if codes:
        query = query.where(Complaint.topic_id.in_(select(Topic.id).where(Topic.key.in_(codes))))
    status = request.args.get("status")
    if status in ("open", "closed"):
        query = query.where(Complaint.status.in_(sorted(Status.OPEN if status == "open" else Status.CLOSED)))
    rows = db().scalars(query.order_by(Complaint.received_at.desc()).limit(MAX_REQUESTS)).unique().all()
    listing = public_listing(rows, state().settings.public_min_count)
    return jsonify([request_json(item.complaint, listed=True, with_place=item.with_place) for item in listing])


def _limited(_limit: object):  # noqa: ANN202
    return _error(429, "Terlalu banyak permintaan. Coba lagi nanti.")


@bp.get("/open311/v2/requests/<service_request_id>.json")
@limiter.limit(TRACK_PER_ADDRESS, on_breach=_limited)
@limiter.limit(TRACK_MISSES_PER_ADDRESS, deduct_when=lambda response: response.status_code == 404, on_breach=_limited)
def request_one(service_request_id: str):
    """One published request by its reference; unknown references count against the client like on `/lacak`."""
    from models.refs import normalise_reference

    reference = normalise_reference(service_request_id)
    c = db().scalars(published().where(Complaint.reference == reference)
                     .options(joinedload(Complaint.topic), joinedload(Complaint.agency), joinedload(Complaint.place))).first()
    if reference is None or c is None:
        abort(404)
    return jsonify([request_json(c)])


def _error(status: int, description: str):  # noqa: ANN202
    response = jsonify([{"code": status, "description": description}])
    response.status_code = status
    return response
