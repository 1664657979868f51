"""The WhatsApp jobs: a message's processing (download, store, draft), a reply's sending, and their recovery.

Each job makes one try and schedules the next itself (the schedule is also on the row, so the recovery job, every
5 minutes, drives a download or a reply whose job was lost with a worker).
"""

from __future__ import annotations

import logging
from datetime import datetime

import enum
from dataclasses import dataclass

from models.entities import Call, Channel, Complaint
from transcribe.jobs import Job, JobQueue
from voice import whatsapp

log = logging.getLogger(__name__)


class WhatsAppJob(enum.StrEnum):
    """The WhatsApp jobs (the huey task names)."""

    MESSAGE = "whatsapp_message"
    REPLY = "whatsapp_reply"
    NOTIFY = "whatsapp_notify"


@dataclass(frozen=True)
class WhatsAppJobs:
    """The WhatsApp jobs of one queue, as `register_whatsapp_jobs` added them."""

    message: Job
    """(message_id): download, store and draft one received message; one try, the next scheduled."""
    reply: Job
    """(reply_id): send one reply; one try, the next scheduled."""
    notify: Job
    """(complaint_id): after an operator's step, the reference (confirmed) or the rating question (closed)."""


def whatsapp_jobs(jobs: JobQueue) -> WhatsAppJobs:
    """The WhatsApp jobs registered on this queue (UnknownJob when `register_whatsapp_jobs` was not called)."""
    registry = jobs.registry
    return WhatsAppJobs(registry[WhatsAppJob.MESSAGE], registry[WhatsAppJob.REPLY], registry[WhatsAppJob.NOTIFY])


def register_whatsapp_jobs(jobs: JobQueue) -> WhatsAppJobs:
    """Add the WhatsApp jobs and hooks to the queue (the web app and `suara worker` both call this)."""
    registry = jobs.registry

    def message_job(message_id: int) -> None:
        step = whatsapp.process(jobs.settings, jobs.sessions, message_id)
        if step.retry_in_s is not None:
            registry[WhatsAppJob.MESSAGE].later(step.retry_in_s, message_id)
        if step.transcribe is not None:
            jobs.enqueue_call(step.transcribe)
        if step.drafted is not None:
            jobs._emit("drafted", step.drafted)
        for reply_id in step.replies:
            registry[WhatsAppJob.REPLY](reply_id)

    registry.task(WhatsAppJob.MESSAGE, message_job, retries=jobs.settings.job_retries,
                  retry_delay_s=jobs.settings.job_retry_delay_s)

    def reply_job(reply_id: int) -> None:
        retry_in_s = whatsapp.send_once(jobs.settings, jobs.sessions, reply_id)
        if retry_in_s is not None:
            registry[WhatsAppJob.REPLY].later(retry_in_s, reply_id)

    registry.task(WhatsAppJob.REPLY, reply_job)

    def notify_job(complaint_id: int) -> None:
        """After an operator's step: the reference (confirmed) or the rating question (closed), once each."""
        with jobs.sessions() as session:
            complaint = session.get(Complaint, complaint_id)
            replies = whatsapp.notify(session, complaint) if complaint is not None else []
            session.commit()
        for reply_id in replies:
            reply_job(reply_id)

    registry.task(WhatsAppJob.NOTIFY, notify_job)

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
            registry[WhatsAppJob.MESSAGE](message_id)
        for reply_id in found.replies:
            registry[WhatsAppJob.REPLY](reply_id)
        return []

    jobs.recoverers.append(recover)
    return whatsapp_jobs(jobs)
