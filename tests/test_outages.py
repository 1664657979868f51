"""A call survives a passing outage: Twilio webhooks arriving while PostgreSQL restarts, and an AudioSocket call
that ends while the database is down or the audio disk is full, are stored once it comes back.
(Found by `make chaos`: such a webhook answered 500 and Twilio does not send it again; such a call was lost.)"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from models.db import make_engine, session_factory
from models.entities import Call
from tests.services import PostgresServer
from tests.test_twilio import ACCOUNT_SID, AUTH_TOKEN, CALL, PUBLIC_URL, post, voice_params
from voice.session import SessionResult, store_call


@pytest.fixture
def pg():  # noqa: ANN201
    workdir = Path(tempfile.mkdtemp(prefix="suara-pg-"))  # not under pytest's tmp dir: the server runs as postgres
    server = PostgresServer(workdir)
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def settings(settings, pg):  # noqa: ANN001, ANN201
    return settings.with_(database_url=pg.url, public_url=PUBLIC_URL, twilio_account_sid=ACCOUNT_SID,
                          twilio_auth_token=AUTH_TOKEN)


def _restart_later(pg: PostgresServer, down_s: float) -> threading.Timer:
    pg.stop()
    timer = threading.Timer(down_s, pg.start)
    timer.start()
    return timer


def _result(seconds: float = 2.0) -> SessionResult:
    t = np.arange(int(16000 * seconds)) / 16000
    return SessionResult((np.sin(t * 2000) * 5000).astype(np.int16), [], [])


def test_twilio_webhook_during_a_database_restart_is_answered_once_it_is_back(app, client, session, pg) -> None:  # noqa: ANN001
    assert post(client, "/twilio/voice", voice_params()).status_code == 200  # the pool holds a connection now
    timer = _restart_later(pg, 2.0)
    try:
        response = post(client, "/twilio/menu", voice_params(Digits="1"))
    finally:
        timer.join()  # the server is up again before the fixture stops it
    assert response.status_code == 200 and b"<Record" in response.data
    session.expire_all()
    assert session.scalars(select(Call.external_id)).all() == [CALL]


def test_audiosocket_call_ending_while_the_database_restarts_is_stored(settings, db_engine, pg) -> None:  # noqa: ANN001
    sessions = session_factory(db_engine)
    queued: list[int] = []
    timer = _restart_later(pg, 2.0)
    try:
        call_id = store_call(sessions, settings, _result(), "1b4e28ba-2fa1-4d2b-0006-281234567890", None, None,
                             enqueue=queued.append)
    finally:
        timer.join()
    assert queued == [call_id]
    with sessions() as session:
        call = session.get(Call, call_id)
        assert (settings.audio_dir / call.audio_path).stat().st_size > 60_000


@pytest.fixture
def full_disk(settings):  # noqa: ANN001, ANN201
    """The audio directory on a 1 MB tmpfs, filled; yields the filler file (delete it to free the space)."""
    settings.audio_dir.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(settings.audio_dir)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"a small filesystem cannot be mounted here: {mounted.stderr.decode().strip()}")
    try:
        filler = settings.audio_dir / "filler"
        with filler.open("wb", buffering=0) as fh, pytest.raises(OSError):
            while True:
                fh.write(b"\0" * 4096)
        yield filler
    finally:
        subprocess.run(["umount", str(settings.audio_dir)], check=False)


def test_audiosocket_call_ending_on_a_full_disk_is_stored_when_space_returns(settings, db_engine, full_disk) -> None:  # noqa: ANN001
    queued: list[int] = []
    timer = threading.Timer(2.0, full_disk.unlink)
    timer.start()
    call_id = store_call(session_factory(db_engine), settings, _result(), "2b4e28ba-2fa1-4d2b-0006-281234567890",
                         None, None, enqueue=queued.append)
    timer.join()
    assert queued == [call_id]
    with session_factory(db_engine)() as session:
        stored = settings.audio_dir / session.get(Call, call_id).audio_path
        assert stored.stat().st_size > 60_000
    assert not list(settings.audio_dir.rglob("*.part"))  # no half-written file left behind


def test_media_stream_ending_on_a_full_disk_keeps_its_audio_when_space_returns(app, session, settings, full_disk) -> None:  # noqa: ANN001
    import base64
    import json

    from transcribe.audio import mulaw_encode
    from web.twilio import stream_handler

    handler = stream_handler(app)
    handler._engine = lambda: None  # no live recognizer: the stream ends at once
    handler.handle(json.dumps({"event": "start", "start": {"callSid": CALL}}))
    data = mulaw_encode(_result(2.0).samples[::2])
    for i in range(0, len(data), 160):
        handler.handle(json.dumps({"event": "media", "media": {"payload": base64.b64encode(data[i:i + 160]).decode()}}))
    timer = threading.Timer(2.0, full_disk.unlink)
    timer.start()
    handler.finish()  # waits for the space instead of failing the request
    timer.join()
    call = session.scalars(select(Call).where(Call.external_id == CALL)).one()
    assert (settings.audio_dir / call.meta["stream_audio"]).stat().st_size > 20_000


def test_recording_webhook_with_the_queue_down_succeeds_and_the_download_is_driven_later(app, client, session) -> None:  # noqa: ANN001
    from redis.exceptions import ConnectionError as RedisDown

    from tests.test_twilio import REC

    def down(*args, **kwargs) -> None:  # noqa: ANN002, ANN003
        raise RedisDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    app.extensions["suara"].jobs.registry["fetch_recording"].task = down
    assert post(client, "/twilio/menu", voice_params(Digits="1")).status_code == 200
    params = voice_params(RecordingSid=REC, RecordingStatus="completed", RecordingDuration="6")
    assert post(client, "/twilio/recording", params).status_code == 204
    session.expire_all()
    call = session.scalars(select(Call)).one()
    assert call.status == "awaiting" and call.meta["fetch"]["recording_sid"] == REC  # the recovery drives it


def test_a_missing_migration_is_not_waited_out_like_an_outage() -> None:
    """Every Twilio webhook would wait 10 s (and each stream 30 s) before failing on a schema error."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from models.db import passing_outage

    assert not passing_outage(OperationalError("SELECT code FROM call", {}, sqlite3.OperationalError("no such column: call.code")))
    assert passing_outage(OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked")))
