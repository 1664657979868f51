"""Siaran Radio: start, watch and stop a show; mark callers live; accept suggested boundaries.

A show is captured by the process that started it (this server, or a `suara radio` command). This
server stops its own shows directly and any other active show through a stop request in the database,
which the capturing process picks up with its next heartbeat.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy import select

from models.entities import Role
from models.errors import SuaraError
from web import sse
from web.auth import role_required
from web.params import parse_int
from transcribe.drafting.suggestions import DraftSuggestions
from web.radio_sources import check_form_source
from web.state import db, get_or_404, state

if TYPE_CHECKING:
    from voice.radio.show import Span

MAX_FORM_SPANS = 200
ENGINE_LABELS = {"vosk": "Vosk (teks sementara)", "whisper": "Whisper"}

bp = Blueprint("radio", __name__, url_prefix="/radio")


class RadioDesk:
    """The shows this process is capturing, by show id (a show leaves once it has ended)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.live: dict[int, Any] = {}

    def running(self, show_id: int):  # noqa: ANN201 - a LiveShow
        """The show while this process captures it, else None."""
        with self.lock:
            for ended in [i for i, live in self.live.items() if live.done.is_set()]:
                del self.live[ended]
            return self.live.get(show_id)


@bp.record_once
def _install(setup_state) -> None:  # noqa: ANN001
    setup_state.app.extensions["suara.radio"] = RadioDesk()


def _desk() -> RadioDesk:
    from flask import current_app

    return current_app.extensions["suara.radio"]


def _live(show_id: int):  # noqa: ANN202
    live = _desk().live.get(show_id)
    if live is None:
        abort(404)
    return live


def _recover_orphans() -> None:
    """Fail the shows no process captures any more (a restart, a crash), so none stays "live" on the page."""
    from voice.radio.recovery import recover_orphaned_shows

    if recover_orphaned_shows(db(), state().settings):
        db().commit()


@dataclass(frozen=True)
class EngineChoice:
    """A recognizer the start form offers."""

    value: str
    """The form value; '' for the configured default."""
    label: str
    problem: str | None
    """Why it cannot run here (Indonesian): the option is shown disabled with it."""


def _engine_choices() -> list[EngineChoice]:
    """The default recognizer, then each one by name."""
    from transcribe.engines import engine_problem

    settings = state().settings
    default = EngineChoice("", f"bawaan ({ENGINE_LABELS[settings.engine]})", engine_problem(settings))
    return [default, *(EngineChoice(name, label, engine_problem(settings, name)) for name, label in ENGINE_LABELS.items())]


def _start_form(error: str | None = None, status: int = 200) -> tuple[str, int]:
    """The list of shows and the start form: the input devices, the recognizers, the last station stream, the values sent."""
    from models.radio import STATUS_LABELS, RadioShow
    from voice.radio.sources import is_url, list_input_devices

    _recover_orphans()
    shows = db().scalars(select(RadioShow).order_by(RadioShow.id.desc()).limit(30)).all()
    last_stream = db().scalars(select(RadioShow.source).where(RadioShow.source.contains("://"))
                               .order_by(RadioShow.id.desc()).limit(1)).first() or ""
    form = request.form if request.method == "POST" else {}
    return render_template("radio.html", shows=shows, labels=STATUS_LABELS, devices=list_input_devices(),
                           engines=_engine_choices(), last_stream=last_stream if is_url(last_stream) else "", form=form,
                           error=error), status


@bp.get("/")
@role_required(Role.OPERATOR)
def index() -> tuple[str, int]:
    return _start_form()


def _source_spec(form: Any) -> str:
    """What to capture: the chosen sound card, or the URL/file typed (`source`)."""
    if form.get("kind") == "device":
        return (form.get("device") or "").strip()
    return (form.get("source") or "").strip()


@bp.post("/mulai")
@role_required(Role.OPERATOR)
def start() -> Response | tuple[str, int]:
    """Start a show; a source or model that cannot be used is said on the form, in Indonesian."""
    from transcribe.engines import load_engine
    from voice.radio.show import LiveShow
    from voice.radio.sources import open_source

    app_state = state()
    name = (request.form.get("show") or "").strip() or "Siaran"
    engine_name = request.form.get("engine") or None
    try:
        source_spec = check_form_source(_source_spec(request.form), app_state.settings)
        source = open_source(source_spec, pace=request.form.get("pace", "realtime"))
        engine = load_engine(app_state.settings, engine_name)
    except SuaraError as exc:
        return _start_form(exc.message_id, exc.http_status)
    live = LiveShow(app_state.settings, app_state.sessions, source, name, engine, source_label=source_spec,
                    auto_segment=bool(request.form.get("auto_segment")), operator_led=True,
                    enqueue=app_state.jobs.enqueue_call)
    show_id = live.start(wait=False)  # the page shows "menyiapkan", then "berjalan" or why it failed
    with _desk().lock:
        _desk().live[show_id] = live
    return redirect(url_for("radio.show", show_id=show_id))


@bp.get("/<int:show_id>")
@role_required(Role.OPERATOR)
def show(show_id: int) -> str:
    from models.call_state import IN_PROGRESS
    from models.radio import ACTIVE_STATUSES, STATUS_LABELS, RadioShow

    _recover_orphans()
    record = get_or_404(RadioShow, show_id)
    live = _desk().running(show_id)
    return render_template("radio_show.html", show=record, live=live is not None, duplicates=_duplicate_segments(record),
                           active=record.status in ACTIVE_STATUSES, label=STATUS_LABELS.get(record.status, record.status),
                           in_progress=IN_PROGRESS)


def _duplicate_segments(record: Any) -> dict[int, list[int]]:
    """Segment number -> the other segments of the show whose draft drafting linked as a likely duplicate."""
    from models.entities import Complaint

    segment_of_call = {seg.call_id: seg.number for seg in record.segments if seg.call_id}
    if not segment_of_call:
        return {}
    drafts = db().execute(select(Complaint.id, Complaint.call_id, Complaint.suggestions)
                          .where(Complaint.call_id.in_(segment_of_call))).all()
    segment_of_draft = {draft_id: segment_of_call[call_id] for draft_id, call_id, _ in drafts}
    linked: dict[int, list[int]] = {}
    for _draft_id, call_id, suggestions in drafts:
        others = {segment_of_draft[d.id] for d in DraftSuggestions.from_json(suggestions).duplicates
                  if d.id in segment_of_draft}
        if others:
            linked[segment_of_call[call_id]] = sorted(others)
    return linked


@bp.post("/<int:show_id>/hentikan")
@role_required(Role.OPERATOR)
def stop(show_id: int) -> Response:
    """Stop a show, whichever process captures it; the caller in progress is stored."""
    from models.radio import RadioShow

    record = get_or_404(RadioShow, show_id)
    if _stop_show(record):
        flash("Siaran dihentikan; penelepon terakhir sedang disimpan.", "info")
    else:
        flash("Siaran ini sudah berakhir.", "info")
    return redirect(url_for("radio.show", show_id=show_id))


def _stop_show(record: Any) -> bool:
    """Stop the show here, or ask the process capturing it; False when it had already ended."""
    from models.radio import request_stop

    by = current_user.username
    live = _desk().running(record.id)
    if live is not None:
        live.stop(by=by)
        return True
    stopping = request_stop(db(), record, by)
    db().commit()
    return stopping


@bp.get("/<int:show_id>/events")
@role_required(Role.OPERATOR)
def events(show_id: int) -> Response:
    """Server-sent events: the show's transcript, segments, suggestions and gaps, replayed from Last-Event-ID."""
    live = _live(show_id)
    first = parse_int("Last-Event-ID", request.headers.get("Last-Event-ID") or request.args.get("from") or "0")

    def generate():  # noqa: ANN202
        seq = first
        while True:
            batch = live.events_since(seq, timeout_s=10)
            if not batch:
                if live.done.is_set():
                    return
                yield sse.KEEPALIVE
                continue
            for event in batch:
                seq = event.seq
                yield sse.event(event.kind, event.to_dict(), event.seq)

    return sse.response(stream_with_context(generate()))


@bp.post("/<int:show_id>/tandai")
@role_required(Role.OPERATOR)
def mark(show_id: int) -> Response:
    """One operator action: new (penelepon baru), end (selesai), name, accept (a suggestion), stop."""
    live = _live(show_id)
    action = request.form.get("action", "")
    name = request.form.get("name", "")
    if action == "new":
        result: Any = live.new_caller(name=name)
    elif action == "end":
        result = live.end_caller()
    elif action == "name":
        live.name_segment(name)
        result = None
    elif action == "accept":
        result = live.accept_suggestion(int(request.form.get("suggestion", -1)))
    elif action == "stop":
        live.stop(by=current_user.username)
        result = None
    else:
        abort(400)
    return Response(json.dumps({"ok": True, "segment": result, **live.snapshot()}), mimetype="application/json")


@bp.get("/<int:show_id>/potong-ulang")
@role_required(Role.OPERATOR)
def resegment_form(show_id: int) -> str | Response:
    """The caller spans voice activity finds in the archive, to accept, adjust or leave out."""
    from models.radio import RadioShow
    from voice.radio.show import ResegmentError, detect_spans

    record = get_or_404(RadioShow, show_id)
    try:
        _require_finished(record)
        spans = detect_spans(state().settings, record)
    except ResegmentError as exc:
        flash(exc.message_id, "error")
        return redirect(url_for("radio.show", show_id=show_id))
    return render_template("radio_resegment.html", show=record, spans=spans)


@bp.post("/<int:show_id>/potong-ulang")
@role_required(Role.OPERATOR)
def resegment(show_id: int) -> Response:
    """Cut a finished show again: automatically (`mode=auto`) or into the spans the operator accepted."""
    from models.radio import RadioShow
    from voice.radio.show import ResegmentError, resegment_show

    record = get_or_404(RadioShow, show_id)
    try:
        _require_finished(record)
        spans = None if request.form.get("mode") == "auto" else _spans_from_form(request.form)
        done = resegment_show(db(), state().settings, record, spans)
        db().commit()
    except ResegmentError as exc:
        db().rollback()
        flash(exc.message_id, "error")
        return redirect(url_for("radio.show", show_id=show_id))
    for result in done.created:
        state().jobs.enqueue_call(result.call_id)
    flash(f"Dipotong ulang: {len(done.created)} segmen baru, {len(done.kept)} tetap, {len(done.superseded)} diganti.", "info")
    return redirect(url_for("radio.show", show_id=show_id))


def _require_finished(record: Any) -> None:
    """A show still captured (here or by another process) is not cut again."""
    from models.radio import ACTIVE_STATUSES
    from voice.radio.show import ResegmentError

    if _desk().running(record.id) is not None or record.status in ACTIVE_STATUSES:
        raise ResegmentError(f"show {record.id} is running", "Siaran masih berjalan; potong ulang setelah selesai.")


def _spans_from_form(form: Any) -> list[Span]:
    """Rows `span-N-start`, `span-N-end`, `span-N-name` whose `span-N-use` is ticked; empty rows are skipped."""
    from voice.radio.show import ResegmentError, Span

    spans = []
    for i in range(MAX_FORM_SPANS):
        if f"span-{i}-start" not in form:
            break
        start, end = form[f"span-{i}-start"].strip(), (form.get(f"span-{i}-end") or "").strip()
        if not form.get(f"span-{i}-use") or not (start and end):
            continue
        try:
            spans.append(Span(float(start.replace(",", ".")), float(end.replace(",", ".")), form.get(f"span-{i}-name", "")))
        except ValueError:
            raise ResegmentError(f"bad span {start!r}-{end!r}", "Awal dan akhir rentang harus berupa angka detik.") from None
    return spans
