"""Calls in progress: a thread-safe registry of active lines with their running transcript, and pub/sub.

Sources (Twilio Media Streams, AudioSocket) report partial and final text here from their worker
threads; the console's live view takes a snapshot and subscribes to the changes.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator

log = logging.getLogger(__name__)

SUBSCRIBER_BACKLOG = 500
"""Events a slow subscriber may fall behind before it is dropped (it reconnects and takes a snapshot)."""
ENDED_KEEP_S = 60.0
"""How long an ended line stays visible, so the operator sees how it finished."""


@dataclass
class LiveLine:
    """One active call as the console sees it."""

    line_id: str
    """The source's id: CallSid or AudioSocket UUID."""
    source: str
    """"twilio" or "audiosocket"."""
    caller_number: str | None = None
    started_at: float = field(default_factory=time.time)
    """Unix time."""
    finals: list[str] = field(default_factory=list)
    partial: str = ""
    ended_at: float | None = None
    call_id: int | None = None
    """The stored call, once the audio was stored."""

    @property
    def text(self) -> str:
        return " ".join([*self.finals, self.partial]).strip()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["text"] = self.text
        return data


@dataclass(frozen=True)
class LiveEvent:
    """A change of one line: 'start', 'partial', 'final', 'end' or 'stored'."""

    seq: int
    kind: str
    line: dict[str, Any]
    monotonic_s: float = field(default_factory=time.monotonic)
    """When the change happened (time.monotonic(), for latency measurements in this process)."""

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "line": self.line}


class Subscription:
    """A queue of events for one listener; iterate with `events(timeout_s)`."""

    def __init__(self, registry: "LiveRegistry") -> None:
        self._registry = registry
        self._queue: queue.Queue[LiveEvent | None] = queue.Queue(maxsize=SUBSCRIBER_BACKLOG)
        self.dropped = False

    def offer(self, event: LiveEvent) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:  # a stalled browser must not slow down the calls
            self.dropped = True

    def get(self, timeout_s: float) -> LiveEvent | None:
        """The next event, or None after `timeout_s` without one."""
        try:
            return self._queue.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._registry.unsubscribe(self)

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class LiveRegistry:
    """Active lines and their listeners; every method may be called from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lines: dict[str, LiveLine] = {}
        self._subscribers: list[Subscription] = []
        self._seq = itertools.count(1)

    # -- sources ----------------------------------------------------------------------------
    def start(self, line_id: str, source: str, caller_number: str | None = None) -> None:
        self._change(line_id, "start", lambda line: None, create=(source, caller_number))

    def partial(self, line_id: str, text: str) -> None:
        self._change(line_id, "partial", lambda line: setattr(line, "partial", text))

    def final(self, line_id: str, text: str) -> None:
        def apply(line: LiveLine) -> None:
            line.finals.append(text)
            line.partial = ""

        self._change(line_id, "final", apply)

    def end(self, line_id: str) -> None:
        def apply(line: LiveLine) -> None:
            line.ended_at = time.time()
            line.partial = ""

        self._change(line_id, "end", apply)

    def stored(self, line_id: str, call_id: int) -> None:
        self._change(line_id, "stored", lambda line: setattr(line, "call_id", call_id))

    # -- listeners --------------------------------------------------------------------------
    def snapshot(self) -> list[dict[str, Any]]:
        """Active lines and those that ended in the last minute, oldest first."""
        cutoff = time.time() - ENDED_KEEP_S
        with self._lock:
            for line_id in [k for k, v in self._lines.items() if v.ended_at and v.ended_at < cutoff]:
                del self._lines[line_id]
            return [line.to_dict() for line in sorted(self._lines.values(), key=lambda v: v.started_at)]

    def active_count(self) -> int:
        with self._lock:
            return sum(1 for line in self._lines.values() if line.ended_at is None)

    def subscribe(self) -> Subscription:
        subscription = Subscription(self)
        with self._lock:
            self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._subscribers:
                self._subscribers.remove(subscription)

    def events(self, timeout_s: float) -> Iterator[LiveEvent]:
        """Events until `timeout_s` passes without one (tests and scripts)."""
        with self.subscribe() as subscription:
            while (event := subscription.get(timeout_s)) is not None:
                yield event

    def _change(self, line_id: str, kind: str, apply, create: tuple[str, str | None] | None = None) -> None:  # noqa: ANN001
        with self._lock:
            line = self._lines.get(line_id)
            if line is None:
                source, caller = create or ("unknown", None)
                line = self._lines[line_id] = LiveLine(line_id, source, caller)
            elif create is not None:
                line.source, line.caller_number = create[0], create[1] or line.caller_number
            apply(line)
            event = LiveEvent(next(self._seq), kind, line.to_dict())
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            subscription.offer(event)


def registry_for(app: Any) -> LiveRegistry:
    """The live registry of a Flask app (one per app, created on first use)."""
    with _app_lock:
        return app.extensions.setdefault("suara_live", LiveRegistry())


_app_lock = threading.Lock()
