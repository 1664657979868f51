"""Who has a call's next step: queued, running on a live worker, or nobody (lost, to be enqueued again).

With Redis and several `suara worker` processes the database says where a call is (received, transcribing,
transcribed), not whether a job for it still exists: a worker killed mid-job takes its job with it, and a
Redis restarted without persistence forgets the queue. One Redis key per call answers that:

- `queued` while a task for the call waits in the queue (set only if no other marker exists, so a call is
  never queued twice);
- `running:<worker>` while a worker runs it, with a short expiry that the worker's heartbeat renews: a
  killed worker's marker expires within `RUNNING_TTL_S`;
- absent: nothing will happen to the call unless it is enqueued again, which `JobQueue.recover` does
  within seconds.

Without Redis (SQLite, one process) `NoLeases` keeps the old rule: a call stuck for 15 minutes is enqueued again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from contextlib import contextmanager
from typing import Any, Iterator

log = logging.getLogger(__name__)

RUNNING_TTL_S = 15
"""A running marker nobody renews is gone this long after its worker died."""
HEARTBEAT_S = 4.0
QUEUED_TTL_S = 6 * 3600
"""A queued marker outlives any real backlog; if its task vanished some other way the call is enqueued again then."""

_CLAIM = """
local v = redis.call('get', KEYS[1])
if (not v) or v == ARGV[1] or string.sub(v, 1, 8) ~= 'running:' then
  redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
return 0
"""
"""Mark the call running here unless another worker runs it, in one step (a get then a set could let two in)."""

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  if ARGV[2] == '' then return redis.call('del', KEYS[1]) end
  return redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[3])
end
return 0
"""


class NoLeases:
    """One process runs every job (SQLite storage): nothing to coordinate."""

    exact = False
    """False: `recover` cannot tell a lost job from a waiting one and waits for STUCK_AFTER."""

    def try_queue(self, call_id: int) -> bool:
        return True

    def forget(self, call_id: int) -> None:
        pass

    @contextmanager
    def hold(self, call_id: int) -> Iterator[bool]:
        yield True

    def requeue_held(self, call_id: int) -> None:
        pass

    def start_heartbeat(self) -> None:
        pass


class RedisLeases(NoLeases):
    """Call markers in the Redis the queue lives in."""

    exact = True

    def __init__(self, conn: Any, prefix: str = "suara:call:") -> None:
        self.conn = conn
        self.prefix = prefix
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._held: set[int] = set()
        self._requeue: set[int] = set()
        self._lock = threading.Lock()
        self._heartbeat: threading.Thread | None = None
        self._release = conn.register_script(_RELEASE)
        self._claim = conn.register_script(_CLAIM)

    def _key(self, call_id: int) -> str:
        return f"{self.prefix}{call_id}"

    def _running(self) -> str:
        return f"running:{self.worker}"

    def try_queue(self, call_id: int) -> bool:
        """Mark the call queued unless it is already queued or running; True when the caller should enqueue."""
        return bool(self.conn.set(self._key(call_id), "queued", nx=True, ex=QUEUED_TTL_S))

    def forget(self, call_id: int) -> None:
        """The task could not be enqueued after all: let `recover` try again."""
        self.conn.delete(self._key(call_id))

    @contextmanager
    def hold(self, call_id: int) -> Iterator[bool]:
        """Run the call's step here, unless a live worker already runs it (yields False: do nothing).

        On leaving, the marker is removed; `requeue_held` inside the block turns it into `queued` instead
        (the next step was enqueued, or huey will retry)."""
        key, mine = self._key(call_id), self._running()
        if not self._claim(keys=[key], args=[mine, RUNNING_TTL_S]):
            current = self.conn.get(key)
            current = current.decode() if isinstance(current, bytes) else str(current)
            log.info("call %s is being processed by %s; this duplicate task does nothing", call_id, current[8:])
            yield False
            return
        with self._lock:
            self._held.add(call_id)
        self.start_heartbeat()
        requeue = False
        try:
            yield True
        except BaseException:
            requeue = True  # huey retries it (or gives up: the call is then `failed`, which recover ignores)
            raise
        finally:
            with self._lock:
                self._held.discard(call_id)
                requeue = requeue or call_id in self._requeue
                self._requeue.discard(call_id)
            try:
                self._release(keys=[key], args=[mine, "queued" if requeue else "", QUEUED_TTL_S])
            except Exception:  # Redis went away: the running marker expires by itself
                log.warning("call %s: could not update its marker in Redis", call_id, exc_info=True)

    def requeue_held(self, call_id: int) -> None:
        """The held call's next step is being enqueued: leave it marked queued when the step ends."""
        with self._lock:
            self._requeue.add(call_id)

    def start_heartbeat(self) -> None:
        with self._lock:
            if self._heartbeat is not None and self._heartbeat.is_alive():
                return
            self._heartbeat = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)
            self._heartbeat.start()

    def _beat(self) -> None:
        stop = threading.Event()
        while not stop.wait(HEARTBEAT_S):
            self.renew()

    def renew(self) -> None:
        """Keep the held calls marked running here. A marker a restarted Redis forgot (or that `recover` meanwhile
        turned into `queued`) is put back, so no other worker starts the same call while this one still runs it."""
        with self._lock:
            held = list(self._held)
        for call_id in held:
            try:
                self._claim(keys=[self._key(call_id)], args=[self._running(), RUNNING_TTL_S])
            except Exception:  # Redis restarting: try again at the next beat
                log.debug("lease heartbeat failed", exc_info=True)

    def active(self, call_ids: list[int]) -> set[int]:
        """Of these calls, those queued or running somewhere."""
        if not call_ids:
            return set()
        values = self.conn.mget([self._key(c) for c in call_ids])
        return {c for c, v in zip(call_ids, values) if v}
