"""Vosk (Kaldi) streaming engine: any Vosk model directory, live partials, finals at endpoints."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from transcribe.audio import StreamConverter
from transcribe.errors import ModelError
from transcribe.types import TARGET_RATE_HZ, AudioChunk, StreamResult, Transcript, Word

logger = logging.getLogger(__name__)

_MAX_FEED_SAMPLES = TARGET_RATE_HZ // 4
"""Feed the recognizer at most 0.25 s at a time, so an endpoint inside a long chunk is not merged away."""
IDLE_RECOGNIZERS = 4
"""Finished recognizers kept for the next streams. A new `KaldiRecognizer` composes its decoding graph on
the fly and fills that cache during its first seconds of speech. Measured with the packaged model: a fresh
recognizer spends 0.19 CPU s per audio second over its first 20 s and 0.09 over a minute, one that decoded
other speech before 0.065-0.074 over a minute of new speech; a fresh one's first decoding step takes
350-480 ms, a reused one's 15 ms. A recognizer finished with FinalResult() keeps only that cache: its decoder
and feature pipeline are made anew for the next call, so nothing of one caller's audio reaches the next.
Its clock does run on (Vosk times words from the recognizer's first sample), so the pool keeps how many
samples each has taken. The cache costs memory: about 135 MB per recognizer after 3 minutes of speech,
then about 1 MB more per minute. `transcribe.engines.warm_up` readies some before the first call."""
RETIRE_AFTER_S = 30 * 60
"""A recognizer that has taken this much audio is let go, so that its cache cannot grow without end."""


def model_sample_rate(model_dir: Path) -> int:
    """The rate the model's features expect: `--sample-frequency` in conf/mfcc.conf (Kaldi's default 16 kHz)."""
    conf = Path(model_dir) / "conf" / "mfcc.conf"
    try:
        text = conf.read_text(encoding="utf-8")
    except OSError:
        return TARGET_RATE_HZ
    match = re.search(r"^\s*--sample-frequency\s*=\s*([0-9.]+)", text, re.MULTILINE)
    return int(float(match.group(1))) if match else TARGET_RATE_HZ


def _model_name(model_dir: Path) -> str:
    # Packaged models keep the directory in a folder called "model"; name them by their package.
    return model_dir.parent.name if model_dir.name == "model" else model_dir.name


class VoskEngine:
    """One shared `vosk.Model` per process; one `KaldiRecognizer` per stream at a time, reused across streams."""

    name = "vosk"
    language: str | None = None

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = Path(model_dir)
        self.model_name = _model_name(self.model_dir)
        self.sample_rate_hz = model_sample_rate(self.model_dir)
        self._model: Any = None
        self._lock = threading.Lock()
        self._idle: list[tuple[Any, int]] = []
        """(recognizer, samples it has taken in earlier streams)."""
        self._idle_lock = threading.Lock()
        self.load_s: float | None = None
        """Seconds the model took to load, once loaded."""

    def load(self) -> Any:
        """Load the model now (it is otherwise loaded by the first stream); returns the `vosk.Model`."""
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                if not (self.model_dir / "am").is_dir() and not (self.model_dir / "final.mdl").is_file():
                    raise ModelError(f"{self.model_dir} is not a Vosk model directory (no am/ inside)")
                import vosk

                vosk.SetLogLevel(-1)
                started = time.perf_counter()
                try:
                    self._model = vosk.Model(str(self.model_dir))
                except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
                    raise ModelError(f"Vosk could not load {self.model_dir}: {exc}") from exc
                self.load_s = time.perf_counter() - started
                logger.info("Vosk model %s loaded in %.1f s", self.model_dir, self.load_s)
        return self._model

    def stream(self, readings: bool = True) -> VoskStream:
        """A new recognizer stream for one call (Vosk's other readings cost nothing extra: `readings` is
        not used)."""
        return VoskStream(self)

    def _new_recognizer(self) -> Any:
        import vosk

        recognizer = vosk.KaldiRecognizer(self.load(), self.sample_rate_hz)
        recognizer.SetWords(True)
        return recognizer

    def _take_recognizer(self) -> tuple[Any, int]:
        """An idle recognizer, or a new one, and the samples it has taken before."""
        with self._idle_lock:
            if self._idle:
                return self._idle.pop()
        return self._new_recognizer(), 0

    def forget_idle(self) -> None:
        """Let the kept recognizers go: the next streams start cold (benchmarks compare cold with cold)."""
        with self._idle_lock:
            self._idle.clear()

    def _give_back(self, recognizer: Any, samples_taken: int) -> None:
        """Keep a recognizer whose stream ended with FinalResult() for the next stream."""
        if samples_taken > RETIRE_AFTER_S * self.sample_rate_hz:
            return
        with self._idle_lock:
            if len(self._idle) < IDLE_RECOGNIZERS:
                self._idle.append((recognizer, samples_taken))

    def transcribe(self, samples: np.ndarray) -> Transcript:
        """Recognise a whole recording (16 kHz mono int16)."""
        started = time.perf_counter()
        stream = VoskStream(self, partials=False)
        samples = np.asarray(samples, dtype=np.int16)
        results = stream.feed(AudioChunk(samples)) + stream.finish()
        finals = [r for r in results if r.final]
        words = [w for r in finals for w in r.words]
        return Transcript(
            engine=self.name,
            model=self.model_name,
            language=self.language,
            text=" ".join(r.text for r in finals if r.text),
            words=words,
            duration_s=len(samples) / TARGET_RATE_HZ,
            processing_s=time.perf_counter() - started,
        )


class VoskStream:
    """One call through a `KaldiRecognizer`; times are seconds from the start of the stream."""

    def __init__(self, engine: VoskEngine, partials: bool = True) -> None:
        self._engine = engine
        self._recognizer, self._samples_before = engine._take_recognizer()
        self._samples = 0
        """Samples given to the recognizer by this stream, at the model's rate."""
        self._converter = (
            StreamConverter(TARGET_RATE_HZ, 1, "int16", out_rate_hz=engine.sample_rate_hz)
            if engine.sample_rate_hz != TARGET_RATE_HZ
            else None
        )
        self._offset_s: float | None = None
        self._partials = partials
        self._last_partial = ""
        self._finished = False

    def feed(self, chunk: AudioChunk) -> list[StreamResult]:
        """Accept 16 kHz mono int16 audio; return the partial and final results it produced."""
        if self._finished:
            raise RuntimeError("stream already finished")
        if chunk.rate_hz != TARGET_RATE_HZ:
            raise ValueError(f"streams take {TARGET_RATE_HZ} Hz audio, not {chunk.rate_hz} Hz")
        if self._offset_s is None:
            self._offset_s = chunk.start_s
        samples = np.asarray(chunk.samples, dtype=np.int16)
        results: list[StreamResult] = []
        for start in range(0, len(samples), _MAX_FEED_SAMPLES):
            block = samples[start : start + _MAX_FEED_SAMPLES]
            if self._converter is not None:
                block = self._converter.convert(block)
            self._accept(block, results)
        return results

    def finish(self) -> list[StreamResult]:
        """End of audio: flush the resampler and the recognizer; the last final, if anything was said."""
        if self._finished:
            return []
        self._finished = True
        results: list[StreamResult] = []
        if self._converter is not None:
            tail = self._converter.flush()
            if len(tail):
                self._accept(tail, results)
        final = self._final(self._recognizer.FinalResult())
        # Only a stream that reached FinalResult() gives its recognizer back: after an error it is dropped.
        self._engine._give_back(self._recognizer, self._samples_before + self._samples)
        if final is not None:
            results.append(final)
        return results

    def settle(self) -> None:
        """Nothing is left for later: Vosk's finals carry their readings when they go out."""

    def _accept(self, block: np.ndarray, results: list[StreamResult]) -> None:
        if not len(block):
            return
        self._samples += len(block)
        if self._recognizer.AcceptWaveform(block.tobytes()):
            final = self._final(self._recognizer.Result())
            if final is not None:
                results.append(final)
            self._last_partial = ""
        elif self._partials:
            partial = json.loads(self._recognizer.PartialResult()).get("partial", "")
            if partial and partial != self._last_partial:
                results.append(StreamResult(text=partial, final=False))
            self._last_partial = partial

    def _final(self, raw: str) -> StreamResult | None:
        data = json.loads(raw)
        text = data.get("text", "").strip()
        if not text:
            return None
        # Vosk times words from the recognizer's first sample, in earlier streams too
        offset = (self._offset_s or 0.0) - self._samples_before / self._engine.sample_rate_hz
        words = [
            Word(w["word"], w["start"] + offset, w["end"] + offset, float(w.get("conf", 1.0)))
            for w in data.get("result", [])
        ]
        return StreamResult(
            text=text,
            final=True,
            words=words,
            start_s=words[0].start if words else None,
            end_s=words[-1].end if words else None,
        )
