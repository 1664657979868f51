"""The Asterisk AudioSocket server as its own process (`suara audiosocket --listen HOST:PORT`), or inside
the web process (`SUARA_AUDIOSOCKET_LISTEN`), where its calls show on the operator's live page."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from models.config import Settings
from models.db import make_engine, session_factory
from transcribe.jobs import JobQueue
from voice.audiosocket import AudioSocketConfig, AudioSocketServer, parse_listen
from voice.live import LiveRegistry, registry_for
from voice.warm import live_engine

log = logging.getLogger(__name__)


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
    config = AudioSocketConfig(settings, sessions, live_engine(settings), jobs.enqueue_call, live)
    server = AudioSocketServer(host, port, config)
    log.info("AudioSocket server listening on %s:%s", *server.server_address[:2])
    return server
