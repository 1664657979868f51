"""Recognizer engines behind one protocol (`transcribe.types.Engine`), cached per process.

`load_engine(settings)` returns the configured engine; the model itself is loaded on first use (or by
`engine.load()` at start-up) and shared by every stream of the process.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Hashable

import numpy as np

from models.config import Settings
from transcribe.errors import ModelError
from transcribe.types import TARGET_RATE_HZ, AudioChunk, Engine

_cache: dict[Hashable, Engine] = {}
_cache_lock = threading.Lock()


def _engine_key(settings: Settings, name: str) -> tuple[Hashable, ...]:
    if name == "vosk":
        if settings.vosk_model is None:
            raise ModelError(
                "no Vosk model configured: set SUARA_VOSK_MODEL to a Vosk/Kaldi model directory",
                "Model Vosk belum diatur (SUARA_VOSK_MODEL).",
            )
        if not Path(settings.vosk_model).is_dir():
            raise ModelError(
                f"no Vosk model directory at {settings.vosk_model}",
                f"Model Vosk tidak ditemukan di {settings.vosk_model} (SUARA_VOSK_MODEL).",
            )
        return ("vosk", Path(settings.vosk_model).resolve())
    if name == "whisper":
        model = Path(settings.whisper_model).resolve() if settings.whisper_model else None
        return (
            "whisper",
            model,
            Path(settings.models_dir).resolve(),
            settings.whisper_beam,
            settings.whisper_drawn_readings,
            settings.whisper_compute_type,
            settings.cpu_threads,
        )
    raise ModelError(f"unknown engine {name!r}; choose vosk or whisper")


def engine_problem(settings: Settings, name: str | None = None) -> str | None:
    """Why engine `name` (default: settings.engine) cannot run with these settings, in Indonesian; None when it can.
    Loads nothing: a form can ask it for every engine it offers."""
    try:
        _engine_key(settings, name or settings.engine)
    except ModelError as exc:
        return exc.message_id
    return None


def load_engine(settings: Settings, name: str | None = None) -> Engine:
    """The process-wide engine `name` (default: settings.engine) for these settings; loads its model lazily."""
    name = name or settings.engine
    key = _engine_key(settings, name)
    with _cache_lock:
        engine = _cache.get(key)
        if engine is None:
            if name == "vosk":
                from transcribe.engines.vosk_engine import VoskEngine

                engine = VoskEngine(Path(settings.vosk_model))  # type: ignore[arg-type]
            else:
                from transcribe.engines.whisper_engine import WhisperEngine

                engine = WhisperEngine.from_settings(settings)
            _cache[key] = engine
        return engine


def clear_engine_cache() -> None:
    """Forget every cached engine (tests; a model directory was replaced)."""
    with _cache_lock:
        _cache.clear()


def warm_up(engine: Engine, streams: int = 1, seconds: float = 1.5) -> None:
    """Decode a little speech-like sound on `streams` throwaway streams at once: a cold decoder takes seconds
    over its first words (the graph is paged in and, for Vosk, composed), which would otherwise delay the
    first partials of a show or of the first calls. Vosk keeps the warmed recognizers for the next streams."""
    t = np.arange(int(seconds * TARGET_RATE_HZ)) / TARGET_RATE_HZ
    pitch = 140 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / TARGET_RATE_HZ
    voice = sum(np.sin(k * phase) / k for k in range(1, 12)) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) ** 2
    samples = (voice / np.abs(voice).max() * 8000).astype(np.int16)
    opened = [engine.stream(readings=False) for _ in range(streams)]  # all open at once: each has a recognizer of its own
    for stream in opened:
        for i in range(0, len(samples), TARGET_RATE_HZ // 4):
            stream.feed(AudioChunk(samples[i : i + TARGET_RATE_HZ // 4], start_s=i / TARGET_RATE_HZ))
        stream.finish()
