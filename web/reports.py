"""Printed reports: one browser at a time, and each report kept for a while once printed.

Printing the weekly report starts a headless Chromium (hundreds of MB, a second or more of CPU).
Any viewer may ask for it, so unbounded, eight requests at once started 34 Chromium processes. Here
every print takes a file lock in the data directory (one browser at a time across threads, gunicorn
workers and hosts sharing the directory), and a printed report is kept per period and scope for
REPORT_TTL_S: requests that waited for the lock find the fresh copy and print nothing.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

log = logging.getLogger(__name__)

REPORT_TTL_S = 15 * 60
"""A printed report is served again for this long; the figures behind it are live, so not for ever."""


def _fresh(path: Path, now: float) -> bytes | None:
    try:
        if now - path.stat().st_mtime < REPORT_TTL_S:
            return path.read_bytes()
    except FileNotFoundError:
        pass
    return None


def cached_report(data_dir: Path, key: str, render: Callable[[], bytes | None]) -> bytes | None:
    """The report `key` printed within REPORT_TTL_S, else `render()` under the one-printer lock (None: cannot print)."""
    folder = data_dir / "cache" / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.pdf"
    cached = _fresh(path, time.time())
    if cached is not None:
        return cached
    with open(folder / "print.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        cached = _fresh(path, time.time())
        if cached is not None:
            return cached
        started = time.monotonic()
        pdf = render()
        if pdf is None:
            return None
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
        with os.fdopen(fd, "wb") as fh:
            fh.write(pdf)
        os.replace(tmp, path)
        log.info("printed report %s in %.1f s", key, time.monotonic() - started)
        return pdf
