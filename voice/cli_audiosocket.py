"""`suara audiosocket --listen HOST:PORT`: the Asterisk AudioSocket server as its own process."""

from __future__ import annotations

import logging

from models.config import Settings
from models.db import make_engine, session_factory
from transcribe.engines import load_engine
from transcribe.errors import ModelError
from transcribe.jobs import JobQueue
from voice.audiosocket import AudioSocketConfig, AudioSocketServer, parse_listen
from voice.live import LiveRegistry

log = logging.getLogger(__name__)


def run_audiosocket(settings: Settings, listen: str) -> None:
    """Serve AudioSocket connections until interrupted; calls are stored and enqueued like every other call."""
    host, port = parse_listen(listen)
    db = make_engine(settings.database_url)
    jobs = JobQueue(settings, engine=db)
    try:
        engine = load_engine(settings)
        load = getattr(engine, "load", None)
        if load is not None:
            load()  # load the model now, not during the first caller's greeting
    except ModelError as exc:
        log.error("no live recognition (%s); calls are still recorded and transcribed by the jobs", exc)
        engine = None
    config = AudioSocketConfig(settings, session_factory(db), engine, jobs.enqueue_call, LiveRegistry())
    server = AudioSocketServer(host, port, config)
    log.info("AudioSocket server listening on %s:%s", *server.server_address[:2])
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("stopping; finishing the calls in progress")
    finally:
        server.server_close()
        db.dispose()
