"""Cheap loudness measurement: is there anything to recognise, and where does the sound begin and end?

A recording is cut into 50 ms frames of mono int16 (at any rate); a frame is *active* when its RMS level is
above -45 dBFS (a telephone line's hiss is far below, the quietest speech above). A recording with
less than a second of active frames is silent: it is marked, not given to a recognizer (Whisper's
voice detection alone spent 90 s on two hours of silence). Leading and trailing silence is cut before
recognition, keeping half a second around the sound, and word times are shifted back.

The meter is fed block by block, so a recording can be measured while it is decoded, without keeping it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from transcribe.types import TARGET_RATE_HZ

FRAME_S = 0.05
THRESHOLD_DBFS = -45.0
MIN_ACTIVE_S = 1.0
"""Less sound than this in the whole recording: silent."""
MARGIN_S = 0.5
"""Kept before the first and after the last active frame when trimming."""
_THRESHOLD_SQUARED = (32768.0 * 10 ** (THRESHOLD_DBFS / 20)) ** 2


@dataclass(frozen=True)
class Loudness:
    """What the meter found in a recording."""

    duration_s: float
    active_s: float
    """Seconds of frames above the threshold."""
    first_active_s: float | None
    """Start of the first active frame; None when there is none."""
    last_active_s: float | None
    """End of the last active frame; None when there is none."""

    @property
    def silent(self) -> bool:
        return self.active_s < MIN_ACTIVE_S


class LevelMeter:
    """Measures loudness of mono int16 blocks as they come (one rate throughout); holds at most one frame of samples."""

    def __init__(self) -> None:
        self._rate_hz = TARGET_RATE_HZ
        self._frame = int(FRAME_S * TARGET_RATE_HZ)
        self._pending = np.zeros(0, dtype=np.int16)
        self._frames = 0
        self._active = 0
        self._first: int | None = None
        self._last: int | None = None

    def feed(self, samples: np.ndarray, rate_hz: int = TARGET_RATE_HZ) -> None:
        if rate_hz != self._rate_hz:
            if self._frames or len(self._pending):
                raise ValueError("one recording, one rate")
            self._rate_hz, self._frame = rate_hz, max(int(FRAME_S * rate_hz), 1)
        data = np.concatenate([self._pending, samples]) if len(self._pending) else samples
        whole = len(data) - len(data) % self._frame
        self._pending = data[whole:].copy()
        if whole == 0:
            return
        frames = data[:whole].astype(np.float32).reshape(-1, self._frame)
        active = np.flatnonzero(np.mean(frames * frames, axis=1) > _THRESHOLD_SQUARED)
        if len(active):
            if self._first is None:
                self._first = self._frames + int(active[0])
            self._last = self._frames + int(active[-1])
            self._active += len(active)
        self._frames += len(frames)

    def result(self) -> Loudness:
        """The measurement of everything fed so far (a last partial frame counts for its length only)."""
        duration = (self._frames * self._frame + len(self._pending)) / self._rate_hz
        return Loudness(
            duration_s=duration,
            active_s=self._active * FRAME_S,
            first_active_s=None if self._first is None else self._first * FRAME_S,
            last_active_s=None if self._last is None else (self._last + 1) * FRAME_S,
        )


def measure(samples: np.ndarray) -> Loudness:
    """Loudness of a whole 16 kHz mono int16 recording."""
    meter = LevelMeter()
    meter.feed(samples)
    return meter.result()


def trim(samples: np.ndarray, loudness: Loudness) -> tuple[np.ndarray, float]:
    """The samples without leading and trailing silence (a margin kept), and the offset in seconds of the cut."""
    if loudness.first_active_s is None or loudness.last_active_s is None:
        return samples, 0.0
    start = max(int((loudness.first_active_s - MARGIN_S) * TARGET_RATE_HZ), 0)
    end = min(int((loudness.last_active_s + MARGIN_S) * TARGET_RATE_HZ), len(samples))
    return samples[start:end], start / TARGET_RATE_HZ
