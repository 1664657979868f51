"""The job queue (huey): every step after the audio is stored runs as a retryable job.

SQLite storage and an in-process consumer by default; Redis storage and separate `suara worker`
processes when SUARA_REDIS_URL is set. Tasks are registered on a queue object built from the
settings, never at import time.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import Task
from huey.consumer import Consumer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.config import Settings
from models.db import make_engine, session_factory
from models.entities import Call, CallStatus
from transcribe import pipeline

log = logging.getLogger(__name__)

STUCK_AFTER = timedelta(minutes=15)
"""A call left in received/transcribing this long (a worker died mid-job) is enqueued again."""


class InProcessConsumer(Consumer):
    """A huey consumer that runs inside the web process: the host process owns the signals."""

    def _set_signal_handlers(self) -> None:
        pass


class JobQueue:
    """The app's jobs bound to one huey instance and one database."""

    def __init__(self, settings: Settings, engine: Engine | None = None, immediate: bool = False) -> None:
        self.settings = settings
        self.db = engine or make_engine(settings.database_url)
        self.sessions = session_factory(self.db)
        self.huey: Huey = self._make_huey(settings, immediate)
        retry = dict(retries=settings.job_retries, retry_delay=settings.job_retry_delay_s, context=True)
        self.transcribe_task = self.huey.task(name="transcribe_call", **retry)(self._run_transcribe)
        self.draft_task = self.huey.task(name="draft_call", **retry)(self._run_draft)
        self.recover_task = self.huey.periodic_task(crontab(minute="*/5"), name="recover_calls")(self.recover)
        self.auto_close_task = self.huey.periodic_task(crontab(minute="7"), name="auto_close")(self.auto_close)
        # 19:15 UTC is 02:15 WIB, when nobody is confirming drafts.
        self.recluster_task = self.huey.periodic_task(crontab(hour="19", minute="15"), name="recluster_issues")(
            self.recluster
        )
        # 20:30 UTC is 03:30 WIB, after the issues are regrouped
        self.learn_task = self.huey.periodic_task(crontab(hour="20", minute="30"), name="learn_router")(self.learn)
        self.hooks: list[Callable[[str, int], None]] = []
        """Called with (event, call_id) after a step finishes: 'transcribed', 'drafted', 'failed'."""
        self.recoverers: list[Callable[[datetime], list[int]]] = []
        """Called by `recover` with the time: other packages' lost work (recording downloads); return call ids."""

    @staticmethod
    def _make_huey(settings: Settings, immediate: bool) -> Huey:
        if settings.redis_url:
            return RedisHuey("suara", url=settings.redis_url, immediate=immediate)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("suara", filename=str(settings.jobs_path), immediate=immediate)

    # -- enqueueing -------------------------------------------------------------------------
    def enqueue_call(self, call_id: int) -> None:
        """Start the pipeline for a stored call: transcription, then drafting."""
        self.transcribe_task(call_id)

    def enqueue_draft(self, call_id: int) -> None:
        self.draft_task(call_id)

    # -- task bodies ------------------------------------------------------------------------
    def _run_transcribe(self, call_id: int, task: Task | None = None) -> None:
        with self.sessions() as session:
            call = session.get(Call, call_id)
            if call is None:
                log.warning("transcribe: call %s does not exist", call_id)
                return
            if call.transcript is None and call.status != CallStatus.SILENT.value:
                call.status = CallStatus.TRANSCRIBING.value
                call.attempts += 1
                session.commit()
                self._guarded(session, call, task, lambda: pipeline.transcribe_call(session, self.settings, call))
                self._emit("transcribed", call_id)
            if call.status == CallStatus.SILENT.value:
                return  # nothing to draft from
        self.draft_task(call_id)

    def _run_draft(self, call_id: int, task: Task | None = None) -> None:
        with self.sessions() as session:
            call = session.get(Call, call_id)
            if call is None:
                return
            self._guarded(session, call, task, lambda: pipeline.draft_call(session, self.settings, call))
        self._emit("drafted", call_id)

    def _guarded(self, session: Session, call: Call, task: Task | None, step: Callable[[], object]) -> None:
        """Run a step and commit; on failure keep the error on the call and let huey retry."""
        try:
            step()
            session.commit()
        except Exception as exc:
            session.rollback()
            final = task is None or not task.retries
            call.error = f"{type(exc).__name__}: {exc}"[:2000]
            if final:
                call.status = CallStatus.FAILED.value
            session.commit()
            log.warning("call %s: step failed (%s)%s", call.id, call.error, "" if final else ", will retry")
            if final:
                self._emit("failed", call.id)
            raise

    def _emit(self, event: str, call_id: int) -> None:
        for hook in list(self.hooks):
            try:
                hook(event, call_id)
            except Exception:  # a listener's failure must not fail the job
                log.exception("job hook failed for %s %s", event, call_id)

    def recover(self, now=None) -> list[int]:  # noqa: ANN001 - huey passes nothing
        """Enqueue again the calls whose job was lost (worker killed mid-job); returns their ids."""
        cutoff = (now or utcnow()) - STUCK_AFTER
        with self.sessions() as session:
            stuck = session.scalars(
                select(Call.id).where(
                    Call.status.in_([CallStatus.RECEIVED.value, CallStatus.TRANSCRIBING.value, CallStatus.TRANSCRIBED.value]),
                    Call.received_at < cutoff,
                    Call.attempts <= self.settings.job_retries,
                )
            ).all()
        for call_id in stuck:
            self.enqueue_call(call_id)
        if stuck:
            log.info("re-enqueued %d calls whose jobs were lost", len(stuck))
        recovered = list(stuck)
        for recoverer in self.recoverers:
            recovered += recoverer(now or utcnow())
        return recovered

    def auto_close(self, now=None) -> list[int]:  # noqa: ANN001 - huey passes nothing
        """Close answered complaints whose reporter did not respond in time (hourly); returns their ids."""
        from models.calendar import WorkingCalendar
        from models.lifecycle import auto_close_due

        with self.sessions() as session:
            closed = auto_close_due(session, now or utcnow(), WorkingCalendar.load(session), self.settings)
            session.commit()
            return [c.id for c in closed]

    def recluster(self) -> None:
        """Regroup every complaint into priority issues (nightly; new complaints join issues as they come)."""
        from models.issues import recluster

        with self.sessions() as session:
            result = recluster(session)
            session.commit()
        log.info("priority issues regrouped: %s", result)

    def learn(self) -> None:
        """Retrain the router on the confirmed complaints, switching only when not worse (nightly; `suara learn`)."""
        from transcribe.learn_job import run_learn

        with self.sessions() as session:
            result = run_learn(session, self.settings.data_dir)
        log.info("learning: %d confirmed complaints, %s, %d new misheard place names", result.complaints,
                 result.outcome.reason if result.outcome else "not retrained", len(result.aliases))

    # -- consumers --------------------------------------------------------------------------
    def start_inprocess(self, workers: int | None = None, periodic: bool = True) -> InProcessConsumer:
        """Run the consumer in threads of this process (the embedded default); `periodic=False` leaves
        the periodic tasks to the server (a short-lived command)."""
        consumer = InProcessConsumer(
            self.huey, workers=workers or self.settings.inprocess_workers, worker_type="thread",
            periodic=periodic, check_worker_health=False, shutdown_timeout=10,
        )
        consumer.start()
        return consumer

    def run_worker(self, workers: int) -> None:
        """Run a standalone consumer until interrupted (`suara worker`)."""
        self.huey.create_consumer(workers=workers, worker_type="thread", periodic=True).run()
