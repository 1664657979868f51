"""Server-Sent Events for the live pages (draft inbox, calls in progress, radio shows): the wire framing, the
streaming response, and an in-process broker that fans small JSON events out to the open streams."""

from __future__ import annotations

import json
import logging
import queue
import threading
from typing import Any, Iterable

from flask import Flask, Response, current_app

log = logging.getLogger(__name__)

KEEPALIVE = ": keep-alive\n\n"
"""A comment line: keeps proxies from closing an idle stream; EventSource ignores it."""


def event(name: str, data: Any, event_id: int | None = None, retry_ms: int | None = None) -> str:
    """One event as it goes on the wire."""
    head = (f"retry: {retry_ms}\n" if retry_ms is not None else "") + (f"id: {event_id}\n" if event_id is not None else "")
    return f"{head}event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def response(stream: Iterable[str]) -> Response:
    """A streaming answer that no cache or proxy buffers."""
    return Response(stream, mimetype="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


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


def attach_broker(app: Flask) -> None:
    """Give the app its broker and let job progress reach it."""
    broker = Broker()
    app.extensions["suara_broker"] = broker
    app.extensions["suara"].jobs.hooks.append(broker.job_hook)


def broker() -> Broker:
    return current_app.extensions["suara_broker"]
