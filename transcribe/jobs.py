"""The job queue (huey): every step after the audio is stored runs as a retryable job.

SQLite storage and an in-process consumer by default; Redis storage and separate `suara worker`
processes when SUARA_REDIS_URL is set. Tasks are registered on a queue object built from the
settings, never at import time.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import Task, TaskWrapper
from huey.consumer import Consumer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.config import Settings
from models.db import make_engine, session_factory
from models.entities import Call, CallStatus
from transcribe import pipeline
from transcribe.leases import NoLeases, RedisLeases
from transcribe.types import Engine as Recognizer

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


class JobName(enum.StrEnum):
    """The jobs of the transcription pipeline (the huey task names)."""

    TRANSCRIBE_CALL = "transcribe_call"
    DRAFT_CALL = "draft_call"
    RECOVER_CALLS = "recover_calls"
    AUTO_CLOSE = "auto_close"
    RECLUSTER_ISSUES = "recluster_issues"
    LEARN_ROUTER = "learn_router"


class UnknownJob(LookupError):
    """A job was asked for by a name no package registered on this queue."""


@dataclass
class Job:
    """One named job and the function it runs; calling the job enqueues it."""

    name: str
    function: Callable[..., Any]
    task: TaskWrapper
    """The huey task wrapper (enqueues when called; `schedule` runs it later)."""

    def __call__(self, *args: Any) -> None:
        self.task(*args)

    def later(self, delay_s: float, *args: Any) -> None:
        """Enqueue to run `delay_s` seconds from now."""
        self.task.schedule(args=args, delay=delay_s)


class JobRegistry:
    """Every job of one huey instance, by name: each package registers its jobs once, callers look them up."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self._jobs: dict[str, Job] = {}

    def _add(self, name: str, function: Callable[..., Any], wrap: Callable[[Callable[..., Any]], TaskWrapper]) -> Job:
        if name in self._jobs:
            raise ValueError(f"job {name!r} is registered twice")
        job = self._jobs[name] = Job(str(name), function, wrap(function))
        return job

    def task(self, name: str, function: Callable[..., Any], *, retries: int = 0, retry_delay_s: int = 0,
             context: bool = False) -> Job:
        """Register a job run on demand, retried `retries` times `retry_delay_s` apart."""
        return self._add(name, function, self.huey.task(name=str(name), retries=retries, retry_delay=retry_delay_s,
                                                         context=context))

    def periodic(self, name: str, schedule: Callable[[datetime], bool], function: Callable[..., Any]) -> Job:
        """Register a job the consumer runs on a schedule (a huey `crontab`)."""
        return self._add(name, function, self.huey.periodic_task(schedule, name=str(name)))

    def __getitem__(self, name: str) -> Job:
        try:
            return self._jobs[name]
        except KeyError:
            raise UnknownJob(f"no job {name!r} on this queue (registered: {', '.join(sorted(self._jobs))}); "
                             "voice jobs need voice.jobs.register_voice_jobs") from None

    def names(self) -> list[str]:
        return sorted(self._jobs)


class JobQueue:
    """The app's jobs bound to one huey instance and one database."""

    def __init__(self, settings: Settings, engine: Engine | None = None, immediate: bool = False,
                 recognizer: Recognizer | None = None) -> None:
        self.settings = settings
        self.recognizer = recognizer
        """The engine calls are transcribed with; None: the configured one (`transcribe.engines.load_engine`)."""
        self.db = engine or make_engine(settings.database_url)
        self.sessions = session_factory(self.db)
        self.huey: Huey = self._make_huey(settings, immediate)
        self.leases = RedisLeases(self.huey.storage.conn) if settings.redis_url and not immediate else NoLeases()
        self.registry = JobRegistry(self.huey)
        """Every job of this queue by name; other packages add theirs (`voice.jobs.register_voice_jobs`)."""
        jobs, retry = self.registry, dict(retries=settings.job_retries, retry_delay_s=settings.job_retry_delay_s)
        self.transcribe_job = jobs.task(JobName.TRANSCRIBE_CALL, self._run_transcribe, **retry, context=True)
        self.draft_job = jobs.task(JobName.DRAFT_CALL, self._run_draft, **retry, context=True)
        jobs.periodic(JobName.RECOVER_CALLS, crontab(minute="*/5"), self.recover)
        jobs.periodic(JobName.AUTO_CLOSE, crontab(minute="7"), self.auto_close)
        # 19:15 UTC is 02:15 WIB, when nobody is confirming drafts.
        jobs.periodic(JobName.RECLUSTER_ISSUES, crontab(hour="19", minute="15"), self.recluster)
        # 20:30 UTC is 03:30 WIB, after the issues are regrouped
        jobs.periodic(JobName.LEARN_ROUTER, crontab(hour="20", minute="30"), self.learn)
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
            self.transcribe_job(call_id)
        except Exception:
            self.leases.forget(call_id)
            raise

    def enqueue_draft(self, call_id: int) -> None:
        self.draft_job(call_id)

    # -- task bodies ------------------------------------------------------------------------
    def _run_transcribe(self, call_id: int, task: Task | None = None) -> None:
        with self.leases.hold(call_id) as mine:
            if not mine:
                return
            draft_next = self._transcribe(call_id, task)
            if draft_next:
                self.leases.requeue_held(call_id)
        if draft_next:  # once the marker says queued: a worker taking the draft at once must not see it running here
            self.draft_job(call_id)

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
                self._guarded(session, call, task,
                              lambda: pipeline.transcribe_call(session, self.settings, call, self.call_engine()))
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

    def call_engine(self) -> Recognizer:
        """The engine for whole calls: the one given, else the configured one (the model loads on first use)."""
        if self.recognizer is not None:
            return self.recognizer
        from transcribe.engines import load_engine

        return load_engine(self.settings)

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
                self.transcribe_job(call_id)
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
        from models.analytics import recluster

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
