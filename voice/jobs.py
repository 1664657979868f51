"""Jobs of the voice side, added to the app's queue (transcribe/ cannot import voice/)."""

from __future__ import annotations

from models.config import Settings
from transcribe.jobs import JobQueue
from voice.twilio_client import Backoff, TwilioClient, fetch_recording


def register_voice_jobs(jobs: JobQueue) -> None:
    """Add `fetch_recording_task` to the queue; the web app and `suara worker` both call this."""
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
