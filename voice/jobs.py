"""Jobs of the voice side, added to the app's queue (transcribe/ cannot import voice/)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from models.audit import AuditEntry, audit
from models.base import utcnow
from models.entities import Call, CallStatus, Complaint
from models.phone import mask
from transcribe import pipeline
from transcribe.jobs import JobQueue
from voice import recordings
from voice.twilio_client import Backoff, TwilioError, TwilioNotReady, send_reference_sms, sms_configured

log = logging.getLogger(__name__)

SMS_SENT = "sms.reference"
SMS_FAILED = "sms.reference_failed"
SMS_BACKOFF = Backoff(attempts=6, first_s=60.0, max_s=3600.0)
"""An SMS the provider could not take is tried again 1, 2, 4, 8 and 16 minutes later."""


def register_voice_jobs(jobs: JobQueue) -> None:
    """Add the voice tasks to the queue; the web app and `suara worker` both call this. The tasks read
    `jobs.settings` when they run."""

    def after_download(attempt: recordings.Attempt, call_sid: str, recording_sid: str) -> None:
        if attempt.retry_in_s is not None:
            jobs.fetch_recording_task.schedule(args=(call_sid, recording_sid), delay=attempt.retry_in_s)  # type: ignore[attr-defined]
        elif attempt.replaced_stream and attempt.call_id is not None:
            jobs.better_audio_task(attempt.call_id)  # type: ignore[attr-defined]
        elif attempt.call_id is not None:
            jobs.enqueue_call(attempt.call_id)

    def fetch_recording_job(call_sid: str, recording_sid: str, duration_s: float | None = None) -> None:
        """One try; the next is scheduled, and also written to the call for the recovery job."""
        after_download(recordings.fetch_once(jobs.settings, jobs.sessions, call_sid, recording_sid), call_sid, recording_sid)

    jobs.fetch_recording_task = jobs.huey.task(  # type: ignore[attr-defined]
        name="fetch_recording", retries=jobs.settings.job_retries, retry_delay=jobs.settings.job_retry_delay_s
    )(fetch_recording_job)

    def better_audio_job(call_id: int) -> None:
        """The recording replaced the stream's audio: transcribe it, and redraft a draft nobody confirmed yet."""
        with jobs.sessions() as session:
            call = session.get(Call, call_id)
            if call is None:
                return
            pipeline.transcribe_call(session, jobs.settings, call, engine_name=jobs.settings.engine)
            existing = call.draft
            if existing is None or existing.status == "draft":
                if call.transcript is not None and not pipeline.has_speech(call.transcript):
                    call.status = CallStatus.NO_SPEECH.value
                    session.commit()
                    return
            pipeline.redraft_call(session, jobs.settings, call)
            session.commit()
        jobs._emit("drafted", call_id)

    jobs.better_audio_task = jobs.huey.task(  # type: ignore[attr-defined]
        name="better_audio", retries=jobs.settings.job_retries, retry_delay=jobs.settings.job_retry_delay_s
    )(better_audio_job)

    def recover_recordings(now: datetime) -> list[int]:
        found = recordings.recover(jobs.settings, jobs.sessions, now)
        for call_sid, recording_sid in found.redrive:
            log.info("recording %s of call %s: its download job was lost; driven again", recording_sid, call_sid)
            jobs.fetch_recording_task(call_sid, recording_sid)  # type: ignore[attr-defined]
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
            to = complaint.reporter_phone or (complaint.call.caller_number if complaint.call else None)
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
                    jobs.sms_reference_task.schedule(args=(complaint_id, attempt + 1), delay=retry_in_s)  # type: ignore[attr-defined]
                return
            audit(session, None, SMS_SENT, complaint, sid=sid, attempt=attempt)
            session.commit()

    jobs.sms_reference_task = jobs.huey.task(name="sms_reference")(sms_reference_job)  # type: ignore[attr-defined]

    from voice.whatsapp_jobs import register_whatsapp_jobs

    register_whatsapp_jobs(jobs)


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
