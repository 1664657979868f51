"""Audio a reconnected stream delivers again: a server that restarts its file, or Icecast's burst of the
last seconds on connect. Found by matching the first seconds after the reconnect against what was
already captured, so that the replayed part is not archived or segmented twice.

Matching runs on 10 ms log-energy envelopes (cheap over a long archive, and the same after an MP3 is
decoded again from another frame), then is refined on the samples.
"""

from __future__ import annotations

import numpy as np

from transcribe.types import TARGET_RATE_HZ

FRAME = TARGET_RATE_HZ // 100
"""Samples per envelope frame (10 ms)."""
PROBE_S = 3.0
"""Audio after a reconnect held back and matched before it is taken."""
SEARCH_S = 1800.0
"""How far back into the archive a replay is looked for."""
MIN_MATCH = 0.9
"""Normalised correlation of envelopes that counts as the same audio."""
MIN_SPREAD_DB = 6.0
"""Audio whose envelope varies less than this (silence, a held tone) matches anywhere: never a replay."""
MIN_OVERLAP_S = 0.5
TAIL_S = (1.5, 1.0, MIN_OVERLAP_S)
"""Ends of what was captured looked for inside the probe (a repeat shorter than the probe), longest first."""
MIN_SAMPLE_MATCH = 0.7
"""Normalised correlation of the aligned samples that confirms a match (decoded again, resampled again)."""


def envelope(samples: np.ndarray) -> np.ndarray:
    """Log energy (dB) per 10 ms frame."""
    n = len(samples) // FRAME
    frames = samples[: n * FRAME].astype(np.float64).reshape(n, FRAME)
    return 10 * np.log10(np.mean(frames * frames, axis=1) + 1.0)


def _best_match(needle: np.ndarray, haystack: np.ndarray) -> tuple[int, float]:
    """(offset, normalised correlation) of the last place of `needle` in `haystack` (envelopes) that
    matches (the latest of repeated audio, such as a jingle), else of the best one."""
    m = len(needle)
    if m == 0 or len(haystack) < m:
        return 0, 0.0
    centred = (needle - needle.mean()) / (needle.std() * m)
    size = 1 << int(np.ceil(np.log2(len(haystack) + m)))
    products = np.fft.irfft(np.fft.rfft(haystack, size) * np.conj(np.fft.rfft(centred, size)), size)[: len(haystack) - m + 1]
    sums = np.concatenate([[0.0], np.cumsum(haystack)])
    squares = np.concatenate([[0.0], np.cumsum(haystack * haystack)])
    window_sum = sums[m:] - sums[:-m]
    window_var = np.maximum((squares[m:] - squares[:-m]) / m - (window_sum / m) ** 2, 1e-9)
    scores = products / np.sqrt(window_var)
    good = np.flatnonzero(scores >= MIN_MATCH)
    best = int(good[-1]) if len(good) else int(np.argmax(scores))
    return best, float(scores[best])


def _refine(needle: np.ndarray, haystack: np.ndarray, around: int, reach: int = 2 * FRAME) -> int:
    """The sample offset near `around` where `needle` (samples) lines up best with `haystack`."""
    piece = needle[: TARGET_RATE_HZ].astype(np.float64)
    low, high = max(0, around - reach), min(len(haystack) - len(piece), around + reach)
    if high <= low:
        return around
    region = haystack[low : high + len(piece)].astype(np.float64)
    scores = np.correlate(region, piece, mode="valid")
    return low + int(np.argmax(scores))


def _same_samples(a: np.ndarray, b: np.ndarray) -> bool:
    n = min(len(a), len(b))
    x, y = a[:n].astype(np.float64), b[:n].astype(np.float64)
    denominator = np.sqrt(np.sum(x * x) * np.sum(y * y))
    return n > 0 and denominator > 0 and float(np.sum(x * y) / denominator) >= MIN_SAMPLE_MATCH


def replayed_samples(captured: np.ndarray, fresh: np.ndarray) -> int:
    """How many samples at the start of `fresh` (audio after a reconnect) repeat the end of `captured`.

    Two cases: the replay starts well before the end of what was captured (the probe is found inside
    it), or it repeats only the last seconds (the end of what was captured is found inside the probe).
    """
    fresh_env, captured_env = envelope(fresh), envelope(captured)
    if len(fresh_env) < MIN_OVERLAP_S * 100 or len(captured_env) < MIN_OVERLAP_S * 100:
        return 0
    if np.ptp(fresh_env) >= MIN_SPREAD_DB:
        at, score = _best_match(fresh_env, captured_env)
        if score >= MIN_MATCH:
            start = _refine(fresh, captured, at * FRAME)
            if _same_samples(fresh, captured[start:]):
                return len(captured) - start
    for tail_s in TAIL_S:  # the longest end that matches is the surest; a short repeat only fits a short one
        tail_env = captured_env[-int(tail_s * 100) :]
        if len(tail_env) > len(fresh_env) or np.ptp(tail_env) < MIN_SPREAD_DB:
            continue
        at, score = _best_match(tail_env, fresh_env)
        if score >= MIN_MATCH:
            tail = captured[-len(tail_env) * FRAME :]
            start = _refine(tail, fresh, at * FRAME)
            if _same_samples(tail, fresh[start:]):
                return min(len(fresh), start + len(tail))
    return 0
