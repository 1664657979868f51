"""The live recognizer made ready at start: its model loaded and its first streams warmed, so that the
first callers' greetings are not what pays for it."""

from __future__ import annotations

import logging
import threading
import time

from models.config import Settings
from transcribe.engines import load_engine, warm_up
from transcribe.errors import ModelError
from transcribe.types import Engine

log = logging.getLogger(__name__)
WARM_LINES = 2
"""Recognizer streams warmed at start: the first calls then skip a cold decoder's slow first second."""


def live_engine(settings: Settings) -> Engine | None:
    """The configured engine with its model loaded and `WARM_LINES` streams warmed; None (logged) when its
    model cannot be loaded: calls are then still recorded and transcribed by the jobs."""
    started = time.perf_counter()
    try:
        engine = load_engine(settings)
        load = getattr(engine, "load", None)
        if load is not None:
            load()
    except ModelError as exc:
        log.error("no live recognition (%s); calls are still recorded and transcribed by the jobs", exc)
        return None
    try:
        warm_up(engine, streams=WARM_LINES)
    except Exception:  # a failed warm-up only makes the first calls slower
        log.warning("warming the recognizer failed; the first calls start cold", exc_info=True)
    else:
        log.info("live recognizer %s ready, %d streams warmed, in %.1f s", engine.name, WARM_LINES,
                 time.perf_counter() - started)
    return engine


def warm_in_background(settings: Settings) -> threading.Thread:
    """`live_engine` on a daemon thread, for a server that must answer at once (Twilio media streams take
    the same process-wide engine from `load_engine`)."""
    thread = threading.Thread(target=live_engine, args=(settings,), name="warm-live-engine", daemon=True)
    thread.start()
    return thread
