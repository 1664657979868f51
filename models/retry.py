"""Where retrying one piece of work with a provider stands (a recording, a WhatsApp media file, a reply).

The schedule is kept as JSON on the row the work is for, not only in the job queue: a worker killed
between tries loses nothing, because the recovery job drives every schedule whose next try is overdue.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Self

ERROR_CHARS = 500


@dataclass(frozen=True)
class Schedule:
    attempts: int = 0
    """Tries made so far."""
    next_at: str | None = None
    """ISO time (UTC) of the next try; a try in progress sets it to when it will have timed out."""
    last_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Self:
        data = data or {}
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def overdue(self, now: datetime, grace_s: float) -> bool:
        return self.next_at is None or datetime.fromisoformat(self.next_at) + timedelta(seconds=grace_s) < now

    def trying(self, now: datetime, stall_s: float) -> Self:
        """A try has started: the recovery job leaves it alone until it would have timed out."""
        return replace(self, next_at=(now + timedelta(seconds=stall_s)).isoformat())

    def failed(self, reason: str, retry_in_s: float | None, now: datetime) -> Self:
        """After a failed try: the next one in `retry_in_s`, or none (the schedule is used up)."""
        next_at = (now + timedelta(seconds=retry_in_s)).isoformat() if retry_in_s is not None else None
        return replace(self, attempts=self.attempts + 1, next_at=next_at, last_error=reason[:ERROR_CHARS])

    def succeeded(self) -> Self:
        return replace(self, attempts=self.attempts + 1, next_at=None, last_error=None)
