"""Typed messages that cross package boundaries: audio chunks, words, transcripts, stream results."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

TARGET_RATE_HZ = 16_000
"""Every audio source is converted once, at the entry, to 16 kHz mono int16."""


@dataclass(frozen=True)
class AudioChunk:
    """A piece of 16 kHz mono int16 audio."""

    samples: np.ndarray
    """int16, one channel."""
    rate_hz: int = TARGET_RATE_HZ
    start_s: float = 0.0
    """Offset of the first sample from the start of the stream."""

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate_hz


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    """Seconds from the start of the audio."""
    end: float
    """Seconds from the start of the audio."""
    conf: float
    """0..1; the recognizer's confidence (Whisper: word probability)."""

    def to_dict(self) -> dict[str, Any]:
        return {"word": self.word, "start": round(self.start, 3), "end": round(self.end, 3), "conf": round(self.conf, 3)}


@dataclass(frozen=True)
class Transcript:
    """The result of recognising one piece of audio."""

    engine: str
    model: str
    language: str | None
    text: str
    words: list[Word] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)
    """Other readings of the same audio (Whisper's beam hypotheses, then drawn readings); the router averages
    over them with the text."""
    duration_s: float = 0.0
    """Length of the audio."""
    processing_s: float = 0.0
    """Wall-clock time the recognizer spent."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["words"] = [w.to_dict() for w in self.words]
        return data


@dataclass(frozen=True)
class StreamResult:
    """What a streaming recognizer says after a chunk: a partial (may still change) or a final segment."""

    text: str
    final: bool
    words: list[Word] = field(default_factory=list)
    """Words of a final result, with times from the start of the stream."""
    alternatives: list[str] = field(default_factory=list)
    """Other readings of a final result, best first."""
    start_s: float | None = None
    end_s: float | None = None


def joined_alternatives(finals: list[StreamResult]) -> list[str]:
    """Other readings of a stream, from its finals' own: the k-th joins each final's k-th other reading
    (its text where it has fewer), best first, without repeats and never the stream's text itself."""
    texts = [r for r in finals if r.text]
    best = " ".join(r.text for r in texts)
    seen = {" ".join(best.split())}
    out: list[str] = []
    for k in range(max((len(r.alternatives) for r in texts), default=0)):
        reading = " ".join(r.alternatives[k] if k < len(r.alternatives) else r.text for r in texts)
        key = " ".join(reading.split())
        if key not in seen:
            seen.add(key)
            out.append(reading)
    return out


class RecognizerStream(Protocol):
    """One audio stream being recognised. Not thread-safe: one stream per call or per show."""

    def feed(self, chunk: AudioChunk) -> list[StreamResult]:
        """Accept 16 kHz mono int16 audio; return any partial and final results it produced."""
        ...

    def finish(self) -> list[StreamResult]:
        """End of audio: flush and return the remaining final results."""
        ...

    def settle(self) -> None:
        """After `finish`'s results went out: complete what was left for later (the finals' other readings)."""
        ...


class Engine(Protocol):
    """A recognizer engine with a loaded model; shared by all streams of a process."""

    name: str
    model_name: str
    language: str | None

    def stream(self, readings: bool = True) -> RecognizerStream:
        """A new stream for one call. `readings=False`: finals without other readings, where nothing routes
        the live text (a radio show's callers are transcribed again from their own audio)."""
        ...

    def transcribe(self, samples: np.ndarray) -> Transcript:
        """Recognise a whole recording (16 kHz mono int16)."""
        ...
