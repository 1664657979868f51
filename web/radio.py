"""Siaran Radio: start, watch and stop a show; mark callers live; accept suggested boundaries."""

from __future__ import annotations

import json
import threading
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, stream_with_context, url_for
from sqlalchemy import select

from models.entities import Role
from models.errors import SuaraError
from web.auth import role_required
from web.state import db, get_or_404, state

bp = Blueprint("radio", __name__, url_prefix="/radio")


class RadioDesk:
    """The shows this process is capturing, by show id."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.live: dict[int, Any] = {}


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


@bp.get("/")
@role_required(Role.OPERATOR)
def index() -> str:
    from models.radio import RadioShow

    shows = db().scalars(select(RadioShow).order_by(RadioShow.id.desc()).limit(30)).all()
    return render_template("radio.html", shows=shows, running=set(_desk().live))


@bp.post("/mulai")
@role_required(Role.OPERATOR)
def start() -> Response:
    from transcribe.engines import load_engine
    from voice.radio.show import LiveShow
    from voice.radio.sources import open_source

    app_state = state()
    source_spec = (request.form.get("source") or "").strip()
    name = (request.form.get("show") or "").strip() or "Siaran"
    engine_name = request.form.get("engine") or None
    try:
        source = open_source(source_spec, pace=request.form.get("pace", "realtime"))
        engine = load_engine(app_state.settings, engine_name)
    except (SuaraError, RuntimeError, ValueError) as exc:
        abort(400, description=str(exc))
    live = LiveShow(app_state.settings, app_state.sessions, source, name, engine, source_label=source_spec,
                    auto_segment=bool(request.form.get("auto_segment")), enqueue=app_state.jobs.enqueue_call)
    show_id = live.start()
    with _desk().lock:
        _desk().live[show_id] = live
    return redirect(url_for("radio.show", show_id=show_id))


@bp.get("/<int:show_id>")
@role_required(Role.OPERATOR)
def show(show_id: int) -> str:
    from models.radio import RadioShow

    record = get_or_404(RadioShow, show_id)
    return render_template("radio_show.html", show=record, live=show_id in _desk().live)


@bp.get("/<int:show_id>/events")
@role_required(Role.OPERATOR)
def events(show_id: int) -> Response:
    """Server-sent events: the show's transcript, segments, suggestions and gaps, replayed from Last-Event-ID."""
    live = _live(show_id)
    first = int(request.headers.get("Last-Event-ID") or request.args.get("from", 0) or 0)

    def generate():  # noqa: ANN202
        seq = first
        while True:
            batch = live.events_since(seq, timeout_s=10)
            if not batch:
                if live.done.is_set():
                    return
                yield ": keepalive\n\n"
                continue
            for event in batch:
                seq = event.seq
                yield f"id: {event.seq}\nevent: {event.kind}\ndata: {json.dumps(event.to_dict(), ensure_ascii=False)}\n\n"

    return Response(stream_with_context(generate()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


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
        live.stop()
        result = None
    else:
        abort(400)
    return Response(json.dumps({"ok": True, "segment": result, **live.snapshot()}), mimetype="application/json")
