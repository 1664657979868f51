"""Voice activity of a show: speech, pauses, and music or jingles, from cheap spectral features.

Every 0.1 s window gets a level (dBFS), a spectral flatness and a tonal share (energy in the strongest
narrow peaks). Speech moves: its level jumps between syllables and its pitch glides. A jingle or music
bed holds its level and its spectral peaks for a second or more. Long pauses and music between two
stretches of speech are where one caller ends and the next begins.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

import numpy as np

from transcribe.types import TARGET_RATE_HZ

Label = Literal["silence", "speech", "music"]

WINDOW = TARGET_RATE_HZ // 10
"""Samples per analysis window (0.1 s)."""
WINDOW_S = WINDOW / TARGET_RATE_HZ


@dataclass(frozen=True)
class ActivityParams:
    """Thresholds; the defaults fit studio speech, phone callers on air and station jingles."""

    silence_dbfs: float = -45.0
    """Windows quieter than this are silence."""
    pause_s: float = 2.0
    """Silence at least this long after speech suggests a new caller."""
    music_s: float = 1.0
    """Music at least this long after speech suggests a new caller."""
    speech_onset_s: float = 0.3
    """Speech must last this long to count as speech resuming."""
    music_context_s: float = 1.0
    """Music is judged over this much audio."""
    music_level_std_db: float = 3.0
    """Music holds its level: the spread of window levels over the context stays under this."""
    music_peak_hold: float = 0.6
    """...and its strongest spectral peak stays in the same place in this share of windows."""


@dataclass(frozen=True)
class Activity:
    """A change worth telling: speech started after a break, or a break began after speech."""

    kind: Literal["speech", "break"]
    at_s: float
    """speech: where the speech began; break: where the last speech ended."""
    reason: Literal["start", "pause", "music"]
    """Why: the first speech of the show, a long pause, or music/jingle."""


def window_features(x: np.ndarray) -> tuple[float, int]:
    """(level dBFS, bin of the strongest spectral peak between 100 and 4000 Hz) of one window of int16."""
    f = x.astype(np.float32) / 32768.0
    rms = float(np.sqrt(np.mean(f * f))) if len(f) else 0.0
    level = 20 * np.log10(max(rms, 1e-7))
    spectrum = np.abs(np.fft.rfft(f * np.hanning(len(f)))) ** 2
    lo, hi = 100 * len(f) // TARGET_RATE_HZ, 4000 * len(f) // TARGET_RATE_HZ
    peak = int(np.argmax(spectrum[lo:hi])) + lo
    return level, peak


class ActivityTracker:
    """Labels 0.1 s windows as they arrive and reports speech starts and caller breaks."""

    def __init__(self, params: ActivityParams | None = None) -> None:
        self.params = params or ActivityParams()
        n = round(self.params.music_context_s / WINDOW_S)
        self._levels: deque[float] = deque(maxlen=n)
        self._peaks: deque[int] = deque(maxlen=n)
        self._windows = 0
        self.label: Label = "silence"
        self._in_speech = False
        """Speech was heard since the last break (a caller is talking)."""
        self._last_speech_end_s: float | None = None
        self._speech_run_s = 0.0
        self._speech_run_start_s = 0.0
        self._speech_floor_s = 0.0
        """Where the current caller's speech began: a music correction never moves the end before it."""
        self._silence_run_s = 0.0
        self._music_run_s = 0.0
        self._broke = True
        """A break was reported (or nothing was said yet): the next sustained speech is reported."""

    @property
    def now_s(self) -> float:
        return self._windows * WINDOW_S

    def push(self, window: np.ndarray) -> tuple[Label, list[Activity]]:
        """Analyse one window of WINDOW samples; its label and any activity it completes."""
        start_s = self.now_s
        self._windows += 1
        end_s = self.now_s
        level, peak = window_features(window)
        self._levels.append(level)
        self._peaks.append(peak)
        self.label = self._classify(level)
        events: list[Activity] = []
        p = self.params
        if self.label == "speech":
            if self._speech_run_s == 0.0:
                self._speech_run_start_s = start_s
            self._speech_run_s += WINDOW_S
            self._silence_run_s = self._music_run_s = 0.0
            if self._in_speech and not self._broke:
                # A caller is talking: a last short word after a breath still belongs to them (a jingle's
                # first second, taken for speech, is taken back once it is recognised as music).
                self._last_speech_end_s = end_s
            # Music is only recognised after a context's worth of it: wait as long before trusting speech.
            if self._speech_run_s >= max(p.speech_onset_s, p.music_context_s + WINDOW_S) - 1e-9:
                if self._broke:
                    reason = "start" if self._last_speech_end_s is None else self._break_reason
                    events.append(Activity("speech", self._speech_run_start_s, reason))
                    self._speech_floor_s = self._speech_run_start_s
                    self._broke = False
                self._in_speech = True
                self._last_speech_end_s = end_s
            return self.label, events
        self._speech_run_s = 0.0
        if self.label == "music":
            if self._music_run_s == 0.0 and self._last_speech_end_s is not None:
                # The context that revealed the music was counted as speech: take it back.
                self._last_speech_end_s = max(self._speech_floor_s, min(self._last_speech_end_s, end_s - p.music_context_s))
            self._music_run_s += WINDOW_S
        else:
            self._silence_run_s += WINDOW_S
        if self._in_speech and not self._broke:
            if self._music_run_s >= p.music_s - 1e-9:
                events.append(self._break("music"))
            elif self._silence_run_s + self._music_run_s >= p.pause_s - 1e-9:
                events.append(self._break("pause"))
        return self.label, events

    def _break(self, reason: Literal["pause", "music"]) -> Activity:
        self._broke = True
        self._in_speech = False
        self._break_reason: Literal["pause", "music"] = reason
        return Activity("break", self._last_speech_end_s or 0.0, reason)

    def _classify(self, level: float) -> Label:
        p = self.params
        if level < p.silence_dbfs:
            return "silence"
        if len(self._levels) == self._levels.maxlen:
            levels = np.array(self._levels)
            if levels.min() >= p.silence_dbfs and levels.std() < p.music_level_std_db:
                peaks = np.array(self._peaks)
                held = np.mean(np.abs(np.diff(peaks)) <= 1)
                if held >= p.music_peak_hold:
                    return "music"
        return "speech"


def find_spans(samples: np.ndarray, params: ActivityParams | None = None, pad_s: float = 0.3) -> list[tuple[float, float]]:
    """Caller spans (start_s, end_s) of a whole recording, cut at long pauses and music."""
    tracker = ActivityTracker(params)
    spans: list[tuple[float, float]] = []
    start: float | None = None
    for i in range(0, len(samples) - WINDOW + 1, WINDOW):
        _, events = tracker.push(samples[i : i + WINDOW])
        for event in events:
            if event.kind == "speech":
                start = max(0.0, event.at_s - pad_s)
            elif start is not None:
                spans.append((start, event.at_s + pad_s))
                start = None
    if start is not None and tracker._last_speech_end_s is not None:
        spans.append((start, min(tracker.now_s, tracker._last_speech_end_s + pad_s)))
    return spans
