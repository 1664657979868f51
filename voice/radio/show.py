"""A live show: capture, archive, live transcript, caller segments, and each caller stored as a call.

Threads: the source delivers blocks; the ingest thread archives them, tracks voice activity and cuts
segments; the recognizer thread feeds the engine's stream; the finisher thread turns closed segments
into calls (audio cut from the archive, `receive_call`, pipeline enqueued); the heartbeat thread tells
the database the show is still captured and picks up stop requests made by another process (the page).
Control methods are safe to call from any thread (web requests, the CLI).

Status: starting until the source delivers audio, then live; stopping once asked to stop; finished when
the source ended or was stopped, failed (with the reason in Indonesian) when it gave up.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Literal

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models.base import utcnow
from models.config import Settings
from models.entities import Channel, Complaint
from models.errors import SuaraError
from models.radio import ACTIVE_STATUSES, HEARTBEAT_S, STATUS_LABELS, RadioSegment, RadioShow, ShowStatus, process_owner
from transcribe.audio import wav_bytes
from transcribe.engines import warm_up
from transcribe.errors import ModelError
from transcribe.types import TARGET_RATE_HZ, AudioChunk, Engine
from voice.intake import IncomingAudio, receive_call
from voice.radio.activity import WINDOW, Activity, ActivityParams, ActivityTracker
from voice.radio.archive import ShowArchive, read_span
from voice.radio.replay import PROBE_S, SEARCH_S, replayed_samples
from voice.radio.sources import AudioSource, Block, End, Gap, SourceItem

log = logging.getLogger(__name__)

MAX_GAP_FILL_S = 600.0
"""A lost source is stood in for by this much silence at most, so offsets keep to the clock."""
SEGMENT_PAD_S = 0.3
MIN_SEGMENT_S = 0.5
"""Shorter segments are dropped (a double click, a mark right after another)."""
MAX_BATCH_S = 1.0
"""The recognizer takes at most this much queued audio in one step."""
LIVE_TEXT_WAIT_S = 30.0
"""A closed segment waits this long at most for the live recognizer to pass its end..."""
STOPPING_TEXT_WAIT_S = 1.0
"""...and this long once the show is stopping: the command must exit within seconds of a signal."""
Origin = Literal["manual", "suggestion", "auto", "resegment"]


@dataclass(frozen=True)
class ShowEvent:
    """Something the radio page shows: partial/final text, segments, suggestions, gaps, the end."""

    seq: int
    kind: str
    at_s: float
    """Show time the event refers to."""
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "at_s": round(self.at_s, 2), **self.data}


@dataclass
class OpenSegment:
    number: int
    start_s: float
    name: str = ""
    origin: Origin = "manual"


@dataclass(frozen=True)
class SegmentResult:
    """A stored caller segment: what headless mode prints."""

    show: str
    segment: int
    start_s: float
    end_s: float
    text: str
    call_id: int
    draft_id: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"show": self.show, "segment": self.segment, "start_s": round(self.start_s, 2),
                "end_s": round(self.end_s, 2), "text": self.text, "call_id": self.call_id, "draft_id": self.draft_id}


@dataclass(frozen=True)
class Suggestion:
    id: int
    end_s: float
    """Where the previous caller stopped speaking."""
    start_s: float
    """Where the next caller began."""
    reason: str


class LiveShow:
    """One show being captured; `start()`, then control methods, then `stop()` or the source's end."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        source: AudioSource,
        name: str,
        engine: Engine,
        *,
        source_label: str = "",
        auto_segment: bool = False,
        enqueue: Callable[[int], None] | None = None,
        on_segment: Callable[[SegmentResult], None] | None = None,
        activity: ActivityParams | None = None,
        operator_led: bool = False,
    ) -> None:
        """`operator_led`: an operator marks callers (the radio page). With `auto_segment` the show then cuts callers
        itself only from a caller the operator put on air (N, or an accepted suggestion) until they say the last one
        is done (S): the host's opening and talk between callers are no caller. Without an operator (the command)
        every stretch of speech is a caller."""
        self.settings = settings
        self.sessions = sessions
        self.source = source
        self.name = name
        self.engine = engine
        self.auto_segment = auto_segment
        self.operator_led = operator_led
        self.enqueue = enqueue
        self.on_segment = on_segment
        self.tracker = ActivityTracker(activity)
        self.show_id: int = 0
        self.archive: ShowArchive | None = None
        self.gaps: list[dict[str, Any]] = []
        self.results: list[SegmentResult] = []
        self.partial_latency_s: list[float] = []
        """Capture-to-partial delays of the live recognizer."""
        self.finals: list[tuple[float, float, str]] = []
        self.error: str | None = None
        """Why the show failed, in Indonesian."""
        self.status = ShowStatus.STARTING.value
        self.stopped_by: str | None = None
        self._stopping = threading.Event()
        self._held: list[np.ndarray] | None = None
        """Audio after a reconnect, held back until it is matched against what was captured."""
        self._held_gap: Gap | None = None
        self._skip = 0
        """Samples still to drop: audio the reconnected source delivers again."""
        self._source_label = source_label or getattr(source, "description", "")
        self._ingest: queue.Queue[SourceItem] = queue.Queue()
        self._recognize: queue.Queue[tuple[AudioChunk, float] | None] = queue.Queue()
        self._finish: queue.Queue[tuple[OpenSegment, float] | None] = queue.Queue()
        self._lock = threading.RLock()
        self._events: list[ShowEvent] = []
        self._changed = threading.Condition(self._lock)
        self._open: OpenSegment | None = None
        self._on_air = not operator_led
        """Callers are on air: between the operator's N and S (always, without an operator)."""
        self._next_number = 1
        self._suggestions: dict[int, Suggestion] = {}
        self._last_break: Activity | None = None
        self._pending = np.zeros(0, dtype=np.int16)
        self._recognized_s = 0.0
        self._recognizer_done = threading.Event()
        self._ended = threading.Event()
        """The source has ended: the capture threads finish one after another."""
        self.done = threading.Event()
        self._threads: list[threading.Thread] = []
        """The threads without which nothing is captured or stored: the heartbeat stops when one dies."""

    # -------------------------------------------------------------- life cycle
    def start(self, *, wait: bool = True) -> int:
        """Create the show record, open the archive and start capturing; returns the show id.

        `wait=False` returns once the record exists (status starting) and loads the recognizer in the
        background: a page answers at once. Otherwise raises ModelError when the recognizer cannot be
        loaded; either way the show is then recorded as failed, with the reason.
        """
        with self.sessions() as session:
            show = RadioShow(name=self.name, source=self._source_label, engine=self.engine.name,
                             auto_segment=self.auto_segment, status=ShowStatus.STARTING.value, gaps=[],
                             owner=process_owner(), heartbeat_at=utcnow())
            session.add(show)
            session.flush()
            show.archive_path = f"radio/show-{show.id}.wav"
            session.commit()
            self.show_id = show.id
            self.started_at = show.started_at
        self.archive = ShowArchive(self.settings.data_dir / f"radio/show-{self.show_id}.wav")
        self._emit("status", 0.0, status=self.status, label=STATUS_LABELS[self.status], show=self.name)
        self._start_thread(self._heartbeat_loop, "heartbeat")  # alive while a slow model loads, too
        if wait:
            self._begin()
        else:
            threading.Thread(target=self._begin_quietly, name=f"radio-{self.show_id}-begin", daemon=True).start()
        return self.show_id

    def _begin_quietly(self) -> None:
        try:
            self._begin()
        except ModelError:  # recorded on the show, which the page shows
            pass

    def _begin(self) -> None:
        """Load the recognizer, start the threads and the source."""
        try:
            # loads the model now, not while audio piles up; no other readings: a show's live text is never
            # routed (each caller is transcribed again from their own audio)
            self._stream = self.engine.stream(readings=False)
            warm_up(self.engine)
        except Exception as exc:  # a model directory that is missing or not a model
            log.exception("show %s: the recognizer could not be loaded", self.show_id)
            self.error = f"Model pengenal suara “{self.engine.name}” tidak dapat dimuat: {exc}"
            self._finalise_show()
            raise ModelError(str(exc), self.error) from exc
        self._start_thread(self._ingest_loop, "ingest", vital=True)
        self._start_thread(self._recognizer_loop, "recognizer")  # without it the show goes on, without live text
        self._start_thread(self._finisher_loop, "finisher", vital=True)
        self.source.start(self._ingest.put)

    def _start_thread(self, target: Callable[[], None], name: str, vital: bool = False) -> None:
        thread = threading.Thread(target=target, name=f"radio-{self.show_id}-{name}", daemon=True)
        thread.start()
        if vital:
            self._threads.append(thread)

    def stop(self, by: str | None = None) -> None:
        """Stop capturing now; the open segment is closed and stored, everything captured stays.
        `by`: who stopped it (a user name, the signal). Calling it again changes nothing."""
        with self._lock:
            if self._stopping.is_set() or self.done.is_set():
                return
            self._stopping.set()
            self.stopped_by = by
        self.source.stop()
        self._set_status(ShowStatus.STOPPING.value, stopped_by=by)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until the show has ended and every segment is stored."""
        return self.done.wait(timeout_s)

    @property
    def now_s(self) -> float:
        return self.archive.duration_s if self.archive else 0.0

    @property
    def recognized_s(self) -> float:
        """Show time the live recognizer has consumed (the captured time once it has finished)."""
        return min(self._recognized_s, self.now_s)

    @property
    def lag_s(self) -> float:
        """How far the live recognizer is behind the capture, in seconds of show."""
        return max(0.0, self.now_s - self.recognized_s)

    # -------------------------------------------------------------- control (any thread)
    def new_caller(self, name: str = "", at_s: float | None = None, origin: Origin = "manual") -> int:
        """Close the running segment (if any) and open the next one; returns its number."""
        with self._lock:
            at = self.now_s if at_s is None else at_s
            self._close(at)
            segment = OpenSegment(self._next_number, at, name.strip(), origin)
            self._next_number += 1
            self._open = segment
            self._on_air = True
            self._emit("segment_open", at, segment=segment.number, name=segment.name, origin=origin)
            return segment.number

    def end_caller(self, at_s: float | None = None) -> int | None:
        """Close the running segment; returns its number, None when none was running. No caller is on air until
        the next `new_caller`."""
        with self._lock:
            if self.operator_led:
                self._on_air = False
            return self._close(self.now_s if at_s is None else at_s)

    def name_segment(self, name: str, number: int | None = None) -> None:
        """Name the running segment (or a given one still running) while the caller talks."""
        with self._lock:
            if self._open is not None and (number is None or number == self._open.number):
                self._open.name = name.strip()
                self._emit("segment_named", self.now_s, segment=self._open.number, name=self._open.name)

    def accept_suggestion(self, suggestion_id: int) -> int | None:
        """Cut at a suggested boundary: the running caller ends there and the next begins."""
        with self._lock:
            suggestion = self._suggestions.pop(suggestion_id, None)
            if suggestion is None:
                return None
            if self._open is not None and self._open.start_s < suggestion.end_s:
                self._close(suggestion.end_s + SEGMENT_PAD_S)
            self._emit("suggestion_done", suggestion.start_s, suggestion=suggestion_id)
            if self._open is None:
                return self.new_caller(at_s=max(0.0, suggestion.start_s - SEGMENT_PAD_S), origin="suggestion")
            return self._open.number

    def events_since(self, seq: int, timeout_s: float = 15.0) -> list[ShowEvent]:
        """Events after `seq`, waiting up to `timeout_s` for one (server-sent events)."""
        with self._changed:
            if len(self._events) <= seq and not self.done.is_set():
                self._changed.wait(timeout_s)
            return self._events[seq:]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "show_id": self.show_id, "name": self.name, "now_s": round(self.now_s, 2), "running": not self.done.is_set(),
                "status": self.status, "label": STATUS_LABELS[self.status],
                "open": None if self._open is None else {"segment": self._open.number, "start_s": self._open.start_s, "name": self._open.name},
                "suggestions": [s.__dict__ for s in self._suggestions.values()],
            }

    # -------------------------------------------------------------- internals
    def _set_status(self, status: str, **fields: Any) -> None:
        """Store and announce a move to `status` (never out of a final one)."""
        with self._lock:
            if self.status in (ShowStatus.FINISHED.value, ShowStatus.FAILED.value) or self.status == status:
                return
            if status == ShowStatus.LIVE.value and self.status == ShowStatus.STOPPING.value:
                return
            self.status = status
        with self.sessions() as session:
            show = session.get(RadioShow, self.show_id)
            show.status = status  # type: ignore[union-attr]
            for key, value in fields.items():
                if value is not None:
                    setattr(show, key, value)
            session.commit()
        self._emit("status", self.now_s, status=status, label=STATUS_LABELS[status], **{k: v for k, v in fields.items() if v is not None})

    def _heartbeat_loop(self) -> None:
        """Tell the database the show is captured; stop when another process asked for it."""
        while not self.done.wait(HEARTBEAT_S):
            if not self._ended.is_set() and not all(t.is_alive() for t in self._threads):
                log.error("show %s: a capture thread died; the heartbeat stops", self.show_id)
                return
            try:
                with self.sessions() as session:
                    show = session.get(RadioShow, self.show_id)
                    if show is None:
                        return
                    show.heartbeat_at = utcnow()
                    requested, by = show.stop_requested_at, show.stopped_by
                    session.commit()
            except Exception:  # a locked or unreachable database: try again at the next beat
                log.exception("show %s: heartbeat failed", self.show_id)
                continue
            if requested is not None and not self.stopping:
                log.info("show %s: stop requested by %s", self.show_id, by)
                self.stop(by=by)

    def _emit(self, kind: str, at_s: float, **data: Any) -> None:
        with self._changed:
            self._events.append(ShowEvent(len(self._events) + 1, kind, at_s, data))
            self._changed.notify_all()

    def _close(self, at_s: float) -> int | None:
        segment, self._open = self._open, None
        if segment is None:
            return None
        end = max(at_s, segment.start_s)
        self._emit("segment_closed", end, segment=segment.number, start_s=round(segment.start_s, 2), name=segment.name)
        self._finish.put((segment, end))
        return segment.number

    def _ingest_loop(self) -> None:
        while True:
            item = self._ingest.get()
            if isinstance(item, Block):
                if self.status == ShowStatus.STARTING.value and len(item.samples):
                    self._set_status(ShowStatus.LIVE.value)
                if self._held is None:
                    self._feed(item.samples)
                    continue
                self._held.append(item.samples)
                if sum(len(h) for h in self._held) >= PROBE_S * TARGET_RATE_HZ:
                    self._resolve_gap()
            elif isinstance(item, Gap):
                if self._held is not None:
                    self._resolve_gap()
                self._held, self._held_gap = [], item
            elif isinstance(item, End):
                if self._held is not None:
                    self._resolve_gap()
                self._end(item)
                return

    def _feed(self, samples: np.ndarray) -> None:
        """Take new audio, after dropping what a reconnect delivered again."""
        if self._skip:
            dropped = min(self._skip, len(samples))
            self._skip -= dropped
            samples = samples[dropped:]
        if len(samples):
            self._take(samples)

    def _resolve_gap(self) -> None:
        """The source came back: mark the gap, and skip the audio it delivers again (a restarted file,
        a burst of the last seconds) so that no caller is archived or segmented twice."""
        fresh = np.concatenate(self._held) if self._held else np.zeros(0, dtype=np.int16)
        gap = self._held_gap
        self._held, self._held_gap = None, None
        captured = self.archive.read(max(0.0, self.now_s - SEARCH_S), self.now_s)  # type: ignore[union-attr]
        self._skip = replayed_samples(captured, fresh) if len(fresh) else 0
        if gap is not None:
            self._gap(gap, replayed_s=self._skip / TARGET_RATE_HZ)
        self._feed(fresh)

    def _take(self, samples: np.ndarray) -> None:
        captured = time.monotonic()
        data = np.concatenate([self._pending, samples]) if len(self._pending) else samples
        usable = len(data) - len(data) % WINDOW
        self._pending = data[usable:]
        for i in range(0, usable, WINDOW):
            window = data[i : i + WINDOW]
            start_s = self.now_s
            self.archive.append(window)  # type: ignore[union-attr]
            label, activities = self.tracker.push(window)
            # Music and jingles are not transcribed: the recognizer hears silence in their place.
            fed = np.zeros_like(window) if label == "music" else window
            self._recognize.put((AudioChunk(fed, start_s=start_s), captured))
            for activity in activities:
                self._on_activity(activity)

    def _on_activity(self, activity: Activity) -> None:
        with self._lock:
            cuts_itself = self.auto_segment and self._on_air
            if activity.kind == "break":
                self._last_break = activity
                self._emit("break", activity.at_s, reason=activity.reason)
                # a pause is told 2 s after the speech before it ended: a caller marked since then is not ended by it
                if cuts_itself and self._open is not None and self._open.start_s < activity.at_s:
                    self._close(activity.at_s + SEGMENT_PAD_S)
                return
            if cuts_itself:
                if self._open is None:
                    self.new_caller(at_s=max(0.0, activity.at_s - SEGMENT_PAD_S), origin="auto")
                return
            if self._last_break is not None:
                suggestion = Suggestion(len(self._suggestions) + len(self._events), self._last_break.at_s, activity.at_s, self._last_break.reason)
                self._suggestions[suggestion.id] = suggestion
                self._emit("suggestion", activity.at_s, suggestion=suggestion.id, end_s=round(suggestion.end_s, 2),
                           start_s=round(suggestion.start_s, 2), reason=suggestion.reason)
            elif self._open is None:
                self._emit("speech", activity.at_s)

    def _gap(self, gap: Gap, replayed_s: float = 0.0) -> None:
        at = self.now_s
        filled = min(gap.lost_s, MAX_GAP_FILL_S)
        record = {"at_s": round(at, 2), "lost_s": round(gap.lost_s, 2), "reason": gap.reason}
        if replayed_s:
            record["replayed_s"] = round(replayed_s, 2)  # audio the source delivered again, left out
            log.info("show %s: the reconnected source repeated %.1f s; left out", self.show_id, replayed_s)
        self.gaps.append(record)
        with self.sessions() as session:
            show = session.get(RadioShow, self.show_id)
            show.gaps = list(self.gaps)  # type: ignore[union-attr]
            session.commit()
        self._emit("gap", at, lost_s=record["lost_s"], reason=gap.reason, replayed_s=record.get("replayed_s", 0.0))
        log.warning("show %s: source lost for %.1f s at %.1f s (%s)", self.show_id, gap.lost_s, at, gap.reason)
        if filled > 0:
            self._take(np.zeros(int(filled * TARGET_RATE_HZ), dtype=np.int16))

    def _end(self, end: End) -> None:
        self._ended.set()
        if len(self._pending):
            self.archive.append(self._pending)  # type: ignore[union-attr]
            self._recognize.put((AudioChunk(self._pending, start_s=self.now_s - len(self._pending) / TARGET_RATE_HZ), time.monotonic()))
            self._pending = np.zeros(0, dtype=np.int16)
        self.error = end.error
        with self._lock:
            if self._open is not None:
                last = self.tracker._last_speech_end_s
                self._close(min(self.now_s, last + SEGMENT_PAD_S) if self.auto_segment and last else self.now_s)
        self._recognize.put(None)
        self._finish.put(None)

    def _recognizer_loop(self) -> None:
        stream = self._stream
        try:
            while (batch := self._next_batch()) is not None:
                if self.stopping:
                    continue  # the calls get their own transcripts; the command must not wait for live text
                chunk, captured = batch
                results = stream.feed(chunk)
                self._publish(results, captured)
                self._recognized_s = chunk.start_s + chunk.duration_s
            if not self.stopping:
                self._publish(stream.finish(), None)
        except Exception:  # the archive and the segments go on without live text
            log.exception("show %s: live recognizer failed", self.show_id)
            self._emit("error", self.now_s, message="Pengenal suara langsung berhenti; rekaman tetap berjalan.")
        finally:
            self._recognized_s = float("inf")
            self._recognizer_done.set()

    def _next_batch(self) -> tuple[AudioChunk, float] | None:
        """The queued audio as one chunk (at most MAX_BATCH_S): a recognizer that fell behind catches up
        in fewer, larger steps instead of computing a partial for every 0.1 s window."""
        item = self._recognize.get()
        if item is None:
            return None
        chunks, captured = [item[0]], item[1]
        while sum(c.duration_s for c in chunks) < MAX_BATCH_S:
            try:
                following = self._recognize.get_nowait()
            except queue.Empty:
                break
            if following is None:
                self._recognize.put(None)
                break
            chunks.append(following[0])
            captured = following[1]
        if len(chunks) == 1:
            return chunks[0], captured
        return AudioChunk(np.concatenate([c.samples for c in chunks]), start_s=chunks[0].start_s), captured

    def _publish(self, results: list, captured: float | None) -> None:  # noqa: ANN001
        for result in results:
            if result.final:
                start = result.start_s if result.start_s is not None else self._recognized_s
                end = result.end_s if result.end_s is not None else self._recognized_s
                with self._lock:
                    self.finals.append((start, end, result.text))
                self._emit("final", start, text=result.text, end_s=round(end, 2))
            else:
                if captured is not None:
                    self.partial_latency_s.append(time.monotonic() - captured)
                self._emit("partial", self._recognized_s, text=result.text)

    def _live_text(self, start_s: float, end_s: float) -> str:
        with self._lock:
            return " ".join(t for s, e, t in self.finals if (s + e) / 2 >= start_s and (s + e) / 2 < end_s)

    def _finisher_loop(self) -> None:
        try:
            while (item := self._finish.get()) is not None:
                segment, end_s = item
                # Wait (bounded) for the recognizer to pass the end, so the live text is complete.
                started = time.monotonic()
                while self._recognized_s < end_s:
                    waited = time.monotonic() - started
                    if waited > LIVE_TEXT_WAIT_S or (self.stopping and waited > STOPPING_TEXT_WAIT_S):
                        break
                    self._recognizer_done.wait(0.05)
                self._store(segment, end_s)
        finally:
            self._finalise_show()

    def _store(self, segment: OpenSegment, end_s: float) -> None:
        if end_s - segment.start_s < MIN_SEGMENT_S:
            self._emit("segment_dropped", end_s, segment=segment.number)
            return
        samples = self.archive.read(segment.start_s, end_s)  # type: ignore[union-attr]
        try:
            with self.sessions() as session:
                show = session.get(RadioShow, self.show_id)
                result = store_segment(
                    session, self.settings, show, segment.number, segment.start_s, end_s, samples,  # type: ignore[arg-type]
                    name=segment.name, origin=segment.origin, live_text=self._live_text(segment.start_s, end_s),
                )
                session.commit()
                call_id = result.call_id
            if self.enqueue is not None:
                self.enqueue(call_id)
            with self.sessions() as session:
                result = _with_draft(session, result)
        except Exception as exc:  # keep capturing; the archive still holds the audio for re-segmenting
            log.exception("show %s: storing segment %s failed", self.show_id, segment.number)
            self._emit("error", end_s, message=f"Segmen {segment.number} gagal disimpan: {exc}")
            return
        self.results.append(result)
        self._emit("segment_stored", end_s, **result.to_dict(), name=segment.name)
        if self.on_segment is not None:
            self.on_segment(result)

    def _finalise_show(self) -> None:
        self.archive.close()  # type: ignore[union-attr]
        status = ShowStatus.FAILED.value if self.error else ShowStatus.FINISHED.value
        with self._lock:
            self.status = status
        with self.sessions() as session:
            show = session.get(RadioShow, self.show_id)
            show.status = status  # type: ignore[union-attr]
            show.error = self.error  # type: ignore[union-attr]
            show.ended_at = utcnow()  # type: ignore[union-attr]
            show.heartbeat_at = show.ended_at  # type: ignore[union-attr]
            show.duration_s = self.now_s  # type: ignore[union-attr]
            show.gaps = list(self.gaps)  # type: ignore[union-attr]
            if self.stopped_by:
                show.stopped_by = self.stopped_by  # type: ignore[union-attr]
            session.commit()
        self._emit("status", self.now_s, status=status, label=STATUS_LABELS[status], error=self.error,
                   stopped_by=self.stopped_by, segments=len(self.results), duration_s=round(self.now_s, 2))
        self.done.set()
        with self._changed:
            self._changed.notify_all()


def store_segment(
    session: Session, settings: Settings, show: RadioShow, number: int, start_s: float, end_s: float,
    samples: np.ndarray, *, name: str = "", origin: str = "manual", live_text: str = "",
) -> SegmentResult:
    """Store one caller segment as a radio call with its own audio, and its segment row; the caller commits."""
    call, _ = receive_call(session, settings, IncomingAudio(
        data=wav_bytes(samples),
        channel=Channel(show.channel or Channel.RADIO.value),
        external_id=f"show-{show.id}/seg-{number}",
        filename=f"show-{show.id}-seg-{number}.wav",
        started_at=show.started_at + timedelta(seconds=start_s),
        ended_at=show.started_at + timedelta(seconds=end_s),
        duration_s=len(samples) / TARGET_RATE_HZ,
        meta={"show": show.name, "show_id": show.id, "segment": number, "start_s": round(start_s, 2),
              "end_s": round(end_s, 2), "caller": name, "origin": origin, "archive": show.archive_path},
    ))
    row = session.scalars(select(RadioSegment).where(RadioSegment.show_id == show.id, RadioSegment.number == number)).first()
    if row is None:
        row = RadioSegment(show=show, number=number)
        session.add(row)
    row.name, row.start_s, row.end_s, row.origin, row.live_text, row.call = name, start_s, end_s, origin, live_text, call
    session.flush()
    return SegmentResult(show.name, number, start_s, end_s, live_text, call.id, None)


def _with_draft(session: Session, result: SegmentResult) -> SegmentResult:
    """The result with the call's draft and Whisper transcript, when the pipeline has already made them."""
    from models.entities import Call

    call = session.get(Call, result.call_id)
    draft = session.scalars(select(Complaint.id).where(Complaint.call_id == result.call_id)).first()
    text = call.transcript.text if call is not None and call.transcript is not None else result.text
    return SegmentResult(result.show, result.segment, result.start_s, result.end_s, text, result.call_id, draft)


@dataclass(frozen=True)
class Span:
    """A caller span of an archived show, for re-segmenting."""

    start_s: float
    end_s: float
    name: str = ""


@dataclass(frozen=True)
class Resegmentation:
    """What re-segmenting a show did."""

    created: list[SegmentResult]
    """New segments, each a new call: the caller enqueues their pipelines after committing."""
    kept: list[SegmentResult]
    """Requested spans the show already had as segments; their calls and drafts stay as they are."""
    superseded: list[int]
    """Numbers of the segments that are no longer current (their calls and drafts stay for the operator)."""


class ResegmentError(SuaraError):
    """The show cannot be cut again, or the spans asked for do not fit it."""

    code = "resegment_error"
    message_id = "Siaran tidak dapat dipotong ulang."
    http_status = 409


SAME_SPAN_S = 0.05
"""Spans whose ends are this close are the same span (form values are rounded)."""


def detect_spans(settings: Settings, show: RadioShow, activity: ActivityParams | None = None) -> list[Span]:
    """The caller spans voice activity finds in a show's archive (long pauses, music and jingles between callers)."""
    from voice.radio.activity import find_spans

    samples = read_span(_archive_path(settings, show), 0.0, None)
    return [Span(round(s, 2), round(e, 2)) for s, e in find_spans(samples, activity, SEGMENT_PAD_S)]


def resegment_show(
    session: Session, settings: Settings, show: RadioShow, spans: list[Span] | None = None,
    activity: ActivityParams | None = None,
) -> Resegmentation:
    """Cut a finished show again into `spans` (default: those voice activity finds); the caller commits.

    A span the show already has as a segment keeps it (and its call), so the same spans twice change
    nothing; every other span becomes a new segment with a new number and a new call. Segments that
    match no span are marked superseded.
    """
    if show.status in ACTIVE_STATUSES:
        raise ResegmentError(f"show {show.id} is still running", "Siaran masih berjalan; potong ulang setelah selesai.")
    if spans is None:
        spans = detect_spans(settings, show, activity)
    spans = _checked_spans(spans, show.duration_s)
    path = _archive_path(settings, show)
    existing = sorted(show.segments, key=lambda row: (row.superseded, row.number))  # current ones match first
    matched: set[int] = set()
    created: list[SegmentResult] = []
    kept: list[SegmentResult] = []
    number = (session.scalar(select(func.max(RadioSegment.number)).where(RadioSegment.show_id == show.id)) or 0) + 1
    for span in spans:
        row = next((r for r in existing if r.id not in matched and r.call_id is not None
                    and abs(r.start_s - span.start_s) <= SAME_SPAN_S and abs(r.end_s - span.end_s) <= SAME_SPAN_S), None)
        if row is not None:
            matched.add(row.id)
            row.superseded = False
            row.name = span.name.strip() or row.name
            kept.append(_with_draft(session, SegmentResult(show.name, row.number, row.start_s, row.end_s, row.live_text,
                                                           row.call_id, None)))  # type: ignore[arg-type]
            continue
        samples = read_span(path, span.start_s, span.end_s)
        created.append(store_segment(session, settings, show, number, span.start_s, span.end_s, samples,
                                     name=span.name.strip(), origin="resegment"))
        number += 1
    superseded = []
    for row in existing:
        if row.id not in matched and not row.superseded:
            row.superseded = True
            superseded.append(row.number)
    session.flush()
    log.info("show %s re-segmented: %d new, %d kept, %d superseded", show.id, len(created), len(kept), len(superseded))
    return Resegmentation(created, kept, superseded)


def _archive_path(settings: Settings, show: RadioShow) -> Path:
    path = settings.data_dir / (show.archive_path or f"radio/show-{show.id}.wav")
    if not path.is_file():
        raise ResegmentError(f"no archive at {path}", "Rekaman siaran ini tidak ditemukan.")
    return path


def _checked_spans(spans: list[Span], duration_s: float | None) -> list[Span]:
    """The spans in order, each long enough, inside the show and not overlapping another."""
    if not spans:
        raise ResegmentError("no spans", "Pilih setidaknya satu rentang penelepon.")
    ordered = sorted(spans, key=lambda span: span.start_s)
    limit = (duration_s if duration_s is not None else float("inf")) + SAME_SPAN_S
    for i, span in enumerate(ordered):
        if not (0.0 <= span.start_s and span.end_s <= limit and span.end_s - span.start_s >= MIN_SEGMENT_S):
            raise ResegmentError(f"span {span} outside the show or too short",
                                 f"Rentang {span.start_s:.1f}–{span.end_s:.1f} dtk di luar siaran atau terlalu pendek.")
        if i and span.start_s < ordered[i - 1].end_s - SAME_SPAN_S:
            raise ResegmentError(f"span {span} overlaps the one before",
                                 f"Rentang {span.start_s:.1f}–{span.end_s:.1f} dtk tumpang tindih dengan rentang sebelumnya.")
    return ordered
