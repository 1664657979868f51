"""Jobs of the voice side, added to the app's queue (transcribe/ cannot import voice/)."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from models.audit import AuditEntry, audit
from models.base import utcnow
from models.entities import Call, CallStatus, Complaint
from models.lifecycle import Status
from models.phone import mask, sms_number
from transcribe import pipeline
from transcribe.jobs import Job, JobQueue
from voice import recordings
from voice.twilio_client import Backoff, TwilioError, TwilioNotReady, send_reference_sms, sms_configured

log = logging.getLogger(__name__)

SMS_SENT = "sms.reference"
SMS_FAILED = "sms.reference_failed"
SMS_BACKOFF = Backoff(attempts=6, first_s=60.0, max_s=3600.0)
"""An SMS the provider could not take is tried again 1, 2, 4, 8 and 16 minutes later."""


class VoiceJob(enum.StrEnum):
    """The jobs of the voice side (the huey task names)."""

    FETCH_RECORDING = "fetch_recording"
    BETTER_AUDIO = "better_audio"
    SMS_REFERENCE = "sms_reference"


@dataclass(frozen=True)
class VoiceJobs:
    """The voice jobs of one queue, as `register_voice_jobs` added them."""

    fetch_recording: Job
    """(call_sid, recording_sid, duration_s=None): download a provider's recording, retried on a schedule."""
    better_audio: Job
    """(call_id): the recording replaced the stream's audio; transcribe it again and redraft."""
    sms_reference: Job
    """(complaint_id): SMS the reporter their complaint's reference, once."""


def voice_jobs(jobs: JobQueue) -> VoiceJobs:
    """The voice jobs registered on this queue (UnknownJob when `register_voice_jobs` was not called)."""
    registry = jobs.registry
    return VoiceJobs(registry[VoiceJob.FETCH_RECORDING], registry[VoiceJob.BETTER_AUDIO], registry[VoiceJob.SMS_REFERENCE])


def register_voice_jobs(jobs: JobQueue) -> VoiceJobs:
    """Add the voice jobs to the queue; the web app and `suara worker` both call this. The jobs read
    `jobs.settings` when they run."""
    registry = jobs.registry

    def after_download(attempt: recordings.Attempt, call_sid: str, recording_sid: str) -> None:
        if attempt.retry_in_s is not None:
            registry[VoiceJob.FETCH_RECORDING].later(attempt.retry_in_s, call_sid, recording_sid)
        elif attempt.replaced_stream and attempt.call_id is not None:
            registry[VoiceJob.BETTER_AUDIO](attempt.call_id)
        elif attempt.call_id is not None:
            jobs.enqueue_call(attempt.call_id)

    def fetch_recording_job(call_sid: str, recording_sid: str, duration_s: float | None = None) -> None:
        """One try; the next is scheduled, and also written to the call for the recovery job."""
        after_download(recordings.fetch_once(jobs.settings, jobs.sessions, call_sid, recording_sid), call_sid, recording_sid)

    retry = dict(retries=jobs.settings.job_retries, retry_delay_s=jobs.settings.job_retry_delay_s)
    registry.task(VoiceJob.FETCH_RECORDING, fetch_recording_job, **retry)

    def better_audio_job(call_id: int) -> None:
        """The recording replaced the stream's audio: transcribe it, and redraft a draft nobody confirmed yet."""
        with jobs.sessions() as session:
            call = session.get(Call, call_id)
            if call is None:
                return
            pipeline.transcribe_call(session, jobs.settings, call, jobs.call_engine(), again=True)
            existing = call.draft
            if existing is None or existing.status == Status.DRAFT:
                if call.transcript is not None and not pipeline.has_speech(call.transcript):
                    call.status = CallStatus.NO_SPEECH.value
                    session.commit()
                    return
            pipeline.redraft_call(session, jobs.settings, call)
            session.commit()
        jobs._emit("drafted", call_id)

    registry.task(VoiceJob.BETTER_AUDIO, better_audio_job, **retry)

    def recover_recordings(now: datetime) -> list[int]:
        found = recordings.recover(jobs.settings, jobs.sessions, now)
        for call_sid, recording_sid in found.redrive:
            log.info("recording %s of call %s: its download job was lost; driven again", recording_sid, call_sid)
            registry[VoiceJob.FETCH_RECORDING](call_sid, recording_sid)
        for call_id in found.transcribe:
            jobs.enqueue_call(call_id)
        return found.transcribe

    jobs.recoverers.append(recover_recordings)

    def sms_reference_job(complaint_id: int, attempt: int = 1) -> None:
        """SMS the reporter their complaint's reference, once (a retried job does not send twice); a failure
        is kept on the complaint and tried again later."""
        settings = jobs.settings
        if not sms_configured(settings):
            return
        with jobs.sessions() as session:
            complaint = session.get(Complaint, complaint_id)
            if complaint is None or not complaint.reference:
                return
            to = sms_number(complaint)
            if sms_sent(session, complaint) or not to:
                return
            try:
                sid = send_reference_sms(settings, to, complaint.reference)
            except TwilioError as exc:
                retry_in_s = SMS_BACKOFF.delay_after(attempt) if isinstance(exc, TwilioNotReady) else None
                next_at = utcnow() + timedelta(seconds=retry_in_s) if retry_in_s is not None else None
                audit(session, None, SMS_FAILED, complaint, attempt=attempt, error=str(exc)[:500], to=mask(to),
                      next_at=next_at.isoformat() if next_at else None)
                session.commit()
                log.warning("reference SMS for complaint %s failed (try %d): %s", complaint_id, attempt, exc)
                if retry_in_s is not None:
                    registry[VoiceJob.SMS_REFERENCE].later(retry_in_s, complaint_id, attempt + 1)
                return
            audit(session, None, SMS_SENT, complaint, sid=sid, attempt=attempt)
            session.commit()

    registry.task(VoiceJob.SMS_REFERENCE, sms_reference_job)

    from voice.whatsapp_jobs import register_whatsapp_jobs

    register_whatsapp_jobs(jobs)
    return voice_jobs(jobs)


def sms_sent(session, complaint: Complaint) -> bool:  # noqa: ANN001
    return session.scalars(select(AuditEntry.id).where(
        AuditEntry.action == SMS_SENT, AuditEntry.object_type == "complaint", AuditEntry.object_id == complaint.id
    )).first() is not None


def sms_status(session, complaint: Complaint) -> AuditEntry | None:  # noqa: ANN001
    """The last word on the complaint's reference SMS: sent, or the last failure (for the complaint page)."""
    return session.scalars(select(AuditEntry).where(
        AuditEntry.action.in_([SMS_SENT, SMS_FAILED]), AuditEntry.object_type == "complaint",
        AuditEntry.object_id == complaint.id,
    ).order_by(AuditEntry.id.desc())).first()
