"""The job queue (huey): every step after the audio is stored runs as a retryable job.

SQLite storage and an in-process consumer by default; Redis storage and separate `suara worker`
processes when SUARA_REDIS_URL is set. Tasks are registered on a queue object built from the
settings, never at import time.
"""

from __future__ import annotations

import logging
import threading
import time
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
from transcribe.leases import NoLeases, RedisLeases

log = logging.getLogger(__name__)

STUCK_AFTER = timedelta(minutes=15)
"""Without Redis: a call left in received/transcribing this long (a worker died mid-job) is enqueued again."""
RECOVER_EVERY_S = 5.0
"""With Redis, each `suara worker` looks this often for calls no job will move on (see transcribe/leases.py)."""
ACTIVE = (CallStatus.RECEIVED.value, CallStatus.TRANSCRIBING.value, CallStatus.TRANSCRIBED.value)


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
        self.leases = RedisLeases(self.huey.storage.conn) if settings.redis_url and not immediate else NoLeases()
        retry = dict(retries=settings.job_retries, retry_delay=settings.job_retry_delay_s, context=True)
        self.transcribe_task = self.huey.task(name="transcribe_call", **retry)(self._run_transcribe)
        self.draft_task = self.huey.task(name="draft_call", **retry)(self._run_draft)
        self.recover_task = self.huey.periodic_task(crontab(minute="*/5"), name="recover_calls")(self.recover)
        self.auto_close_task = self.huey.periodic_task(crontab(minute="7"), name="auto_close")(self.auto_close)
        # 19:15 UTC is 02:15 WIB, when nobody is confirming drafts.
        self.recluster_task = self.huey.periodic_task(crontab(hour="19", minute="15"), name="recluster_issues")(
            self.recluster
        )
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
        """Start the pipeline for a stored call: transcription, then drafting. A call already queued or
        running is not queued again."""
        if not self.leases.try_queue(call_id):
            log.info("call %s is queued or running already", call_id)
            return
        try:
            self.transcribe_task(call_id)
        except Exception:
            self.leases.forget(call_id)
            raise

    def enqueue_draft(self, call_id: int) -> None:
        self.draft_task(call_id)

    # -- task bodies ------------------------------------------------------------------------
    def _run_transcribe(self, call_id: int, task: Task | None = None) -> None:
        with self.leases.hold(call_id) as mine:
            if not mine:
                return
            draft_next = self._transcribe(call_id, task)
            if draft_next:
                self.leases.requeue_held(call_id)
        if draft_next:  # once the marker says queued: a worker taking the draft at once must not see it running here
            self.draft_task(call_id)

    def _transcribe(self, call_id: int, task: Task | None) -> bool:
        """Transcribe unless done; True when the call is to be drafted."""
        with self.sessions() as session:
            call = session.get(Call, call_id)
            if call is None:
                log.warning("transcribe: call %s does not exist", call_id)
                return False
            if call.transcript is None and call.status != CallStatus.SILENT.value:
                call.status = CallStatus.TRANSCRIBING.value
                call.attempts += 1
                session.commit()
                self._guarded(session, call, task, lambda: pipeline.transcribe_call(session, self.settings, call))
                self._emit("transcribed", call_id)
            return call.status != CallStatus.SILENT.value  # nothing to draft from silence

    def _run_draft(self, call_id: int, task: Task | None = None) -> None:
        with self.leases.hold(call_id) as mine:
            if not mine:
                return
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
        """Enqueue again the calls whose job was lost (worker killed mid-job, queue lost); returns their ids.

        With Redis a call is lost as soon as no marker says it is queued or running; without, once it has
        waited STUCK_AFTER."""
        now = now or utcnow()
        query = select(Call.id).where(Call.status.in_(ACTIVE), Call.attempts <= self.settings.job_retries)
        if not self.leases.exact:
            query = query.where(Call.received_at < now - STUCK_AFTER)
        with self.sessions() as session:
            candidates = session.scalars(query.order_by(Call.id)).all()
        if self.leases.exact:
            active = self.leases.active(candidates)
            candidates = [c for c in candidates if c not in active]
        recovered = []
        for call_id in candidates:
            if self.leases.try_queue(call_id):
                self.transcribe_task(call_id)
                recovered.append(call_id)
        if recovered:
            log.info("re-enqueued %d calls whose jobs were lost: %s", len(recovered), recovered)
        for recoverer in self.recoverers:
            recovered += recoverer(now)
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
        """Run a standalone consumer until interrupted (`suara worker`); with Redis, lost jobs are looked
        for every RECOVER_EVERY_S."""
        if self.leases.exact:
            threading.Thread(target=self._recover_often, name="recover-calls", daemon=True).start()
        self.huey.create_consumer(workers=workers, worker_type="thread", periodic=True).run()

    def _recover_often(self) -> None:
        while True:
            time.sleep(RECOVER_EVERY_S)
            try:
                self.recover()
            except Exception as exc:  # Redis or the database restarting: the next round tries again
                log.warning("looking for lost jobs failed: %s", exc)
