"""The WhatsApp jobs: a message's processing (download, store, draft), a reply's sending, and their recovery.

Each job makes one try and schedules the next itself (the schedule is also on the row, so the recovery job, every
5 minutes, drives a download or a reply whose job was lost with a worker).
"""

from __future__ import annotations

import logging
from datetime import datetime

from models.entities import Call, Channel, Complaint
from transcribe.jobs import JobQueue
from voice import whatsapp

log = logging.getLogger(__name__)


def register_whatsapp_jobs(jobs: JobQueue) -> None:
    """Add the WhatsApp tasks and hooks to the queue (the web app and `suara worker` both call this)."""

    def message_job(message_id: int) -> None:
        step = whatsapp.process(jobs.settings, jobs.sessions, message_id)
        if step.retry_in_s is not None:
            jobs.whatsapp_message_task.schedule(args=(message_id,), delay=step.retry_in_s)  # type: ignore[attr-defined]
        if step.transcribe is not None:
            jobs.enqueue_call(step.transcribe)
        if step.drafted is not None:
            jobs._emit("drafted", step.drafted)
        for reply_id in step.replies:
            jobs.whatsapp_reply_task(reply_id)  # type: ignore[attr-defined]

    jobs.whatsapp_message_task = jobs.huey.task(  # type: ignore[attr-defined]
        name="whatsapp_message", retries=jobs.settings.job_retries, retry_delay=jobs.settings.job_retry_delay_s
    )(message_job)

    def reply_job(reply_id: int) -> None:
        retry_in_s = whatsapp.send_once(jobs.settings, jobs.sessions, reply_id)
        if retry_in_s is not None:
            jobs.whatsapp_reply_task.schedule(args=(reply_id,), delay=retry_in_s)  # type: ignore[attr-defined]

    jobs.whatsapp_reply_task = jobs.huey.task(name="whatsapp_reply")(reply_job)  # type: ignore[attr-defined]

    def notify_job(complaint_id: int) -> None:
        """After an operator's step: the reference (confirmed) or the rating question (closed), once each."""
        with jobs.sessions() as session:
            complaint = session.get(Complaint, complaint_id)
            replies = whatsapp.notify(session, complaint) if complaint is not None else []
            session.commit()
        for reply_id in replies:
            reply_job(reply_id)

    jobs.whatsapp_notify_task = jobs.huey.task(name="whatsapp_notify")(notify_job)  # type: ignore[attr-defined]

    def after_transcription(event: str, call_id: int) -> None:
        """A conversation's voice notes were drafted (or failed, or held no speech): its draft takes in all it holds
        (texts and captions, and a voice note joined after the draft was made)."""
        if event not in ("drafted", "failed"):
            return
        with jobs.sessions() as session:
            call = session.get(Call, call_id)
            if call is None or call.channel != Channel.WHATSAPP.value:
                return
            whatsapp.draft_conversation(session, jobs.settings, call)
            session.commit()

    jobs.hooks.append(after_transcription)

    def recover(now: datetime) -> list[int]:
        found = whatsapp.overdue(jobs.settings, jobs.sessions, now)
        for message_id in found.messages:
            log.info("WhatsApp message %s: its job was lost or is overdue; driven again", message_id)
            jobs.whatsapp_message_task(message_id)  # type: ignore[attr-defined]
        for reply_id in found.replies:
            jobs.whatsapp_reply_task(reply_id)  # type: ignore[attr-defined]
        return []

    jobs.recoverers.append(recover)
