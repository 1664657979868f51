"""With Redis and several workers, a call whose job was lost -- its worker killed mid-transcription, or the queue
forgotten by a Redis restart -- is enqueued again within seconds, and a call is never queued or run twice.
(Found by `make chaos`: a killed worker's call waited 15 minutes.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from sqlalchemy import func, select

from models.entities import Call, Channel, Complaint, Transcript
from tests.test_pipeline import FlakyEngine
from transcribe.audio import write_wav
from transcribe.jobs import JobQueue
from voice.intake import IncomingAudio, accept_upload

SLOW_WORKER = textwrap.dedent("""
    import time
    import transcribe.engines
    import transcribe.leases as leases
    from models.config import Settings
    from transcribe.jobs import JobQueue

    leases.RUNNING_TTL_S, leases.HEARTBEAT_S = 2, 0.5

    class Stuck:
        name = "fake"
        def transcribe(self, samples):
            time.sleep(600)

    transcribe.engines.load_engine = lambda settings, name=None: Stuck()
    JobQueue(Settings.from_env()).run_worker(1)
""")


@pytest.fixture
def redis_settings(settings, redis_url, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setattr("transcribe.engines.load_engine", lambda s, name=None: FlakyEngine(failures=0))
    redis_settings = settings.with_(redis_url=redis_url, job_retry_delay_s=0)
    JobQueue(redis_settings).huey.storage.conn.flushall()
    return redis_settings


def _stored_call(session, settings, tmp_path) -> int:  # noqa: ANN001
    t = np.arange(32000) / 16000
    wav = write_wav(tmp_path / "t.wav", (np.sin(t * 2000) * 5000).astype(np.int16)).read_bytes()
    call, _ = accept_upload(session, settings, IncomingAudio(wav, Channel.UPLOAD))
    session.commit()
    return call.id


def _until(predicate, timeout_s: float):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    return predicate()


def _drafted_once(session, queue: JobQueue, call_id: int) -> None:  # noqa: ANN001
    consumer = queue.start_inprocess(workers=2, periodic=False)
    try:
        def done() -> bool:
            session.expire_all()
            return session.get(Call, call_id).status in {"drafted", "failed"}

        assert _until(done, 20)
    finally:
        consumer.stop(graceful=True)
    assert session.get(Call, call_id).status == "drafted", session.get(Call, call_id).error
    assert session.scalar(select(func.count()).select_from(Transcript).where(Transcript.call_id == call_id)) == 1
    assert session.scalar(select(func.count()).select_from(Complaint).where(Complaint.call_id == call_id)) == 1


def test_call_of_a_worker_killed_mid_transcription_is_enqueued_again_within_seconds(redis_settings, db_engine, session,
                                                                                    tmp_path) -> None:  # noqa: ANN001
    call_id = _stored_call(session, redis_settings, tmp_path)
    JobQueue(redis_settings, engine=db_engine).enqueue_call(call_id)
    env = dict(os.environ, SUARA_DATA_DIR=str(redis_settings.data_dir), SUARA_DATABASE_URL=redis_settings.database_url,
               SUARA_REDIS_URL=redis_settings.redis_url, SUARA_SECRET_KEY="uji")
    worker = subprocess.Popen([sys.executable, "-c", SLOW_WORKER], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def transcribing() -> bool:
            session.expire_all()
            return session.get(Call, call_id).status == "transcribing"

        assert _until(transcribing, 30)
        other = JobQueue(redis_settings, engine=db_engine)  # the surviving worker
        assert other.recover() == []  # its worker is alive and renews its claim
        time.sleep(3)
        assert other.recover() == []
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    assert _until(lambda: other.recover(), 5) == [call_id]  # the claim expired with the worker
    assert other.recover() == []  # queued once
    # the dead worker took its job with it; one new (a periodic job the dead worker's scheduler queued may wait too)
    assert [t.name for t in other.huey.pending()].count("transcribe_call") == 1
    _drafted_once(session, other, call_id)


def test_calls_forgotten_by_a_restarted_redis_are_enqueued_again_at_once(redis_settings, db_engine, session,
                                                                          tmp_path) -> None:  # noqa: ANN001
    call_id = _stored_call(session, redis_settings, tmp_path)
    queue = JobQueue(redis_settings, engine=db_engine)
    queue.enqueue_call(call_id)
    queue.huey.storage.conn.flushall()  # Redis restarted without persistence: the queue is gone
    assert queue.recover() == [call_id]
    assert len(queue.huey) == 1
    _drafted_once(session, queue, call_id)


def test_a_call_is_never_queued_twice(redis_settings, db_engine, session, tmp_path) -> None:  # noqa: ANN001
    call_id = _stored_call(session, redis_settings, tmp_path)
    web, worker = JobQueue(redis_settings, engine=db_engine), JobQueue(redis_settings, engine=db_engine)
    web.enqueue_call(call_id)
    web.enqueue_call(call_id)  # a repeated webhook, the recovery of another worker
    assert worker.recover() == []
    assert len(web.huey) == 1
    _drafted_once(session, worker, call_id)
    assert worker.recover() == []  # drafted: nothing left to do


def test_a_restarted_redis_does_not_let_a_second_worker_start_a_call_still_running(redis_url) -> None:  # noqa: ANN001
    """Redis forgot the running marker while the call was being transcribed: the heartbeat puts it back (also over
    a `queued` that recovery set meanwhile), so the duplicate task recovery enqueued does nothing."""
    from redis import Redis

    from transcribe.leases import RedisLeases

    conn = Redis.from_url(redis_url)
    conn.flushall()
    first, second = RedisLeases(conn), RedisLeases(conn)
    with first.hold(7) as mine:
        assert mine
        conn.flushall()  # the restart
        assert second.try_queue(7)  # recovery sees nothing and enqueues it again
        first.renew()  # the next heartbeat
        with second.hold(7) as theirs:
            assert not theirs  # the duplicate task finds it running on the first worker
