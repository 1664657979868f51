"""Synthesised radio shows and a virtual sound card for the radio desk tests and scripts/bench_radio.py."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.speech import speech_dev_rows, synth_radio16k

RATE = 16_000


def jingle(seconds: float = 2.0, rate: int = RATE) -> np.ndarray:
    """A station jingle: held notes with harmonics, like a short musical ident (int16)."""
    notes = [523.25, 659.25, 783.99, 1046.5]
    per = int(seconds * rate / len(notes))
    t = np.arange(per) / rate
    parts = []
    for f in notes:
        tone = sum((0.5 / k) * np.sin(2 * np.pi * f * k * t) for k in (1, 2, 3))
        envelope = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.02)
        parts.append(tone * envelope)
    return (np.concatenate(parts) * 0.3 * 32767).astype(np.int16)


def silence(seconds: float, rate: int = RATE) -> np.ndarray:
    return np.zeros(int(seconds * rate), dtype=np.int16)


def speech(text: str, cache: Path) -> np.ndarray:
    """espeak-ng Indonesian speech at 16 kHz, cached."""
    import hashlib

    path = synth_radio16k(text, cache / f"{hashlib.sha1(text.encode()).hexdigest()[:12]}.wav")
    samples, rate = sf.read(path, dtype="int16")
    assert rate == RATE
    return samples


@dataclass(frozen=True)
class ShowScript:
    """A synthesised show and where its callers are."""

    samples: np.ndarray
    callers: list[tuple[float, float, str]]
    """(start_s, end_s, text) of every caller."""


def make_show(cache: Path, caller_texts: list[str], *, lead_s: float = 1.0, pause_s: float = 2.5, jingle_s: float = 2.0) -> ShowScript:
    """Callers separated by a pause and a jingle: [lead] caller [pause jingle pause] caller ..."""
    parts = [silence(lead_s)]
    callers = []
    at = lead_s
    for i, text in enumerate(caller_texts):
        if i:
            for part in (silence(pause_s), jingle(jingle_s), silence(1.0)):
                parts.append(part)
                at += len(part) / RATE
        voice = speech(text, cache)
        callers.append((at, at + len(voice) / RATE, text))
        parts.append(voice)
        at += len(voice) / RATE
    parts.append(silence(3.0))
    return ShowScript(np.concatenate(parts), callers)


def caller_texts(n: int) -> list[str]:
    """The first n speech_dev sentences (complaints in Indonesian)."""
    return [row.text for row in speech_dev_rows(n)]


def char_error_rate(reference: str, heard: str) -> float:
    """Character error rate of what was heard against what was said, over lower-case letters and single spaces.

    Whisper base on synthesised Indonesian lands around 0.2-0.35; an unrelated sentence is above 0.7.
    """
    import re

    import jiwer

    def letters(text: str) -> str:
        return " ".join(re.sub(r"[^a-z]+", " ", text.lower()).split())

    said, got = letters(reference), letters(heard)
    return 1.0 if not got else float(jiwer.cer(said, got))


def write_mp3(samples: np.ndarray, path: Path) -> Path:
    """Encode int16 16 kHz mono as a 44.1 kHz stereo MP3, like a station's stream."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "show.wav"
        sf.write(wav, samples, RATE, subtype="PCM_16")
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-ac", "2", "-ar", "44100",
                        "-b:a", "128k", str(path)], check=True)
    return path


class PulseServer:
    """A private PulseAudio daemon with a null sink 'studio' (its monitor is the capture device).

    Runs as any user, root included, with its runtime and state in a temp directory; clients in this
    process find it through PULSE_SERVER, and PortAudio reaches it through the ALSA 'pulse' device.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        self.socket = self.root / "pulse" / "native"
        self.config = self.root / "default.pa"
        self.config.write_text(
            "load-module module-native-protocol-unix auth-anonymous=1\n"
            "load-module module-null-sink sink_name=studio rate=48000 channels=2 "
            "sink_properties=device.description=Studio\n"
            "set-default-source studio.monitor\n"
        )
        self.env = {
            "XDG_RUNTIME_DIR": str(self.root), "PULSE_RUNTIME_PATH": str(self.root / "pulse"),
            "PULSE_STATE_PATH": str(self.root / "state"), "HOME": str(self.root),
            "PULSE_SERVER": f"unix:{self.socket}", "PULSE_SOURCE": "studio.monitor", "PULSE_SINK": "studio",
        }
        self.proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def missing() -> str | None:
        if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
            return "pulseaudio/pulseaudio-utils not installed"
        if not Path("/usr/lib/x86_64-linux-gnu/alsa-lib/libasound_module_pcm_pulse.so").exists() and not list(
            Path("/usr/lib").glob("*/alsa-lib/libasound_module_pcm_pulse.so")
        ):
            return "libasound2-plugins (ALSA pulse device) not installed"
        return None

    def start(self) -> None:
        env = dict(os.environ, **self.env)
        self.proc = subprocess.Popen(
            ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "--system=false", "--disallow-exit",
             "--use-pid-file=false", "-n", "-F", str(self.config), "--log-target=stderr", "--log-level=error"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("PulseAudio did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def play(self, samples: np.ndarray, rate: int = RATE) -> subprocess.Popen[bytes]:
        """Play int16 mono into the studio sink at real-time pace (paplay); returns the running player."""
        wav = self.root / f"play-{time.monotonic_ns()}.wav"
        sf.write(wav, samples, rate, subtype="PCM_16")
        return subprocess.Popen(["paplay", "--device=studio", str(wav)], env=dict(os.environ, **self.env),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class StationServer:
    """A loopback station serving an MP3, as a live Icecast stream or as a plain file.

    live=True: ICY headers, no length; the first `drops` connections break after `cut_bytes`; a new
    connection resumes after what was sent (`restart=False`, a live stream goes on from where the station
    is now) or from the beginning (`restart=True`, a server that restarts its file); when everything was
    sent, 404. `bytes_per_s` paces the body like a live server (0: as fast as the client reads).
    live=False: a file with Content-Length and no ICY headers, sent whole.
    """

    def __init__(self, body: bytes, *, live: bool = True, drops: int = 0, cut_bytes: int = 0, restart: bool = False,
                 bytes_per_s: float = 0.0) -> None:
        self.body, self.live, self.drops, self.cut_bytes, self.restart = body, live, drops, cut_bytes, restart
        self.bytes_per_s = bytes_per_s
        self.sent = 0
        self.requests = 0
        self.heads = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def _headers(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "audio/mpeg")
                if outer.live:
                    self.send_header("icy-name", "Malowopati FM")
                    self.send_header("icy-br", "128")
                else:
                    self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()

            def do_HEAD(self) -> None:  # noqa: N802
                outer.heads += 1
                self._headers()

            def do_GET(self) -> None:  # noqa: N802
                outer.requests += 1
                if not outer.live:
                    self._headers()
                    self.wfile.write(outer.body)
                    return
                start = 0 if outer.restart else outer.sent
                if start >= len(outer.body):
                    self.send_error(404)
                    return
                self._headers()
                rest = outer.body[start:]
                if outer.drops > 0:
                    outer.drops -= 1
                    rest = rest[: outer.cut_bytes]
                self._send(rest)

            def _send(self, data: bytes) -> None:
                step = 4096
                began = time.monotonic()
                for i in range(0, len(data), step):
                    if outer.bytes_per_s:
                        ahead = began + i / outer.bytes_per_s - time.monotonic()
                        if ahead > 0:
                            time.sleep(ahead)
                    chunk = data[i : i + step]
                    try:
                        self.wfile.write(chunk)
                    except (BrokenPipeError, ConnectionResetError):  # the client went away
                        return
                    outer.sent += len(chunk)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/live.mp3"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "StationServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# ------------------------------------------------------------------ fixtures: a two-caller show, once per module
@pytest.fixture(scope="module")
def show_cache(tmp_path_factory) -> Path:  # noqa: ANN001
    return tmp_path_factory.mktemp("radio-speech")


@pytest.fixture(scope="module")
def show_script(show_cache: Path) -> ShowScript:
    """Two callers separated by a pause and a jingle."""
    return make_show(show_cache, caller_texts(2))


@pytest.fixture(scope="module")
def show_mp3(show_cache: Path, show_script: ShowScript) -> bytes:
    """The show as the station's MP3."""
    return write_mp3(show_script.samples, show_cache / "show.mp3").read_bytes()
