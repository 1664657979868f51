"""Jobs of the voice side, added to the app's queue (transcribe/ cannot import voice/)."""

from __future__ import annotations

from sqlalchemy import select

from models.audit import AuditEntry, audit
from models.config import Settings
from models.entities import Complaint
from transcribe.jobs import JobQueue
from voice.twilio_client import Backoff, TwilioClient, fetch_recording, send_reference_sms, sms_configured

SMS_SENT = "sms.reference"


def register_voice_jobs(jobs: JobQueue) -> None:
    """Add the voice tasks to the queue; the web app and `suara worker` both call this."""
    settings: Settings = jobs.settings

    def fetch_recording_job(call_sid: str, recording_sid: str, duration_s: float | None) -> None:
        backoff = Backoff(first_s=float(settings.extra.get("twilio_retry_first_s", 1.0)))
        client = TwilioClient(settings, backoff=backoff)
        try:
            fetch_recording(settings, jobs.sessions, jobs.enqueue_call, call_sid, recording_sid, duration_s, client)
        finally:
            client.close()

    jobs.fetch_recording_task = jobs.huey.task(  # type: ignore[attr-defined]
        name="fetch_recording", retries=settings.job_retries, retry_delay=settings.job_retry_delay_s
    )(fetch_recording_job)

    def sms_reference_job(complaint_id: int) -> None:
        """SMS the reporter their complaint's reference, once (a retried job does not send twice)."""
        if not sms_configured(settings):
            return
        with jobs.sessions() as session:
            complaint = session.get(Complaint, complaint_id)
            if complaint is None or not complaint.reference:
                return
            already = session.scalars(
                select(AuditEntry.id).where(
                    AuditEntry.action == SMS_SENT, AuditEntry.object_type == "complaint", AuditEntry.object_id == complaint.id
                )
            ).first()
            to = complaint.reporter_phone or (complaint.call.caller_number if complaint.call else None)
            if already is not None or not to:
                return
            sid = send_reference_sms(settings, to, complaint.reference)
            audit(session, None, SMS_SENT, complaint, sid=sid)
            session.commit()

    jobs.sms_reference_task = jobs.huey.task(  # type: ignore[attr-defined]
        name="sms_reference", retries=settings.job_retries, retry_delay=settings.job_retry_delay_s
    )(sms_reference_job)
