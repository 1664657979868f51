"""Synthesised Indonesian test speech, shared by the tests and scripts/bench_engines.py.

Reproduces ../shared/eval/synth_speech.py: MBROLA mb-id1 at telephone quality (8 kHz mu-law, band
300-3400 Hz, white noise at 25 dB SNR) and espeak-ng `id` at 16 kHz. Files are cached in a directory
the caller owns (tests: a session-scoped tmp dir) and never committed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NOISE_SNR_DB = 25.0
_NOISE_SEED = 11


@dataclass(frozen=True)
class SpeechRow:
    """One sentence of ../shared/eval/speech_dev.jsonl."""

    id: str
    text: str
    accept: tuple[str, ...]


def shared_dir() -> Path:
    """The shared data directory: $SUARA_SHARED_DIR, else `shared/` beside the checkout."""
    env = os.environ.get("SUARA_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared"


def speech_dev_rows(limit: int | None = None) -> list[SpeechRow]:
    """The speech_dev sentences, in file order."""
    path = shared_dir() / "eval" / "speech_dev.jsonl"
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                data = json.loads(line)
                rows.append(SpeechRow(str(data["id"]), data["text"], tuple(data.get("accept", ()))))
    return rows[:limit] if limit else rows


def synth_tools_missing() -> list[str]:
    """Names of the Debian tools the synthesis needs but this machine lacks."""
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if not Path("/usr/share/mbrola/id1").exists():
        missing.append("mbrola-id1")
    return missing


def _run(*cmd: str | Path) -> None:
    subprocess.run([str(c) for c in cmd], check=True, capture_output=True)


def _read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float64)


def _write_wav(path: Path, x: np.ndarray, rate_hz: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate_hz)
        w.writeframes(np.clip(np.round(x), -32768, 32767).astype(np.int16).tobytes())


def _seed_for(text: str) -> int:
    # One seeded generator per sentence, so a file does not depend on which others were made before it.
    return int.from_bytes(hashlib.sha256(f"{_NOISE_SEED}:{text}".encode()).digest()[:8], "little")


def synth_radio16k(text: str, path: Path) -> Path:
    """espeak-ng `id` voice, 16 kHz mono int16 WAV (clean studio/radio quality)."""
    path = Path(path)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        raw, out = Path(tmp) / "raw.wav", Path(tmp) / "out.wav"
        _run("espeak-ng", "-v", "id", "-s", "150", "-w", raw, "--", text)  # "--": a text may start with "-"
        _run("sox", raw, "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", out)
        os.replace(out, path)
    return path


def synth_phone8k(text: str, path: Path) -> Path:
    """MBROLA mb-id1, noise at 25 dB SNR, band 300-3400 Hz, 8 kHz mu-law, stored as 8 kHz int16 WAV."""
    path = Path(path)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(_seed_for(text))
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        t = Path(tmp)
        _run("espeak-ng", "-v", "mb-id1", "-s", "140", "-w", t / "raw.wav", "--", text)
        _run("sox", t / "raw.wav", "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", t / "m16.wav")
        x = _read_wav(t / "m16.wav")
        active = x[np.abs(x) > 0.02 * np.abs(x).max()]
        noise_rms = np.sqrt(np.mean(active**2) / 10 ** (NOISE_SNR_DB / 10))
        _write_wav(t / "noisy.wav", x + rng.normal(0, noise_rms, len(x)), 16000)
        _run("sox", t / "noisy.wav", "-r", "8000", "-e", "mu-law", "-b", "8", t / "ulaw.wav",
             "gain", "-3", "sinc", "300-3400", "rate", "8000")
        _run("sox", t / "ulaw.wav", "-e", "signed-integer", "-b", "16", t / "out.wav")
        os.replace(t / "out.wav", path)
    return path


QUALITIES = {"phone8k": synth_phone8k, "radio16k": synth_radio16k}


def synth(row: SpeechRow, quality: str, cache_dir: Path) -> Path:
    """The cached audio file of one speech_dev row at one quality ("phone8k" or "radio16k")."""
    return QUALITIES[quality](row.text, Path(cache_dir) / f"{row.id}_{quality}.wav")


VOICE_SPEEDS = {"mb-id1": (140, 175), "id": (150, 185)}
"""Words per minute of each synthesis voice: its usual pace and a hurried caller's."""
CHANNELS = ("phone8k", "phone8k-15db", "radio16k", "radio16k-20db")
"""Telephone (noise at 25 or 15 dB SNR, 300-3400 Hz, 8 kHz mu-law) and radio (clean 16 kHz, or noise at 20 dB
SNR and a broadcast band of 100-7000 Hz)."""


def synth_form(text: str, path: Path, voice: str = "mb-id1", speed: int = 140, channel: str = "phone8k") -> Path:
    """`text` said by `voice` ("mb-id1" MBROLA or "id" espeak-ng) at `speed` words a minute, through `channel`
    (one of `CHANNELS`), as 16-bit WAV at the channel's rate; cached at `path`."""
    path = Path(path)
    if path.exists():
        return path
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(_seed_for(f"{voice}:{speed}:{channel}:{text}"))
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        t = Path(tmp)
        _run("espeak-ng", "-v", voice, "-s", str(speed), "-w", t / "raw.wav", "--", text)
        _run("sox", t / "raw.wav", "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", t / "m16.wav")
        x = _read_wav(t / "m16.wav")
        snr = {"phone8k": NOISE_SNR_DB, "phone8k-15db": 15.0, "radio16k-20db": 20.0}.get(channel)
        if snr is not None:
            active = x[np.abs(x) > 0.02 * np.abs(x).max()]
            x = x + rng.normal(0, np.sqrt(np.mean(active**2) / 10 ** (snr / 10)), len(x))
        _write_wav(t / "noisy.wav", x, 16000)
        if channel.startswith("phone"):
            _run("sox", t / "noisy.wav", "-r", "8000", "-e", "mu-law", "-b", "8", t / "ulaw.wav",
                 "gain", "-3", "sinc", "300-3400", "rate", "8000")
            _run("sox", t / "ulaw.wav", "-e", "signed-integer", "-b", "16", t / "out.wav")
        elif snr is not None:
            _run("sox", t / "noisy.wav", t / "out.wav", "gain", "-3", "sinc", "100-7000")
        else:
            os.replace(t / "noisy.wav", t / "out.wav")
        os.replace(t / "out.wav", path)
    return path
