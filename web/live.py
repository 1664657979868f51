"""Operator view of calls in progress: active lines with their running transcript, pushed by SSE.

Every caller's number and words are here before anyone has checked whether they asked to be anonymous, so the
page and its feeds are for coordinators (admin, operator) only."""

from __future__ import annotations

from typing import Iterator

from flask import Blueprint, Response, current_app, jsonify, render_template

from models.entities import Role
from voice.live import LiveRegistry, registry_for
from web import sse
from web.auth import role_required

bp = Blueprint("live", __name__)
HEARTBEAT_S = 15.0
STREAM_MAX_S = 3600.0
"""A browser's event stream is closed after an hour; EventSource reconnects and takes a new snapshot."""


def _registry() -> LiveRegistry:
    return registry_for(current_app)


@bp.get("/live")
@role_required(Role.OPERATOR)
def index() -> str:
    return render_template("live.html", lines=_registry().snapshot())


@bp.get("/live/lines.json")
@role_required(Role.OPERATOR)
def lines() -> Response:
    return jsonify(lines=_registry().snapshot())


@bp.get("/live/events")
@role_required(Role.OPERATOR)
def events() -> Response:
    """Server-Sent Events: a snapshot first, then every change of every line."""
    registry = _registry()
    subscription = registry.subscribe()
    snapshot = registry.snapshot()

    def stream() -> Iterator[str]:
        import time

        deadline = time.monotonic() + STREAM_MAX_S
        try:
            yield sse.event("snapshot", {"lines": snapshot})
            while time.monotonic() < deadline and not subscription.dropped:
                event = subscription.get(HEARTBEAT_S)
                yield sse.KEEPALIVE if event is None else sse.event("line", event.to_dict(), event.seq)
        finally:
            subscription.close()

    return sse.response(stream())
