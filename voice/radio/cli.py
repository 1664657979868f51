"""Headless radio desk: `suara radio --source DEVICE_OR_URL_OR_FILE --show NAME [--auto-segment]`."""

from __future__ import annotations

import json
import signal
import sys
import threading
from typing import Callable, TextIO

import click

from models.config import Settings
from voice.radio.show import LiveShow, SegmentResult
from voice.radio.sources import AudioSource, open_source


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
) -> list[SegmentResult]:
    """Capture a show until its source ends (or Ctrl-C); print one JSON line per stored segment.

    Without Redis the pipeline runs in this process right after each segment, so `draft_id` is known;
    with Redis it is enqueued for the workers and `draft_id` is null.
    """
    from models.db import make_engine
    from transcribe.engines import load_engine
    from transcribe.jobs import JobQueue

    out = out or sys.stdout
    db = make_engine(settings.database_url)
    jobs = JobQueue(settings, engine=db, immediate=not settings.uses_redis)
    recognizer = load_engine(settings, engine)
    recognizer.load()  # type: ignore[attr-defined]
    lock = threading.Lock()

    def emit(result: SegmentResult) -> None:
        with lock:
            out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
            out.flush()

    if isinstance(source, str):
        label, source = source, open_source(source, pace=pace)
    else:
        label = source.description
    live = LiveShow(settings, jobs.sessions, source, show, recognizer, source_label=label, auto_segment=auto_segment, enqueue=jobs.enqueue_call, on_segment=emit)
    live.start()
    if not auto_segment:
        live.new_caller(at_s=0.0)  # without marks, the whole show is one segment
    if on_start is not None:
        on_start(live)
    try:
        if not live.wait(timeout_s):
            live.stop()
            live.wait()
    except KeyboardInterrupt:
        live.stop()
        live.wait()
    db.dispose()
    return live.results


@click.command("radio")
@click.option("--source", required=True, help="Sound-card name or index, stream URL, or audio file.")
@click.option("--show", "show_name", required=True, help="Name of the show, e.g. \"SAPA BUPATI\".")
@click.option("--auto-segment", is_flag=True, help="Cut callers at long pauses and music on its own.")
@click.option("--engine", type=click.Choice(["vosk", "whisper"]), default=None, help="Live recognizer.")
@click.option("--pace", type=click.Choice(["realtime", "fast"]), default="realtime", show_default=True,
              help="For files: play at real-time pace, or as fast as possible.")
def radio_command(source: str, show_name: str, auto_segment: bool, engine: str | None, pace: str) -> None:
    """Capture a radio call-in show headless; one JSON line per caller segment."""
    settings = Settings.from_env()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    run_radio(settings, source, show_name, auto_segment, engine, pace=pace)
