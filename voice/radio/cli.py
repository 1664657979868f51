"""Headless radio desk: `suara radio --source DEVICE_OR_URL_OR_FILE --show NAME [--auto-segment]`.

Prints one JSON line per caller segment and, at the end, one summary line `{"show", "status",
"segments", "duration_s"}` (plus `"error"` when the show failed or could not start). Exit status 0 when the source ended or
the show was stopped, 1 when it failed, 2 when it could not start. SIGINT or SIGTERM stops the show: the
caller in progress is stored, its transcription stays queued as a job (for `suara serve` or `suara
worker`), and the command exits within seconds; a second signal exits at once, keeping the archive.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, TextIO

import click

from models.config import Settings
from models.errors import SuaraError
from models.radio import ShowStatus
from transcribe.errors import ModelError
from voice.radio.show import LiveShow, SegmentResult, _with_draft
from voice.radio.sources import AudioSource, open_source

log = logging.getLogger(__name__)

EXIT_FAILED = 1
EXIT_NOT_STARTED = 2
EXIT_FORCED = 130


@dataclass(frozen=True)
class ShowSummary:
    """The last line `suara radio` prints."""

    show: str
    status: str
    segments: int
    duration_s: float
    error: str | None = None
    """Why the show failed (Indonesian)."""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"show": self.show, "status": self.status, "segments": self.segments,
                                "duration_s": round(self.duration_s, 2)}
        if self.error:
            data["error"] = self.error
        return data

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.status == ShowStatus.FAILED.value else 0


@dataclass
class RadioRun:
    """What a headless show did."""

    show_id: int
    results: list[SegmentResult]
    summary: ShowSummary
    queued: list[int] = field(default_factory=list)
    """Calls whose transcription and drafting were still queued when the command ended."""


class _Printer:
    """Segment lines, printed once their draft exists (in order), or at the end without it."""

    def __init__(self, out: TextIO, sessions: Any, wait_for_drafts: bool) -> None:  # noqa: ANN401 - a sessionmaker
        self.out, self.sessions, self.wait_for_drafts = out, sessions, wait_for_drafts
        self.lock = threading.Lock()
        self.waiting: list[SegmentResult] = []
        self.done: set[int] = set()

    def stored(self, result: SegmentResult) -> None:
        with self.lock:
            self.waiting.append(result)
        self._print_ready()

    def job_event(self, event: str, call_id: int) -> None:
        if event in ("drafted", "failed"):
            with self.lock:
                self.done.add(call_id)
            self._print_ready()

    def _print_ready(self) -> None:
        with self.lock:
            while self.waiting and (not self.wait_for_drafts or self.waiting[0].call_id in self.done):
                self._write(self.waiting.pop(0))

    def flush(self) -> list[int]:
        """Print what is left (drafts not made yet); returns those calls."""
        with self.lock:
            left = [r.call_id for r in self.waiting]
            while self.waiting:
                self._write(self.waiting.pop(0))
        return left

    @property
    def pending(self) -> bool:
        with self.lock:
            return bool(self.waiting)

    def _write(self, result: SegmentResult) -> None:
        with self.sessions() as session:
            result = _with_draft(session, result)
        self.out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        self.out.flush()


def run_radio(
    settings: Settings,
    source: str | AudioSource,
    show: str,
    auto_segment: bool = False,
    engine: str | None = None,
    *,
    pace: str = "realtime",
    out: TextIO | None = None,
    on_start: Callable[[LiveShow], None] | None = None,
    timeout_s: float | None = None,
    stop: threading.Event | None = None,
    stopped_by: Callable[[], str] | None = None,
) -> RadioRun:
    """Capture a show until its source ends or `stop` is set; print its segment lines and the summary.

    Without Redis the calls' jobs run in this process while the show runs, and after the source ends
    the command waits for their drafts (`draft_id` in every line); once stopped it waits for nothing:
    the jobs left stay queued for `suara serve`/`suara worker`. With Redis the lines come as segments
    are stored, `draft_id` null. Raises SuaraError when the show cannot start (no such file or device,
    no model).
    """
    from models.db import make_engine
    from transcribe.engines import load_engine
    from transcribe.jobs import JobQueue
    from voice.radio.recovery import recover_orphaned_shows

    out = out or sys.stdout
    stop = stop or threading.Event()
    db = make_engine(settings.database_url)
    jobs = JobQueue(settings, engine=db)
    with jobs.sessions() as session:
        recover_orphaned_shows(session, settings)
        session.commit()
    recognizer = load_engine(settings, engine)
    if isinstance(source, str):
        label, source = source, open_source(source, pace=pace)
    else:
        label = source.description
    printer = _Printer(out, jobs.sessions, wait_for_drafts=not settings.uses_redis)
    consumer = None
    if not settings.uses_redis:
        from voice.jobs import register_voice_jobs

        register_voice_jobs(jobs)
        jobs.hooks.append(printer.job_event)
        consumer = jobs.start_inprocess(workers=1, periodic=False)  # one at a time: lines stay in order
    live = LiveShow(settings, jobs.sessions, source, show, recognizer, source_label=label, auto_segment=auto_segment,
                    enqueue=jobs.enqueue_call, on_segment=printer.stored)
    try:
        try:
            live.start()
        except ModelError:  # the show is recorded as failed, with the reason: the summary says it
            pass
        if not auto_segment and not live.done.is_set():
            live.new_caller(at_s=0.0)  # without marks, the whole show is one segment
        if on_start is not None:
            on_start(live)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while not live.done.wait(0.1):
            if stop.is_set():
                live.stop(by=stopped_by() if stopped_by else None)
            elif deadline is not None and time.monotonic() > deadline:
                live.stop(by="batas waktu")
        while printer.pending and printer.wait_for_drafts and not stop.is_set() and not live.stopping:
            time.sleep(0.1)
    finally:
        if consumer is not None:
            consumer.stop(graceful=False)  # daemon threads: a job in progress does not hold the exit
        queued = printer.flush()
        db.dispose()
    summary = ShowSummary(show, live.status, len(live.results), live.now_s, live.error)
    out.write(json.dumps(summary.to_dict(), ensure_ascii=False) + "\n")
    out.flush()
    return RadioRun(live.show_id, live.results, summary, queued)


class _Signals:
    """The first SIGINT/SIGTERM asks the show to stop; a second one exits at once."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.name = ""
        self.live: LiveShow | None = None

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, _frame: object) -> None:
        if self.stop.is_set():
            # The stored segments are committed; the archive only needs its header (a later start repairs it too).
            if self.live is not None and self.live.archive is not None:
                self.live.archive.sync()
            sys.stderr.write("Dihentikan paksa; audio yang sudah direkam tetap tersimpan.\n")
            sys.stderr.flush()
            os._exit(EXIT_FORCED)
        self.name = signal.Signals(signum).name
        self.stop.set()
        sys.stderr.write("Menghentikan siaran; penelepon yang sedang berbicara disimpan...\n")
        sys.stderr.flush()


@click.command("radio")
@click.option("--source", required=True, help="Sound-card name or index, stream URL, or audio file.")
@click.option("--show", "show_name", required=True, help="Name of the show, e.g. \"SAPA BUPATI\".")
@click.option("--auto-segment", is_flag=True, help="Cut callers at long pauses and music on its own.")
@click.option("--engine", type=click.Choice(["vosk", "whisper"]), default=None, help="Live recognizer.")
@click.option("--pace", type=click.Choice(["realtime", "fast"]), default="realtime", show_default=True,
              help="For files: play at real-time pace, or as fast as possible.")
def radio_command(source: str, show_name: str, auto_segment: bool, engine: str | None, pace: str) -> None:
    """Capture a radio call-in show headless; one JSON line per caller segment, then a summary line."""
    settings = Settings.from_env()
    signals = _Signals()
    signals.install()

    def attach(live: LiveShow) -> None:
        signals.live = live

    try:
        run = run_radio(settings, source, show_name, auto_segment, engine, pace=pace, on_start=attach,
                        stop=signals.stop, stopped_by=lambda: f"sinyal {signals.name}")
    except SuaraError as exc:  # no such file or device, no model: nothing was captured
        click.echo(json.dumps(ShowSummary(show_name, ShowStatus.FAILED.value, 0, 0.0, exc.message_id).to_dict(), ensure_ascii=False))
        click.echo(f"Galat: {exc.message_id} ({exc.code})", err=True)
        sys.exit(EXIT_NOT_STARTED)
    if run.summary.error:
        click.echo(f"Siaran gagal: {run.summary.error}", err=True)
    if run.queued:
        click.echo(f"{len(run.queued)} panggilan masih menunggu transkripsi; dikerjakan oleh `suara serve` atau `suara worker`.",
                   err=True)
    sys.exit(run.summary.exit_code)
