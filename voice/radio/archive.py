"""The show archive: a 16 kHz mono WAV written as the show runs, readable by span while it grows."""

from __future__ import annotations

import struct
import threading
from pathlib import Path

import numpy as np

from transcribe.types import TARGET_RATE_HZ

_HEADER_BYTES = 44


def _header(data_bytes: int, rate_hz: int = TARGET_RATE_HZ) -> bytes:
    return (
        b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
        + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate_hz, rate_hz * 2, 2, 16)
        + b"data" + struct.pack("<I", data_bytes)
    )


class ShowArchive:
    """Appends int16 samples to a WAV file; the header is kept current so the file is always playable.

    Thread-safe: the ingest thread appends while finishers read spans.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "w+b")  # noqa: SIM115 - held for the show's lifetime
        self._fh.write(_header(0))
        self._samples = 0
        self._lock = threading.Lock()
        self._unsynced = 0

    @property
    def duration_s(self) -> float:
        return self._samples / TARGET_RATE_HZ

    def append(self, samples: np.ndarray) -> None:
        """Add samples at the end; the header is rewritten about once a second."""
        data = np.asarray(samples, dtype="<i2").tobytes()
        with self._lock:
            self._fh.seek(0, 2)
            self._fh.write(data)
            self._samples += len(data) // 2
            self._unsynced += len(data) // 2
            if self._unsynced >= TARGET_RATE_HZ:
                self._write_header()

    def read(self, start_s: float, end_s: float) -> np.ndarray:
        """The samples between two offsets (clipped to what exists)."""
        with self._lock:
            first = max(0, int(round(start_s * TARGET_RATE_HZ)))
            last = min(self._samples, int(round(end_s * TARGET_RATE_HZ)))
            if last <= first:
                return np.zeros(0, dtype=np.int16)
            self._fh.flush()
            self._fh.seek(_HEADER_BYTES + 2 * first)
            data = self._fh.read(2 * (last - first))
        return np.frombuffer(data, dtype="<i2").astype(np.int16)

    def _write_header(self) -> None:
        self._fh.seek(0)
        self._fh.write(_header(2 * self._samples))
        self._fh.flush()
        self._unsynced = 0

    def sync(self, timeout_s: float = 0.5) -> bool:
        """Write the header and flush now (a forced exit); False when the lock could not be had in time."""
        if not self._lock.acquire(timeout=timeout_s):
            return False
        try:
            if not self._fh.closed:
                self._write_header()
            return True
        finally:
            self._lock.release()

    def close(self) -> None:
        with self._lock:
            if not self._fh.closed:
                self._write_header()
                self._fh.close()


def read_span(path: Path, start_s: float, end_s: float | None) -> np.ndarray:
    """Samples of a finished archive between two offsets (`end_s` None: to the end)."""
    import soundfile as sf

    with sf.SoundFile(str(path)) as snd:
        first = min(max(0, int(round(start_s * snd.samplerate))), snd.frames)
        last = snd.frames if end_s is None else min(snd.frames, int(round(end_s * snd.samplerate)))
        snd.seek(first)
        return snd.read(max(0, last - first), dtype="int16")


def repair_archive(path: Path) -> float | None:
    """Make the header of an archive left by a process that died match the samples on disk; returns its
    duration (seconds), None when there is no archive."""
    path = Path(path)
    if not path.is_file():
        return None
    size = path.stat().st_size
    data_bytes = max(0, size - _HEADER_BYTES) // 2 * 2
    with open(path, "r+b") as fh:
        fh.write(_header(data_bytes))
        if size - _HEADER_BYTES > data_bytes:  # half a sample at the end: cut it
            fh.truncate(_HEADER_BYTES + data_bytes)
    return data_bytes / 2 / TARGET_RATE_HZ
