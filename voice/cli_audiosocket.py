"""The Asterisk AudioSocket server as its own process (`suara audiosocket --listen HOST:PORT`), or inside
the web process (`SUARA_AUDIOSOCKET_LISTEN`), where its calls show on the operator's live page."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from models.config import Settings
from models.db import make_engine, session_factory
from transcribe.engines import load_engine, warm_up
from transcribe.errors import ModelError
from transcribe.jobs import JobQueue
from transcribe.types import Engine
from voice.audiosocket import AudioSocketConfig, AudioSocketServer, parse_listen
from voice.live import LiveRegistry, registry_for

log = logging.getLogger(__name__)
WARM_LINES = 2
"""Recognizer streams warmed at start: the first calls then skip a cold decoder's slow first second."""


def run_audiosocket(settings: Settings, listen: str) -> None:
    """Serve AudioSocket connections until interrupted; calls are stored and enqueued like every other call."""
    db = make_engine(settings.database_url)
    jobs = JobQueue(settings, engine=db)
    server = _server(listen, settings, session_factory(db), jobs, LiveRegistry())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("stopping; storing the calls in progress")
    finally:
        server.stop()
        db.dispose()


def start_audiosocket_in_app(app: Any, listen: str) -> AudioSocketServer:
    """Serve AudioSocket from a daemon thread of the web process, with the app's live registry and jobs.

    Returns the running server; `server.stop()` ends it after the calls in progress are stored."""
    state = app.extensions["suara"]
    server = _server(listen, state.settings, state.sessions, state.jobs, registry_for(app))
    server.start_background()
    return server


def _server(
    listen: str, settings: Settings, sessions: sessionmaker[Session], jobs: JobQueue, live: LiveRegistry
) -> AudioSocketServer:
    host, port = parse_listen(listen)
    config = AudioSocketConfig(settings, sessions, _live_engine(settings), jobs.enqueue_call, live)
    server = AudioSocketServer(host, port, config)
    log.info("AudioSocket server listening on %s:%s", *server.server_address[:2])
    return server


def _live_engine(settings: Settings) -> Engine | None:
    """The configured engine with its model loaded and its first streams warmed now, not during the first
    callers' greetings."""
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
    return engine
