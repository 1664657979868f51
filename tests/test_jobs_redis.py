"""With SUARA_REDIS_URL the jobs live in a real Redis server and a separate worker runs them."""

from __future__ import annotations

import time

import numpy as np

from models.entities import Call, Channel
from tests.test_pipeline import FlakyEngine
from transcribe.audio import write_wav
from transcribe.jobs import JobQueue
from voice.intake import IncomingAudio, accept_upload


def test_jobs_run_through_redis(settings, db_engine, session, redis_url, tmp_path) -> None:  # noqa: ANN001
    engine = FlakyEngine(failures=1)
    redis_settings = settings.with_(redis_url=redis_url)
    producer = JobQueue(redis_settings, engine=db_engine, recognizer=engine)
    assert type(producer.huey.storage).__name__ == "RedisStorage"
    producer.huey.flush()
    t = np.arange(32000) / 16000  # two seconds of sound: shorter is set aside as silence before any recognizer
    wav = write_wav(tmp_path / "t.wav", (np.sin(t * 2000) * 5000).astype(np.int16)).read_bytes()
    call, _ = accept_upload(session, redis_settings, IncomingAudio(wav, Channel.UPLOAD))
    session.commit()
    producer.enqueue_call(call.id)
    assert len(producer.huey) == 1  # waiting in Redis, nobody has run it

    worker = JobQueue(redis_settings, engine=db_engine, recognizer=engine)  # as `suara worker` on another machine
    consumer = worker.start_inprocess(workers=1)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            session.expire_all()
            if session.get(Call, call.id).status in {"drafted", "failed"}:
                break
            time.sleep(0.05)
    finally:
        consumer.stop(graceful=True)
    done = session.get(Call, call.id)
    assert done.status == "drafted", done.error
    assert done.attempts == 2  # the first attempt failed, the worker retried it
