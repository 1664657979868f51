"""The operator console: live draft inbox, review page, complaint list, lifecycle actions,
the OPD liaison queue and the admin pages for users, agencies and holidays.

Access rules are `web.access` (the audiences of `models.visibility`); the JSON API uses the same helpers.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from models import lifecycle as lc
from models.analytics import Period
from models.issues import Issue
from models.base import utcnow
from models.entities import Agency, Complaint, Role
from models.errors import SuaraError
from models.visibility import Kind
from web.agency_view import agency_summary
from web.access import audience, is_coordinator, load_complaint, may_hear, reporter_of, scoped_complaints, shown
from web.auth import role_required
from web.console_common import ROLE_LABELS, _fail_message, acting_user, bp, record_audit
from web.actions import ACTIONS, ActionNotAllowed
from web.complaint_list import STATUS_LABELS, ListFilters, search_page
from web.draft_review import CLASSIFICATIONS, apply_draft_fields, draft_due, reference_lists, review_context, save_transcript
from web.inbox import InboxRow, draft_marker, sse_stream, waiting_drafts
from web.places import PlaceSearch, directory
from web.review_page import FormValues, Refusal
from web import sse
from web.sse import attach_broker, broker
from voice.jobs import voice_jobs
from voice.whatsapp_jobs import whatsapp_jobs
from web.state import db, state

log = logging.getLogger(__name__)

PAGE_SIZE = 50
LIAISON_PAGE_SIZE = 100
"""Rows of the liaison's queue per page (earliest due first): 500 took 80 ms of CPU to render."""
KEEPALIVE_S = 15.0

REJECT_REASONS = {reason.value: reason.label for reason in lc.RejectReason}


@bp.record_once
def _attach_broker(setup: Any) -> None:
    attach_broker(setup.app)


# -- small helpers -------------------------------------------------------------------------------
def is_overdue(complaint: Complaint, now: datetime | None = None) -> bool:
    """Past the limit of a stage where a person must act (the domain's rule)."""
    return lc.is_overdue(complaint, now or utcnow())


@bp.app_template_filter("complaint_status")
def _status_label(value: str | None) -> str:
    return STATUS_LABELS.get(value or "", value or "–")


@bp.app_template_filter("reference")
def _reference(value: str | None) -> str:
    from models.refs import format_reference

    return format_reference(value) if value else "–"


@bp.app_template_filter("percent")
def _percent(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


@bp.app_context_processor
def _console_globals() -> dict[str, Any]:
    return dict(is_overdue=is_overdue, sla_label=_sla_label, is_coordinator=is_coordinator, shown=shown, may_hear=may_hear,
                REJECT_REASONS=REJECT_REASONS,
                CLASSIFICATIONS=CLASSIFICATIONS, STATUS_LABELS=STATUS_LABELS, ROLE_LABELS=ROLE_LABELS, Role=Role)


def _sla_label(complaint: Complaint) -> str:
    stage = lc.STAGE_OF_STATUS.get(lc.Status(complaint.status)) if complaint.status in STATUS_LABELS else None
    return stage.label if stage else ""


def _back_to_complaint(complaint: Complaint) -> Response:
    return redirect(url_for("console.complaint", complaint_id=complaint.id))


# -- draft inbox and live events -----------------------------------------------------------------
def _inbox_drafts() -> list[InboxRow]:
    return waiting_drafts(db(), directory(), draft_due)


@bp.get("/konsol/")
@role_required(Role.OPERATOR)
def inbox():
    return render_template("console/inbox.html", drafts=_inbox_drafts(), now=utcnow())


@bp.get("/konsol/draf/baris")
@role_required(Role.OPERATOR)
def inbox_rows():
    """The inbox rows alone: what the live page fetches after an event."""
    return render_template("console/_inbox_rows.html", drafts=_inbox_drafts(), now=utcnow())


@bp.get("/konsol/events")
@role_required(Role.OPERATOR)
def events():
    # Release the request's database session now: the stream may stay open for hours.
    session = g.pop("db", None)
    if session is not None:
        session.close()
    keepalive = float(current_app.config.get("SSE_KEEPALIVE_S", KEEPALIVE_S))
    stream = sse_stream(broker(), draft_marker(state().sessions), keepalive)
    return sse.response(stream)


# -- review page ---------------------------------------------------------------------------------
@bp.get("/konsol/draf/<int:complaint_id>")
@role_required(Role.OPERATOR)
def review(complaint_id: int):
    complaint = load_complaint(complaint_id, options=(joinedload(Complaint.call), joinedload(Complaint.topic)))
    if complaint.status != lc.Status.DRAFT:
        return _back_to_complaint(complaint)
    return render_template("console/review.html", **review_context(complaint))


@bp.post("/konsol/draf/<int:complaint_id>")
@role_required(Role.OPERATOR)
def review_submit(complaint_id: int):
    """Save the draft's fields and transcript; with action=confirm also confirm it (one click)."""
    complaint = load_complaint(complaint_id)
    if complaint.status != lc.Status.DRAFT:
        flash("Pengaduan ini bukan draf lagi.", "error")
        return _back_to_complaint(complaint)
    search = PlaceSearch.of(request.form, directory())
    if search is not None:
        return _place_search(complaint_id, search)
    try:
        changes = apply_draft_fields(complaint, request.form)
        transcript_changed = save_transcript(complaint, request.form.get("transcript"))
        if changes or transcript_changed:
            record_audit("complaint.edit", complaint, fields={k: [str(o), str(n)] for k, (o, n) in changes.items()},
                         transcript_edited=transcript_changed)
        if request.form.get("action") == "confirm":
            lc.confirm_draft(db(), complaint, by=acting_user(), settings=state().settings)
            db().commit()
            broker().publish("confirmed", complaint_id=complaint.id)
            voice_jobs(state().jobs).sms_reference(complaint.id)
            whatsapp_jobs(state().jobs).notify(complaint.id)  # the reference, when it came by WhatsApp
            flash(f"Pengaduan dikonfirmasi dengan nomor {_reference(complaint.reference)}.", "info")
            return _back_to_complaint(complaint)
        db().commit()
    except SuaraError as exc:
        db().rollback()
        # the operator's edits stay on the page, with the reason beside them
        complaint = load_complaint(complaint_id, options=(joinedload(Complaint.call), joinedload(Complaint.topic)))
        context = review_context(complaint, request.form, exc.message_id)
        return render_template("console/review.html", **context, error_field=getattr(exc, "field", None)), 422
    flash("Draf disimpan.", "info")
    return redirect(url_for("console.review", complaint_id=complaint.id))


def _place_search(complaint_id: int, search: PlaceSearch) -> tuple[str, int]:
    """The review page again with every edit kept and the places found to pick from; nothing is saved."""
    complaint = load_complaint(complaint_id, options=(joinedload(Complaint.call), joinedload(Complaint.topic)))
    context = review_context(complaint, request.form, search.error)
    return render_template("console/review.html", **context, place_search=search,
                           error_field=None if search.asked else "place"), search.http_status


@bp.post("/konsol/draf/<int:complaint_id>/tolak")
@role_required(Role.OPERATOR)
def reject(complaint_id: int):
    complaint = load_complaint(complaint_id)
    reason = request.form.get("reason", "")
    if reason not in REJECT_REASONS:
        flash("Pilih alasan penolakan.", "error")
        return redirect(url_for("console.review", complaint_id=complaint_id))
    try:
        lc.reject_draft(db(), complaint, reason, by=acting_user(), note=(request.form.get("note") or "").strip() or None)
        db().commit()
    except SuaraError as exc:
        _fail_message(exc)
        return _back_to_complaint(complaint)
    broker().publish("rejected", complaint_id=complaint.id)
    flash(f"Draf ditolak: {REJECT_REASONS[reason]}.", "info")
    return redirect(url_for("console.inbox"))


@bp.post("/konsol/pengaduan/<int:complaint_id>/gabung")
@role_required(Role.OPERATOR)
def merge(complaint_id: int):
    """Merge this complaint into an earlier one (the duplicate keeps a link to it)."""
    duplicate = load_complaint(complaint_id)
    try:
        into_id = int(request.form.get("into_id", ""))
    except ValueError:
        abort(400)
    into = load_complaint(into_id)
    try:
        lc.merge_duplicate(db(), duplicate, into, by=acting_user())
        db().commit()
    except SuaraError as exc:
        _fail_message(exc)
        return _back_to_complaint(duplicate)
    broker().publish("merged", complaint_id=duplicate.id)
    flash(f"Digabungkan ke pengaduan {_reference(into.reference) if into.reference else '#' + str(into.id)}.", "info")
    return _back_to_complaint(into)


# -- complaint detail and lifecycle actions ------------------------------------------------------
@bp.get("/konsol/pengaduan/<int:complaint_id>")
@login_required
def complaint(complaint_id: int):
    return _complaint_page(complaint_id)


def _complaint_page(complaint_id: int, refused: Refusal | None = None) -> str:
    c = load_complaint(complaint_id, options=(joinedload(Complaint.topic), joinedload(Complaint.agency),
                                              selectinload(Complaint.history)))
    from voice.jobs import sms_status

    return render_template("console/complaint.html", complaint=c, reporter=reporter_of(c), follow_ups=lc.follow_ups(db(), c),
                           operations=lc.allowed_operations(c.status), now=utcnow(), sms=sms_status(db(), c),
                           refused=refused, **reference_lists())


@bp.post("/konsol/pengaduan/<int:complaint_id>/<action>")
@login_required
def act(complaint_id: int, action: str):
    """Run one lifecycle action; an illegal transition answers with the domain's Indonesian message."""
    spec = ACTIONS.get(action)
    if spec is None:
        abort(404)
    c = load_complaint(complaint_id)  # first: a complaint the user may not see is not found, whatever the action
    if not current_user.has_role(Role.ADMIN, *spec.roles):
        raise ActionNotAllowed(spec)
    try:
        spec.run(db(), c, acting_user(), request.form)
        db().commit()
    except SuaraError as exc:
        db().rollback()  # the page answers with the form as it was sent, the faulty field marked
        field = ("text" if action == "tindak-lanjut" else "note") if isinstance(exc, lc.NoteRequired) else getattr(exc, "field", None)
        refused = Refusal(action, spec.operation, FormValues(request.form), exc.message_id, field)
        return _complaint_page(complaint_id, refused), 422
    broker().publish("changed", complaint_id=c.id, status=c.status)
    if c.status == lc.Status.SELESAI:
        whatsapp_jobs(state().jobs).notify(c.id)  # the rating question, when it came by WhatsApp
    flash(f"{spec.label}: status sekarang {STATUS_LABELS.get(c.status, c.status)}.", "info")
    return _back_to_complaint(c)


# -- complaint list ------------------------------------------------------------------------------


@bp.get("/konsol/pengaduan")
@login_required
def complaints():
    now = utcnow()
    f = ListFilters.from_args(request.args)
    rows, next_after = search_page(f, now, PAGE_SIZE)
    kecamatan = [k for k, _ in directory().groups]
    issue = db().get(Issue, f.issue_id) if f.issue_id else None
    if issue is not None and audience().kind is Kind.LIAISON and issue.agency_id != current_user.agency_id:
        issue = None  # another agency's issue: a liaison reads only their own agency's issues
    return render_template("console/complaints.html", complaints=rows, f=f, next_after=next_after, now=now,
                           kecamatan=kecamatan, reporter_of=reporter_of, issue=issue, **reference_lists())


# -- OPD liaison ---------------------------------------------------------------------------------
@bp.get("/konsol/opd")
@role_required(Role.LIAISON)
def liaison():
    """The liaison's queue: open complaints of their agency, earliest due first."""
    now = utcnow()
    query = scoped_complaints().where(Complaint.status.in_(sorted(lc.Status.WITH_AGENCY)))
    if current_user.has_role(Role.ADMIN) and current_user.agency_id is None:
        query = query.where(Complaint.agency_id.is_not(None))
    page = min(max(request.args.get("halaman", 1, type=int), 1), 10_000)
    rows = db().scalars(
        query.options(joinedload(Complaint.topic), joinedload(Complaint.place))
        .order_by(Complaint.due_at.is_(None), Complaint.due_at, Complaint.id)
        .offset((page - 1) * LIAISON_PAGE_SIZE).limit(LIAISON_PAGE_SIZE + 1)
    ).unique().all()
    agency = db().get(Agency, current_user.agency_id) if current_user.agency_id else None
    summary = agency_summary(agency, Period.last_days(30), now) if agency and page == 1 else None
    return render_template("console/liaison.html", complaints=rows[:LIAISON_PAGE_SIZE], agency=agency, now=now,
                           reporter_of=reporter_of, s=summary, page=page, more=len(rows) > LIAISON_PAGE_SIZE)  # fmt: skip


# the admin pages (users, agencies, holidays) are views of this blueprint too
from web import console_admin  # noqa: E402,F401
