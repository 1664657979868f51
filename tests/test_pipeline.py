"""Store → call → transcribe job → draft job: idempotent intake, retries, restarts."""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from models.base import utcnow
from models.entities import Call, Channel, Complaint, StatusChange
from transcribe.audio import write_wav
from transcribe.errors import AudioError
from transcribe.jobs import JobQueue
from transcribe.types import Transcript, Word
from voice.intake import IncomingAudio, accept_upload, receive_call


class FlakyEngine:
    """A recognizer that fails a set number of times, then answers: for the job logic only."""

    name = "fake"
    model_name = "fake-model"
    language = "id"

    def __init__(self, failures: int, text: str = "Jalan di desa kami rusak parah.",
                 alternatives: list[str] | None = None) -> None:
        self.failures = failures
        self.calls = 0
        self.text = text
        self.alternatives = alternatives or []

    def transcribe(self, samples: np.ndarray) -> Transcript:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(f"engine crashed (attempt {self.calls})")
        return Transcript(
            engine=self.name, model=self.model_name, language="id", text=self.text,
            words=[Word("Jalan", 0.1, 0.4, 0.9)], alternatives=self.alternatives,
            duration_s=len(samples) / 16000, processing_s=0.01,
        )


@pytest.fixture
def tone_wav(tmp_path) -> bytes:  # noqa: ANN001
    t = np.arange(16000) / 16000
    return write_wav(tmp_path / "tone.wav", (np.sin(2 * np.pi * 300 * t) * 6000).astype(np.int16)).read_bytes()


@pytest.fixture
def fake_engine():  # noqa: ANN201
    """A factory of fake engines; a test hands the one it made to its JobQueue (`recognizer=`)."""

    def make(failures: int, **kwargs: object) -> FlakyEngine:
        return FlakyEngine(failures, **kwargs)  # type: ignore[arg-type]

    return make


def _wait_for(queue: JobQueue, call_id: int, statuses: set[str], timeout_s: float = 20) -> Call:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with queue.sessions() as s:
            call = s.get(Call, call_id)
            if call.status in statuses:
                return call
        time.sleep(0.05)
    raise AssertionError(f"call {call_id} never reached {statuses}; last status {call.status}, error {call.error}")


def test_same_external_id_twice_makes_one_call(session, settings, tone_wav) -> None:  # noqa: ANN001
    first, created = receive_call(session, settings, IncomingAudio(tone_wav, Channel.PHONE, external_id="CA123"))
    again, created_again = receive_call(session, settings, IncomingAudio(tone_wav, Channel.PHONE, external_id="CA123"))
    session.commit()
    assert created and not created_again and first.id == again.id
    assert session.scalar(select(func.count(Call.id))) == 1
    assert (settings.audio_dir / first.audio_path).read_bytes() == tone_wav


def test_same_upload_twice_is_one_call_but_other_channel_is_another(session, settings, tone_wav) -> None:  # noqa: ANN001
    a, _ = accept_upload(session, settings, IncomingAudio(tone_wav, Channel.UPLOAD, filename="a.wav"))
    b, created = accept_upload(session, settings, IncomingAudio(tone_wav, Channel.UPLOAD, filename="b.wav"))
    c, _ = receive_call(session, settings, IncomingAudio(tone_wav, Channel.RADIO, external_id="show-1/seg-1"))
    assert a.id == b.id and not created and c.id != a.id
    assert a.duration_s == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize(
    "data, code",
    [(b"", "audio_empty"), (b"RIFF\x00\x00\x00\x00WAVEjunk", "audio_invalid"), (b"\x89PNG\r\n\x1a\n" + b"\0" * 300, "audio_invalid")],
)
def test_bad_upload_is_refused_before_anything_is_stored(session, settings, data, code) -> None:  # noqa: ANN001
    with pytest.raises(AudioError) as info:
        accept_upload(session, settings, IncomingAudio(data, Channel.UPLOAD, filename="x.wav"))
    assert info.value.code == code
    assert session.scalar(select(func.count(Call.id))) == 0


def test_the_pipeline_transcribes_with_the_engine_it_is_given(session, settings, tone_wav) -> None:  # noqa: ANN001
    """No engine is looked up by name inside the pipeline: the caller (the job queue) hands it one."""
    from transcribe import pipeline

    first, second = FlakyEngine(0, text="Lampu jalan mati."), FlakyEngine(0, text="Lampu jalan di Kapas mati.")
    call, _ = accept_upload(session, settings, IncomingAudio(tone_wav, Channel.UPLOAD))
    transcript = pipeline.transcribe_call(session, settings, call, first)
    assert (transcript.engine, transcript.text, first.calls) == ("fake", "Lampu jalan mati.", 1)
    assert pipeline.transcribe_call(session, settings, call, second) is transcript and second.calls == 0
    session.commit()
    queue = JobQueue(settings, recognizer=second, immediate=True)
    assert queue.call_engine() is second


def test_pipeline_runs_immediately_into_a_draft(session, settings, db_engine, tone_wav, fake_engine) -> None:  # noqa: ANN001
    engine = fake_engine(failures=0)
    queue = JobQueue(settings, engine=db_engine, recognizer=engine, immediate=True)
    call, _ = accept_upload(session, settings, IncomingAudio(tone_wav, Channel.UPLOAD, caller_number="0812"))
    session.commit()
    queue.enqueue_call(call.id)
    session.expire_all()
    call = session.get(Call, call.id)
    assert call.status == "drafted" and call.error is None
    draft = session.scalars(select(Complaint).where(Complaint.call_id == call.id)).one()
    assert draft.status == "draft" and draft.reporter_phone == "0812" and "Jalan" in draft.description
    assert [h.to_status for h in session.scalars(select(StatusChange))] == ["draft"]
    queue.enqueue_call(call.id)  # a duplicated job changes nothing
    assert session.scalar(select(func.count(Complaint.id))) == 1


def test_draft_is_routed_over_the_recognizers_other_readings(session, settings, db_engine, tone_wav, fake_engine) -> None:  # noqa: ANN001
    heard, other = "Saya mau lapor pak, tolong dibantu ya.", "Saya mau lapor pak, sampah tolong dibantu ya."
    engine = fake_engine(failures=0, text=heard, alternatives=[other] * 3)
    queue = JobQueue(settings, engine=db_engine, recognizer=engine, immediate=True)
    call, _ = accept_upload(session, settings, IncomingAudio(tone_wav, Channel.UPLOAD))
    session.commit()
    queue.enqueue_call(call.id)
    session.expire_all()
    call = session.get(Call, call.id)
    assert call.transcript.alternatives == [other] * 3  # stored with the transcript
    draft = session.scalars(select(Complaint).where(Complaint.call_id == call.id)).one()
    # the description is the best reading's, without the announcing "saya mau lapor"
    assert draft.topic.key == "lingkungan" and draft.description.startswith("Tolong dibantu") and "sampah" not in draft.description
    # an operator's edit is what was said: the recognizer's readings no longer count
    from transcribe.drafting_job import build_draft

    call.transcript.edited_text = heard
    assert build_draft(session, settings, call, call.transcript).topic.key != "lingkungan"
    session.rollback()


def test_failed_job_is_retried_and_error_kept_meanwhile(session, settings, db_engine, tone_wav, fake_engine) -> None:  # noqa: ANN001
    engine = fake_engine(failures=1)
    queue = JobQueue(settings, engine=db_engine, recognizer=engine)
    call, _ = accept_upload(session, settings, IncomingAudio(tone_wav, Channel.UPLOAD))
    session.commit()
    seen_errors: list[str] = []
    queue.hooks.append(lambda event, call_id: seen_errors.append(event))
    queue.enqueue_call(call.id)
    consumer = queue.start_inprocess(workers=1)
    try:
        done = _wait_for(queue, call.id, {"drafted", "failed"})
    finally:
        consumer.stop(graceful=True)
    assert done.status == "drafted", done.error
    assert engine.calls == 2 and done.attempts == 2
    assert seen_errors == ["transcribed", "drafted"]


def test_job_that_keeps_failing_ends_failed_with_its_error(session, settings, db_engine, tone_wav, fake_engine) -> None:  # noqa: ANN001
    engine = fake_engine(failures=99)
    queue = JobQueue(settings, engine=db_engine, recognizer=engine)
    call, _ = accept_upload(session, settings, IncomingAudio(tone_wav, Channel.UPLOAD))
    session.commit()
    queue.enqueue_call(call.id)
    consumer = queue.start_inprocess(workers=1)
    try:
        failed = _wait_for(queue, call.id, {"failed"})
    finally:
        consumer.stop(graceful=True)
    assert "engine crashed (attempt 2)" in failed.error
    assert (settings.audio_dir / failed.audio_path).exists(), "the audio must survive a failed job"


def test_restart_loses_nothing(session, settings, db_engine, tone_wav, fake_engine) -> None:  # noqa: ANN001
    engine = fake_engine(failures=0)
    before = JobQueue(settings, engine=db_engine, recognizer=engine)
    call, _ = accept_upload(session, settings, IncomingAudio(tone_wav, Channel.UPLOAD))
    session.commit()
    before.enqueue_call(call.id)  # enqueued, then the process "dies" before any consumer ran
    before.huey.storage.close()
    after = JobQueue(settings, engine=db_engine, recognizer=engine)
    consumer = after.start_inprocess(workers=1)
    try:
        assert _wait_for(after, call.id, {"drafted"}).status == "drafted"
    finally:
        consumer.stop(graceful=True)


def test_recover_requeues_calls_whose_job_was_lost(session, settings, db_engine, tone_wav, fake_engine) -> None:  # noqa: ANN001
    engine = fake_engine(failures=0)
    queue = JobQueue(settings, engine=db_engine, recognizer=engine, immediate=True)
    call, _ = accept_upload(session, settings, IncomingAudio(tone_wav, Channel.UPLOAD))
    call.status = "transcribing"  # a worker took the job and was killed
    call.received_at = utcnow() - timedelta(hours=1)
    fresh, _ = receive_call(session, settings, IncomingAudio(tone_wav + b"\0\0", Channel.PHONE, external_id="CA-new"))
    session.commit()
    assert queue.recover() == [call.id]  # the fresh call is still in its first job's hands
    session.expire_all()
    assert session.get(Call, call.id).status == "drafted"
    assert session.get(Call, fresh.id).status == "received"


def test_hourly_auto_close_job_closes_unanswered_follow_ups(session, settings, db_engine, users) -> None:  # noqa: ANN001
    from models import lifecycle as lc
    from models.entities import Agency, User

    operator, liaison = session.get(User, users["operator"]), session.get(User, users["liaison_pu"])
    agency = session.scalars(select(Agency).where(Agency.key == "dpubmpr")).one()
    complaint = Complaint(status="draft", title="Lampu jalan mati", description="Lampu jalan mati sejak seminggu.")
    session.add(complaint)
    session.flush()
    start = utcnow() - timedelta(days=40)
    lc.confirm_draft(session, complaint, operator, settings, now=start)
    lc.verify(session, complaint, operator, now=start)
    lc.disposition(session, complaint, agency, operator, "Mohon dicek", settings=settings, now=start)
    lc.record_follow_up(session, complaint, "Lampu sudah diganti.", liaison, settings=settings, now=start + timedelta(days=1))
    session.commit()
    queue = JobQueue(settings, engine=db_engine, immediate=True)
    assert queue.auto_close() == [complaint.id]
    session.expire_all()
    assert session.get(Complaint, complaint.id).status == "selesai"
    assert queue.auto_close() == []


def test_second_call_about_the_same_problem_is_linked_as_likely_duplicate(session, settings, db_engine, tone_wav) -> None:  # noqa: ANN001
    engine = FlakyEngine(failures=0)
    queue = JobQueue(settings, engine=db_engine, recognizer=engine, immediate=True)
    ids = []
    for n, said in enumerate([
        "Jalan di desa Ngumpakdalem kecamatan Dander rusak parah dan berlubang, mohon diperbaiki.",
        "Saya mau melapor jalan rusak berlubang di desa Ngumpakdalem Dander, tolong segera diperbaiki.",
        "Lampu penerangan jalan di Kalitidu mati sudah seminggu.",
    ]):
        engine.text = said
        call, _ = receive_call(session, settings, IncomingAudio(tone_wav, Channel.PHONE, external_id=f"CA-dup-{n}"))
        session.commit()
        queue.enqueue_call(call.id)
        ids.append(session.scalars(select(Complaint.id).where(Complaint.call_id == call.id)).one())
    first, second, other = (session.get(Complaint, i) for i in ids)
    session.refresh(second)
    session.refresh(other)
    assert first.place.name == "Ngumpakdalem" and first.topic.key == "jalan"
    from transcribe.drafting.suggestions import DraftSuggestions

    duplicates = DraftSuggestions.from_json(second.suggestions).duplicates
    assert [d.id for d in duplicates] == [first.id] and duplicates[0].score >= 0.6
    assert duplicates[0].title == first.title and duplicates[0].status == "draft"
    assert DraftSuggestions.from_json(other.suggestions).duplicates == ()


@pytest.mark.parametrize(("second_show", "linked"), [(7, True), (8, False)], ids=["same-show", "other-show"])
def test_a_caller_heard_twice_in_one_radio_show_is_linked_as_duplicate(session, settings, db_engine, tone_wav,
                                                                       second_show, linked) -> None:  # noqa: ANN001
    """No place was said, so the phone rule (same place) cannot link them; within one show the same words do."""
    engine = FlakyEngine(failures=0, text="Saya mau tanya syarat mendaftar BPJS Kesehatan untuk masyarakat umum apa saja.")
    queue = JobQueue(settings, engine=db_engine, recognizer=engine, immediate=True)
    ids = []
    for n, show_id in enumerate([7, second_show]):
        call, _ = receive_call(session, settings, IncomingAudio(tone_wav, Channel.RADIO, external_id=f"show-{show_id}/seg-{n + 1}",
                                                                meta={"show_id": show_id, "segment": n + 1}))
        session.commit()
        queue.enqueue_call(call.id)
        ids.append(session.scalars(select(Complaint.id).where(Complaint.call_id == call.id)).one())
    first, second = (session.get(Complaint, i) for i in ids)
    session.refresh(second)
    assert [d["id"] for d in second.suggestions["duplicates"]] == ([first.id] if linked else [])


def test_nightly_jobs_and_their_commands_run(session, settings, db_engine, monkeypatch) -> None:  # noqa: ANN001
    from click.testing import CliRunner

    from web.cli import main

    queue = JobQueue(settings, engine=db_engine, immediate=True)
    queue.recluster()  # an empty regency regroups without error
    monkeypatch.setenv("SUARA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SUARA_DATABASE_URL", settings.database_url)
    assert "complaints=0" in CliRunner().invoke(main, ["recluster"]).output
    assert CliRunner().invoke(main, ["rebuild-stats"]).exit_code == 0
