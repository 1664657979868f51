"""The job registry: every job has a name and a function, registered once; callers look jobs up, typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from transcribe.jobs import JobName, JobQueue, UnknownJob
from voice.jobs import VoiceJob, register_voice_jobs, voice_jobs
from voice.whatsapp_jobs import WhatsAppJob

ROOT = Path(__file__).resolve().parent.parent


def test_every_job_is_registered_by_name(settings, db_engine):
    queue = JobQueue(settings, engine=db_engine, immediate=True)
    assert queue.registry.names() == sorted(JobName)
    jobs = register_voice_jobs(queue)
    assert queue.registry.names() == sorted([*JobName, *VoiceJob, *WhatsAppJob])
    assert jobs.sms_reference is queue.registry[VoiceJob.SMS_REFERENCE] and jobs == voice_jobs(queue)
    assert jobs.fetch_recording.name == "fetch_recording"  # the huey task name, as queued work names it


def test_a_job_nobody_registered_is_a_clear_error(settings, db_engine):
    """A process that forgot `register_voice_jobs` fails at the lookup, naming what is missing."""
    queue = JobQueue(settings, engine=db_engine, immediate=True)
    with pytest.raises(UnknownJob, match="register_voice_jobs"):
        voice_jobs(queue)
    register_voice_jobs(queue)
    with pytest.raises(ValueError, match="registered twice"):
        register_voice_jobs(queue)


def test_a_job_runs_later_on_schedule(settings, db_engine):
    queue = JobQueue(settings, engine=db_engine)
    register_voice_jobs(queue).sms_reference.later(60, 12345)
    (task,) = queue.huey.pending()
    assert (task.name, task.args) == ("sms_reference", (12345,)) and task.eta is not None


@pytest.mark.parametrize("path", ["voice/jobs.py", "transcribe/jobs.py"])
def test_no_job_is_attached_by_setting_attributes(path):
    """Jobs used to be attributes set on the queue at run time (`jobs.x_task = ...  # type: ignore`)."""
    assert "attr-defined" not in (ROOT / path).read_text(encoding="utf-8")
