"""Engines and sessions: SQLite in WAL mode by default, PostgreSQL by URL."""

from __future__ import annotations

import errno
import logging
import time
from pathlib import Path
from typing import Callable, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from models import analytics

log = logging.getLogger(__name__)
T = TypeVar("T")


def make_engine(url: str, echo: bool = False) -> Engine:
    """An engine for the URL; SQLite gets WAL, foreign keys and a busy timeout so threads can share it."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """The sessions of every process (web, `suara worker`, commands): they keep the figures current as they write."""
    return analytics.keep_current(sessionmaker(engine, expire_on_commit=False))


def passing_outage(exc: BaseException) -> bool:
    """True for a failure that goes away by itself: the database unreachable (restarting, connections
    dropped) or a full disk."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        # SQLite reports a schema mismatch (a migration not run) as an OperationalError too: that never passes
        return not any(word in str(exc.orig) for word in ("no such table", "no such column", "syntax error"))
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def retrying(step: Callable[[], T], timeout_s: float, what: str) -> T:
    """`step()`, run again while it fails with a passing outage, for up to `timeout_s`; `step` must be safe
    to repeat (each try in its own transaction)."""
    deadline = time.monotonic() + timeout_s
    delay_s = 0.25
    while True:
        try:
            return step()
        except Exception as exc:
            if not passing_outage(exc) or time.monotonic() + delay_s > deadline:
                raise
            log.warning("%s: %s; trying again in %.1f s", what, str(exc).splitlines()[0][:200], delay_s)
        time.sleep(delay_s)
        delay_s = min(delay_s * 2, 5.0)
