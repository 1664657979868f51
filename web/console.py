"""The operator console: live draft inbox, review page, complaint list, lifecycle actions,
the OPD liaison queue and the admin pages for users, agencies and holidays.

Access rules are `web.access` (the audiences of `models.visibility`); the JSON API uses the same helpers.
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Iterator

from flask import (
    Blueprint,
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
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, defer, joinedload, selectinload

from models import lifecycle as lc
from models.analytics import ComplaintFact, Period
from models.issues import Issue
from models.base import utcnow
from models.entities import Agency, Call, Complaint, Place, Role, Topic, Transcript, User
from models.errors import SuaraError
from models.search import SearchTerms, complaint_text_matches
from models.visibility import Audience, Kind
from web.agency_view import agency_summary
from web.access import COORDINATORS, Reporter, audience, is_coordinator, load_complaint, may_hear, reporter_of, scoped_complaints, shown  # noqa: F401
from web.accounts import reset_password, set_active, set_role
from web.auth import role_required
from web.params import EARLIEST, LATEST, int_arg, parse_int
from transcribe.drafting.suggestions import DraftSuggestions
from web.places import directory
from web.review_page import FormValues, duplicate_rows, place_chips, topic_chips
from web.state import db, state

log = logging.getLogger(__name__)
bp = Blueprint("console", __name__)

PAGE_SIZE = 50
LIAISON_PAGE_SIZE = 100
"""Rows of the liaison's queue per page (earliest due first): 500 took 80 ms of CPU to render."""
INBOX_LIMIT = 100
KEEPALIVE_S = 15.0
LOW_CONFIDENCE = 0.6
"""Words recognised with less confidence than this are marked for the operator."""

STATUS_LABELS = {status.value: status.label for status in lc.Status}
OPEN_STATUSES = tuple(status.value for status in lc.STAGE_OF_STATUS)
"""Statuses with a running time limit (due_at)."""
CLOSED_STATUSES = ("selesai", "arsip", "ditolak", "bukan_wewenang")
REJECT_REASONS = {reason.value: reason.label for reason in lc.RejectReason}
CLASSIFICATIONS = {"pengaduan": "Pengaduan", "aspirasi": "Aspirasi", "permintaan_informasi": "Permintaan informasi"}
ROLE_LABELS = {"admin": "Admin", "operator": "Operator (admin koordinator)", "liaison": "Admin penghubung OPD", "viewer": "Pimpinan (lihat saja)"}


# -- live events: a small in-process pub/sub ------------------------------------------------------
class Broker:
    """Fan-out of small JSON events to the open SSE streams of this process; never blocks a publisher."""

    def __init__(self, max_backlog: int = 100) -> None:
        self._subscribers: set[queue.Queue[dict[str, Any]]] = set()
        self._lock = threading.Lock()
        self.max_backlog = max_backlog

    def subscribe(self) -> queue.Queue[dict[str, Any]]:
        q: queue.Queue[dict[str, Any]] = queue.Queue(self.max_backlog)
        with self._lock:
            self._subscribers.add(q)
        return q

    def unsubscribe(self, q: queue.Queue[dict[str, Any]]) -> None:
        with self._lock:
            self._subscribers.discard(q)

    def publish(self, event: str, **data: Any) -> None:
        message = {"event": event, **data}
        with self._lock:
            subscribers = list(self._subscribers)
        for q in subscribers:
            try:
                q.put_nowait(message)
            except queue.Full:  # a stalled client loses events, it re-reads the inbox on reconnect
                log.debug("SSE subscriber backlog full; event dropped")

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def job_hook(self, event: str, call_id: int) -> None:
        """JobQueue.hooks listener: transcription and drafting progress become inbox events."""
        self.publish(event, call_id=call_id)


@bp.record_once
def _attach_broker(setup: Any) -> None:
    app = setup.app
    broker = Broker()
    app.extensions["suara_broker"] = broker
    app.extensions["suara"].jobs.hooks.append(broker.job_hook)


def broker() -> Broker:
    return current_app.extensions["suara_broker"]


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


# -- small helpers -------------------------------------------------------------------------------
def is_overdue(complaint: Complaint, now: datetime | None = None) -> bool:
    """Past the limit of a stage where a person must act (the domain's rule)."""
    return lc.is_overdue(complaint, now or utcnow())


def normalise_phone(text: str) -> str:
    """+62 812-3456 / 62812 / 0812 3456 → 08123456 (how numbers are stored from the phone gateways)."""
    digits = re.sub(r"\D", "", text)
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    return digits


def phone_variants(text: str) -> list[str]:
    local = normalise_phone(text)
    if not local:
        return []
    variants = {local, text.strip()}
    if local.startswith("0"):
        variants |= {"+62" + local[1:], "62" + local[1:]}
    return sorted(variants)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def reference_lists() -> dict[str, Any]:
    return dict(
        topics=db().scalars(select(Topic).order_by(Topic.name)).all(),
        agencies=db().scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.name)).all(),
    )


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


def _fail_message(exc: SuaraError) -> None:
    db().rollback()
    flash(exc.message_id, "error")


def _back_to_complaint(complaint: Complaint) -> Response:
    return redirect(url_for("console.complaint", complaint_id=complaint.id))


# -- draft inbox and live events -----------------------------------------------------------------
def _inbox_drafts() -> list[Complaint]:
    """Urgent drafts first, then the newest: two queries so each walks the (status, created_at) index."""
    def drafts(urgent: bool) -> list[Complaint]:
        return list(db().scalars(
            select(Complaint)
            .where(Complaint.status == "draft", Complaint.urgent.is_(urgent))
            # a row needs neither the drafter's suggestions nor the texts: not decoded for 100 rows
            .options(joinedload(Complaint.call).load_only(Call.duration_s), joinedload(Complaint.topic),
                     joinedload(Complaint.place).joinedload(Place.parent),
                     defer(Complaint.suggestions), defer(Complaint.description))
            .order_by(Complaint.created_at.desc(), Complaint.id.desc())
            .limit(INBOX_LIMIT)
        ).unique())

    return (drafts(True) + drafts(False))[:INBOX_LIMIT]


@bp.get("/konsol/")
@role_required(Role.OPERATOR)
def inbox():
    return render_template("console/inbox.html", drafts=_inbox_drafts(), now=utcnow(), verification_due=verification_due)


@bp.get("/konsol/draf/baris")
@role_required(Role.OPERATOR)
def inbox_rows():
    """The inbox rows alone: what the live page fetches after an event."""
    return render_template("console/_inbox_rows.html", drafts=_inbox_drafts(), now=utcnow(), verification_due=verification_due)


def draft_marker(sessions: Callable[[], Session]) -> Callable[[], tuple[int, int]]:
    """(newest draft id, number of drafts), read in a short session: changes when a draft arrives or leaves."""

    def marker() -> tuple[int, int]:
        with sessions() as session:
            row = session.execute(select(func.max(Complaint.id), func.count(Complaint.id)).where(Complaint.status == "draft")).one()
            return int(row[0] or 0), int(row[1] or 0)

    return marker


def sse_stream(broker_: Broker, marker: Callable[[], tuple[int, int]] | None, keepalive_s: float, stop: threading.Event | None = None) -> Iterator[str]:
    """Server-Sent Events: published events, a comment as keep-alive, and a database check at each
    keep-alive so drafts made by workers in other processes (Redis) still reach the page.

    Holds no database session between checks.
    """
    subscription = broker_.subscribe()
    last = marker() if marker else None
    try:
        yield f"retry: 3000\nevent: hello\ndata: {json.dumps({'subscribers': broker_.subscriber_count})}\n\n"
        while stop is None or not stop.is_set():
            try:
                message = subscription.get(timeout=keepalive_s)
            except queue.Empty:
                current = marker() if marker else None
                if current != last:
                    last = current
                    yield f"event: inbox\ndata: {json.dumps({'event': 'changed'})}\n\n"
                else:
                    yield ": keep-alive\n\n"
                continue
            yield f"event: inbox\ndata: {json.dumps(message)}\n\n"
    finally:
        broker_.unsubscribe(subscription)


@bp.get("/konsol/events")
@role_required(Role.OPERATOR)
def events():
    # Release the request's database session now: the stream may stay open for hours.
    session = g.pop("db", None)
    if session is not None:
        session.close()
    keepalive = float(current_app.config.get("SSE_KEEPALIVE_S", KEEPALIVE_S))
    stream = sse_stream(broker(), draft_marker(state().sessions), keepalive)
    return Response(stream, mimetype="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# -- review page ---------------------------------------------------------------------------------
def _review_context(complaint: Complaint, form: Any = None, error: str | None = None) -> dict[str, Any]:
    """What the review page shows; `form` (a refused submit) is shown instead of the stored values."""
    transcript = None
    words: list[dict[str, Any]] = []
    if complaint.call_id is not None:
        transcript = db().scalars(select(Transcript).where(Transcript.call_id == complaint.call_id).order_by(Transcript.id.desc())).first()
        if transcript is not None:
            for w in transcript.words or []:
                if not isinstance(w, dict):
                    continue
                start = _number(w.get("start"))
                conf = _number(w.get("conf"))
                words.append(dict(word=str(w.get("word", "")).strip(), start=start if start is not None else 0.0,
                                  end=_number(w.get("end")) or start or 0.0, conf=conf,
                                  low=conf is not None and conf < LOW_CONFIDENCE))
    lists = reference_lists()
    suggestions = DraftSuggestions.from_json(complaint.suggestions)
    places = directory()
    values = FormValues(form)
    return dict(
        complaint=complaint,
        call=complaint.call,
        transcript=transcript,
        words=words,
        topic_suggestions=topic_chips(suggestions, {t.key: t for t in lists["topics"]}),
        place_suggestions=place_chips(suggestions, places),
        place_tie=suggestions.place_tie,
        confidences=suggestions.confidences,
        duplicates=duplicate_rows(db(), suggestions, complaint, scoped_complaints()),
        chosen_place=places.by_id.get(values.id("place_id", complaint.place_id) or 0),
        values=values,
        error=error,
        verify_due=verification_due(complaint),
        reporter=reporter_of(complaint),
        now=utcnow(),
        **lists,
    )


def verification_due(complaint: Complaint) -> datetime | None:
    """When a draft must be verified: the time limit runs from receipt, before anyone confirms it."""
    if complaint.status != "draft":
        return complaint.due_at
    calendar = _calendar()
    # the limit depends only on the local day of receipt: computed once per day for a page of drafts
    day = calendar.local_date(complaint.received_at)
    known = g.setdefault("suara_verify_due", {})
    if day not in known:
        known[day] = lc.verification_due(complaint.received_at, calendar, state().settings)
    return known[day]


def _calendar() -> Any:
    from models.calendar import WorkingCalendar

    cache = g.setdefault("suara_calendar", None)
    if cache is None:
        cache = g.suara_calendar = WorkingCalendar.load(db())
    return cache


@bp.get("/konsol/draf/<int:complaint_id>")
@role_required(Role.OPERATOR)
def review(complaint_id: int):
    complaint = load_complaint(complaint_id, options=(joinedload(Complaint.call), joinedload(Complaint.topic)))
    if complaint.status != "draft":
        return _back_to_complaint(complaint)
    return render_template("console/review.html", **_review_context(complaint))


class InvalidInput(SuaraError):
    code = "invalid_input"
    message_id = "Isian tidak valid."
    http_status = 422

    def __init__(self, detail: str = "", message_id: str | None = None, field: str | None = None) -> None:
        super().__init__(detail, message_id)
        self.field = field
        """The form field to mark, when one is at fault."""


def _optional_id(model: type, raw: str | None) -> int | None:
    if not raw:
        return None
    try:
        ident = int(raw)
    except ValueError:
        raise InvalidInput(f"bad id {raw!r}") from None
    if db().get(model, ident) is None:
        raise InvalidInput(f"unknown {model.__name__} {ident}")
    return ident


def apply_draft_fields(complaint: Complaint, form: Any) -> dict[str, tuple[Any, Any]]:
    """Copy the review form into the draft; returns {field: (old, new)} for the audit trail."""
    changes: dict[str, tuple[Any, Any]] = {}

    def put(field: str, value: Any) -> None:
        old = getattr(complaint, field)
        if old != value:
            changes[field] = (old, value)
            setattr(complaint, field, value)

    title = (form.get("title") or "").strip()
    if not title:
        raise InvalidInput("title required", "Judul pengaduan wajib diisi.", "title")
    put("title", title[:200])
    put("description", (form.get("description") or "").strip())
    classification = form.get("classification") or "pengaduan"
    if classification not in CLASSIFICATIONS:
        raise InvalidInput("bad classification")
    put("classification", classification)
    put("topic_id", _optional_id(Topic, form.get("topic_id")))
    put("agency_id", _optional_id(Agency, form.get("agency_id")))
    if complaint.agency_id is None and complaint.topic_id is not None:
        topic = db().get(Topic, complaint.topic_id)
        if topic is not None and topic.agency_id is not None:
            put("agency_id", topic.agency_id)
    put("place_id", _optional_id(Place, form.get("place_id")))
    put("location_detail", (form.get("location_detail") or "").strip()[:300] or None)
    put("reporter_name", (form.get("reporter_name") or "").strip()[:200] or None)
    phone = (form.get("reporter_phone") or "").strip()
    if phone and not re.fullmatch(r"\+?[0-9 ()-]{6,20}", phone):
        raise InvalidInput("bad phone", "Nomor telepon pelapor tidak valid: tulis angka saja, mis. 081234567890.", "reporter_phone")
    put("reporter_phone", phone or None)
    for flag in ("anonymous", "confidential", "urgent"):
        put(flag, form.get(flag) in ("1", "on", "true", "y"))
    return changes


def _save_transcript(complaint: Complaint, text: str | None) -> bool:
    if text is None or complaint.call_id is None:
        return False
    transcript = db().scalars(select(Transcript).where(Transcript.call_id == complaint.call_id).order_by(Transcript.id.desc())).first()
    if transcript is None:
        return False
    text = text.replace("\r\n", "\n").strip()
    new = None if text == transcript.text.strip() else text
    if new == transcript.edited_text:
        return False
    transcript.edited_text = new
    return True


@bp.post("/konsol/draf/<int:complaint_id>")
@role_required(Role.OPERATOR)
def review_submit(complaint_id: int):
    """Save the draft's fields and transcript; with action=confirm also confirm it (one click)."""
    complaint = load_complaint(complaint_id)
    if complaint.status != "draft":
        flash("Pengaduan ini bukan draf lagi.", "error")
        return _back_to_complaint(complaint)
    try:
        changes = apply_draft_fields(complaint, request.form)
        transcript_changed = _save_transcript(complaint, request.form.get("transcript"))
        if changes or transcript_changed:
            record_audit("complaint.edit", complaint, fields={k: [str(o), str(n)] for k, (o, n) in changes.items()},
                         transcript_edited=transcript_changed)
        if request.form.get("action") == "confirm":
            lc.confirm_draft(db(), complaint, by=acting_user(), settings=state().settings)
            db().commit()
            broker().publish("confirmed", complaint_id=complaint.id)
            state().jobs.sms_reference_task(complaint.id)
            flash(f"Pengaduan dikonfirmasi dengan nomor {_reference(complaint.reference)}.", "info")
            return _back_to_complaint(complaint)
        db().commit()
    except SuaraError as exc:
        db().rollback()
        # the operator's edits stay on the page, with the reason beside them
        complaint = load_complaint(complaint_id, options=(joinedload(Complaint.call), joinedload(Complaint.topic)))
        context = _review_context(complaint, request.form, exc.message_id)
        return render_template("console/review.html", **context, error_field=getattr(exc, "field", None)), 422
    flash("Draf disimpan.", "info")
    return redirect(url_for("console.review", complaint_id=complaint.id))


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
    c = load_complaint(complaint_id, options=(joinedload(Complaint.topic), joinedload(Complaint.agency),
                                              selectinload(Complaint.history)))
    from voice.jobs import sms_status

    return render_template("console/complaint.html", complaint=c, reporter=reporter_of(c), follow_ups=lc.follow_ups(db(), c),
                           operations=lc.allowed_operations(c.status), now=utcnow(), sms=sms_status(db(), c),
                           **reference_lists())


@dataclass(frozen=True)
class Action:
    """A lifecycle action offered as a POST form: who may do it and how to call the domain."""

    label: str
    roles: tuple[Role, ...]
    run: Callable[[Session, Complaint, User, Any], Any]


def _agency_from(form: Any, field: str = "agency_id") -> Agency:
    agency = db().get(Agency, _optional_id(Agency, form.get(field)) or 0)
    if agency is None:
        raise InvalidInput("agency required", "Pilih OPD tujuan.")
    return agency


def _note(form: Any) -> str | None:
    return (form.get("note") or "").strip() or None


def _settings() -> Any:
    return state().settings


ACTIONS: dict[str, Action] = {
    "verifikasi": Action("Verifikasi", COORDINATORS, lambda s, c, u, f: lc.verify(s, c, by=u, note=_note(f))),
    "disposisi": Action("Disposisi ke OPD", COORDINATORS,
                        lambda s, c, u, f: lc.disposition(s, c, _agency_from(f), by=u, note=_note(f), settings=_settings())),
    "tindak-lanjut": Action("Kirim tindak lanjut", (Role.LIAISON, *COORDINATORS),
                            lambda s, c, u, f: lc.record_follow_up(s, c, f.get("text") or "", by=u, settings=_settings())),
    "kembalikan": Action("Kembalikan ke OPD", COORDINATORS,
                         lambda s, c, u, f: lc.return_to_agency(s, c, by=u, note=f.get("note") or "", settings=_settings())),
    "selesai": Action("Selesaikan", COORDINATORS, lambda s, c, u, f: lc.close(s, c, by=u, note=_note(f))),
    "tunda": Action("Tunda", COORDINATORS, lambda s, c, u, f: lc.pause(s, c, by=u, note=f.get("note") or "")),
    "lanjutkan": Action("Lanjutkan", COORDINATORS,
                        lambda s, c, u, f: lc.resume(s, c, by=u, note=_note(f), settings=_settings())),
    "bukan-wewenang": Action("Bukan wewenang", (Role.LIAISON, *COORDINATORS),
                             lambda s, c, u, f: lc.mark_not_competent(
                                 s, c, by=u, note=f.get("note") or "",
                                 forward_national=f.get("forward_national") in ("1", "on"),
                                 lapor_tracking_id=(f.get("lapor_tracking_id") or "").strip() or None)),
    "alihkan": Action("Alihkan ke OPD lain", COORDINATORS,
                      lambda s, c, u, f: lc.reroute(s, c, _agency_from(f), by=u, note=_note(f), settings=_settings())),
    "arsip": Action("Arsipkan", COORDINATORS, lambda s, c, u, f: lc.archive(s, c, by=u, note=f.get("note") or "")),
}


@bp.post("/konsol/pengaduan/<int:complaint_id>/<action>")
@login_required
def act(complaint_id: int, action: str):
    """Run one lifecycle action; an illegal transition answers with the domain's Indonesian message."""
    spec = ACTIONS.get(action)
    if spec is None:
        abort(404)
    c = load_complaint(complaint_id)
    if not current_user.has_role(Role.ADMIN, *spec.roles):
        abort(403)
    try:
        spec.run(db(), c, acting_user(), request.form)
        db().commit()
    except SuaraError as exc:
        _fail_message(exc)
        return _back_to_complaint(c)
    broker().publish("changed", complaint_id=c.id, status=c.status)
    flash(f"{spec.label}: status sekarang {STATUS_LABELS.get(c.status, c.status)}.", "info")
    return _back_to_complaint(c)


# -- complaint list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListFilters:
    """The list's query string, parsed once; unknown statuses and channels are ignored, numbers out of range refused."""

    q: str = ""
    status: str = ""
    agency_id: int | None = None
    topic_id: int | None = None
    kecamatan_id: int | None = None
    channel: str = ""
    overdue: bool = False
    issue_id: int | None = None
    """The complaints of one priority issue (the links from the issue lists)."""
    after: int | None = None
    """Keyset cursor: show complaints with a smaller id."""

    @classmethod
    def from_args(cls, args: Any) -> "ListFilters":
        def as_int(name: str) -> int | None:
            raw = args.get(name, "")
            return (parse_int(name, raw) or None) if raw.strip() else None

        status = args.get("status", "")
        channel = args.get("channel", "")
        return cls(
            q=(args.get("q") or "").strip()[:100],
            status=status if status in STATUS_LABELS or status in ("terbuka", "tertutup") else "",
            agency_id=as_int("agency"),
            topic_id=as_int("topic"),
            kecamatan_id=as_int("kecamatan"),
            channel=channel if channel in ("phone", "radio", "upload") else "",
            overdue=args.get("overdue") in ("1", "on", "true"),
            issue_id=as_int("isu"),
            after=as_int("after"),
        )

    def query_args(self, **changes: Any) -> dict[str, Any]:
        values = dict(q=self.q, status=self.status, agency=self.agency_id, topic=self.topic_id,
                      kecamatan=self.kecamatan_id, channel=self.channel, overdue="1" if self.overdue else None, isu=self.issue_id,
                      after=self.after)
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def filtered_complaints(query: Select[tuple[Complaint]], f: ListFilters, now: datetime) -> Select[tuple[Complaint]]:
    """Apply the list filters; every branch is served by an index (id, reference, reporter_phone, full text, status, due_at)."""
    from models.refs import normalise_reference

    who = audience()
    kind = search_kind(f.q, who)
    if kind == "reference_or_phone":
        query = query.where(or_(Complaint.reference == normalise_reference(f.q),
                                Complaint.reporter_phone.in_(phone_variants(f.q))))
    elif kind == "reference":
        query = query.where(Complaint.reference == normalise_reference(f.q))
    elif kind == "phone":
        query = query.where(Complaint.reporter_phone.in_(phone_variants(f.q)))
    elif kind == "id":
        query = query.where(Complaint.id == parse_int("q", f.q[1:]))
    elif kind == "text":  # for those who may not see every reporter, `search_page` keeps only what matches the visible text
        matches = complaint_text_matches(f.q, db().get_bind().dialect.name)
        if who.may_search_identity:
            matches = or_(matches, Complaint.reporter_name.ilike(f"%{f.q}%"))
        query = query.where(matches, who.text_search_scope())
    if f.status == "terbuka":
        query = query.where(Complaint.status.in_(OPEN_STATUSES))
    elif f.status == "tertutup":
        query = query.where(Complaint.status.in_(CLOSED_STATUSES))
    elif f.status:
        query = query.where(Complaint.status == f.status)
    if f.agency_id:
        query = query.where(Complaint.agency_id == f.agency_id)
    if f.topic_id:
        query = query.where(Complaint.topic_id == f.topic_id)
    if f.kecamatan_id:
        query = query.where(or_(Complaint.place_id == f.kecamatan_id,
                                Complaint.place_id.in_(select(Place.id).where(Place.parent_id == f.kecamatan_id))))
    if f.channel:
        query = query.where(Complaint.channel == f.channel)
    if f.overdue:
        query = query.where(lc.overdue_filter(now))
    if f.issue_id:
        query = query.where(Complaint.id.in_(select(ComplaintFact.complaint_id).where(ComplaintFact.issue_id == f.issue_id)))
    if f.after:
        query = query.where(Complaint.id < f.after)
    return query


def search_kind(q: str, who: Audience) -> str:
    """What a search box entry is: "" (none), "id" (#123), "reference", "phone" or "reference_or_phone" (a 12-digit
    08… number may be either; phones for coordinators only), else "text"."""
    from models.refs import normalise_reference

    if not q:
        return ""
    if q.startswith("#") and q[1:].isdecimal():  # isdigit() also takes "➊", which int() refuses
        return "id"
    phone_like = who.may_search_identity and q.lstrip("+").replace(" ", "").replace("-", "").isdigit() and len(normalise_phone(q)) >= 6
    if normalise_reference(q) is not None:
        return "reference_or_phone" if phone_like and normalise_phone(q).startswith("08") else "reference"
    return "phone" if phone_like else "text"


def page_of(query: Select[tuple[Complaint]], page_size: int = PAGE_SIZE) -> tuple[list[Complaint], int | None]:
    """One keyset page, newest first, and the cursor of the next page (None on the last one)."""
    rows = db().scalars(
        query.options(joinedload(Complaint.topic), joinedload(Complaint.agency), joinedload(Complaint.place))
        .order_by(Complaint.id.desc()).limit(page_size + 1)
    ).unique().all()
    more = len(rows) > page_size
    rows = rows[:page_size]
    return list(rows), (rows[-1].id if more and rows else None)


def search_page(f: ListFilters, now: datetime, page_size: int = PAGE_SIZE) -> tuple[list[Complaint], int | None]:
    """The user's page of the filtered list. A free-text match counts only in the text the user may read: a
    search must not find a complaint by a reporter's name or number that is hidden from the one searching."""
    rows, next_after = page_of(filtered_complaints(scoped_complaints(), f, now), page_size)
    who = audience()
    words = SearchTerms.parse(f.q).words if search_kind(f.q, who) == "text" else ()
    if words and not who.coordinator:
        rows = [c for c in rows if who.text_matches(c, words)]
    return rows, next_after


@bp.get("/konsol/pengaduan")
@login_required
def complaints():
    now = utcnow()
    f = ListFilters.from_args(request.args)
    rows, next_after = search_page(f, now)
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
    query = scoped_complaints().where(Complaint.status.in_(("terdisposisi", "ditindaklanjuti", "tunda")))
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


# -- admin: users, agencies, holidays ------------------------------------------------------------
@bp.get("/konsol/admin/pengguna")
@role_required()
def users():
    return _users_page()


@bp.post("/konsol/admin/pengguna")
@role_required()
def user_create():
    from web.auth import create_user

    role = request.form.get("role", "")
    if role not in ROLE_LABELS:
        return _users_page(form=request.form, error="Pilih peran."), 422
    agency = db().get(Agency, request.form.get("agency_id", type=int) or 0)
    try:
        user = create_user(db(), (request.form.get("username") or "").strip(), request.form.get("password") or "",
                           Role(role), name=(request.form.get("name") or "").strip(), agency_key=agency.key if agency else None)
        record_audit("user.create", user, username=user.username, role=role, agency=agency.key if agency else None)
        db().commit()
    except SuaraError as exc:
        db().rollback()
        return _users_page(form=request.form, error=exc.message_id), 422
    flash(f"Pengguna {user.username} dibuat.", "info")
    return redirect(url_for("console.users"))


@bp.post("/konsol/admin/pengguna/<int:user_id>/aktif")
@role_required()
def user_toggle(user_id: int):
    user = db().get(User, user_id) or abort(404)
    if user.id == current_user.id:
        flash("Anda tidak dapat menonaktifkan akun sendiri.", "error")
        return redirect(url_for("console.users"))
    set_active(user, not user.active)
    record_audit("user.activate" if user.active else "user.deactivate", user)
    db().commit()
    flash(f"Pengguna {user.username} {'diaktifkan' if user.active else 'dinonaktifkan'}.", "info")
    return redirect(url_for("console.users"))


@bp.post("/konsol/admin/pengguna/<int:user_id>/sandi")
@role_required()
def user_reset_password(user_id: int):
    """A temporary password, shown once; the user must change it at the next login."""
    user = db().get(User, user_id) or abort(404)
    temporary = reset_password(user)
    record_audit("user.password_reset", user)
    db().commit()
    return _users_page(new_password=(user.username, temporary))


@bp.post("/konsol/admin/pengguna/<int:user_id>/peran")
@role_required()
def user_role(user_id: int):
    user = db().get(User, user_id) or abort(404)
    role = request.form.get("role", "")
    if role not in ROLE_LABELS or user.id == current_user.id:
        flash("Peran tidak valid (peran akun sendiri tidak dapat diubah).", "error")
        return redirect(url_for("console.users"))
    try:
        set_role(db(), user, Role(role), request.form.get("agency_id", type=int))
    except SuaraError as exc:
        _fail_message(exc)
        return redirect(url_for("console.users"))
    record_audit("user.role", user, role=role, agency=user.agency.key if user.agency else None)
    db().commit()
    flash(f"Peran {user.username} kini {ROLE_LABELS[role]}; sesinya diakhiri.", "info")
    return redirect(url_for("console.users"))


def _users_page(form: Any = None, error: str | None = None, **shown_once: Any) -> Response:
    """The user list and the new-user form (a refused form keeps what was typed, except the password); a new token
    or temporary password is shown once, never cached."""
    rows = db().scalars(select(User).options(joinedload(User.agency)).order_by(User.username)).all()
    shown = {"new_token": None, "new_password": None, **shown_once}
    response = Response(render_template("console/users.html", users=rows, agencies=db().scalars(select(Agency).order_by(Agency.name)).all(),
                                        values=FormValues(form), error=error, default_role=Role.OPERATOR.value, **shown))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/konsol/admin/pengguna/<int:user_id>/token")
@role_required()
def user_token(user_id: int):
    """Issue a new API token; it is shown once and only its hash is kept."""
    from web.auth import issue_api_token

    user = db().get(User, user_id) or abort(404)
    token = issue_api_token(db(), user)
    record_audit("user.api_token", user)
    db().commit()
    return _users_page(new_token=(user.username, token))


@bp.get("/konsol/admin/opd")
@role_required()
def agencies():
    return render_template("console/agencies.html", agencies=db().scalars(select(Agency).order_by(Agency.name)).all())


@bp.post("/konsol/admin/opd")
@role_required()
def agency_save():
    key = (request.form.get("key") or "").strip().lower()
    name = (request.form.get("name") or "").strip()
    if not re.fullmatch(r"[a-z0-9_]{2,40}", key) or not name:
        flash("Kode OPD (huruf kecil/angka) dan nama wajib diisi.", "error")
        return redirect(url_for("console.agencies"))
    agency = db().scalars(select(Agency).where(Agency.key == key)).first()
    created = agency is None
    if created:
        agency = Agency(key=key)
        db().add(agency)
    agency.name = name[:200]
    agency.active = request.form.get("active", "1") in ("1", "on")
    db().flush()
    record_audit("agency.create" if created else "agency.update", agency, key=key, name=agency.name, active=agency.active)
    db().commit()
    flash(f"OPD {agency.name} disimpan.", "info")
    return redirect(url_for("console.agencies"))


@bp.get("/konsol/admin/libur")
@role_required()
def holidays():
    from models.calendar import HOLIDAY_KINDS, Holiday

    year = int_arg("tahun", utcnow().year, minimum=EARLIEST.year, maximum=LATEST.year)
    rows = db().scalars(select(Holiday).where(Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31)).order_by(Holiday.day)).all()
    return render_template("console/holidays.html", holidays=rows, year=year, kinds=HOLIDAY_KINDS)


@bp.post("/konsol/admin/libur")
@role_required()
def holiday_save():
    from models.calendar import InvalidHoliday, remove_holiday, set_holiday

    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        flash("Tanggal tidak valid.", "error")
        return redirect(url_for("console.holidays"))
    if request.form.get("action") == "remove":
        remove_holiday(db(), day, acting_user())
        flash(f"{day:%d-%m-%Y} kini hari kerja.", "info")
    else:
        try:
            set_holiday(db(), day, request.form.get("name", ""), request.form.get("kind", "libur_nasional"), acting_user())
        except InvalidHoliday:
            db().rollback()
            flash("Nama dan jenis hari libur wajib diisi.", "error")
            return redirect(url_for("console.holidays", tahun=day.year))
        flash(f"Hari libur {day:%d-%m-%Y} disimpan.", "info")
    lc.refresh_open_due_dates(db(), state().settings)  # a changed holiday moves running time limits
    db().commit()
    return redirect(url_for("console.holidays", tahun=day.year))
