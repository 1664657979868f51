"""Audio sources of the radio desk: a sound-card input (sounddevice) and an ffmpeg-decoded stream or file.

Every source delivers 16 kHz mono int16 `Block`s to one callback, in order, from its own thread, and
reports a `Gap` when it lost the device or the stream and got it back. Nothing already captured is
dropped: the capture callback only copies into a queue.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Union

import numpy as np

from transcribe.audio import StreamConverter
from transcribe.types import TARGET_RATE_HZ

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Block:
    """Captured audio, converted to 16 kHz mono int16."""

    samples: np.ndarray


@dataclass(frozen=True)
class Gap:
    """The source was lost and is back; `lost_s` is how long nothing could be captured (wall clock)."""

    lost_s: float
    reason: str


@dataclass(frozen=True)
class End:
    """The source has no more audio (end of a file, or stopped); `error` when it gave up."""

    error: str | None = None


SourceItem = Union[Block, Gap, End]
Sink = Callable[[SourceItem], None]


class SourceError(RuntimeError):
    """The source could not be opened at all."""


class AudioSource:
    """A source running in its own thread until `stop()` or its end; delivers items to `sink`."""

    description = "source"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, sink: Sink) -> None:
        """Start capturing in a background thread."""
        self._thread = threading.Thread(target=self._guard, args=(sink,), name=f"radio-{self.description}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop capturing; `End` is delivered when the thread finishes."""
        self._stop.set()

    def join(self, timeout_s: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _guard(self, sink: Sink) -> None:
        try:
            self._run(sink)
        except Exception as exc:  # the show must hear why its source ended
            log.exception("%s failed", self.description)
            sink(End(error=f"{type(exc).__name__}: {exc}"))
        else:
            sink(End())

    def _run(self, sink: Sink) -> None:
        raise NotImplementedError


# ------------------------------------------------------------------ sound card

class DeviceSource(AudioSource):
    """A sound-card input by PortAudio device name (substring) or index, at its native rate and channels."""

    def __init__(self, device: str | int, *, block_s: float = 0.1, stall_s: float = 2.0, retry_s: float = 0.5) -> None:
        super().__init__()
        self.device = device
        self.block_s = block_s
        self.stall_s = stall_s
        """No audio for this long means the device is lost."""
        self.retry_s = retry_s
        self.description = f"device {device}"
        self.native: tuple[int, int] | None = None
        """(rate_hz, channels) of the open device."""

    def _open(self, raw: "queue.Queue[np.ndarray]"):  # noqa: ANN202 - sounddevice.InputStream
        import sounddevice as sd

        info = sd.query_devices(self.device, "input")
        rate = int(info["default_samplerate"])
        channels = max(1, min(int(info["max_input_channels"]), 2))

        def callback(indata: np.ndarray, frames: int, time_info: object, status: sd.CallbackFlags) -> None:
            raw.put(indata.copy())  # real-time thread: copy and enqueue, nothing else

        stream = sd.InputStream(
            device=info["index"], samplerate=rate, channels=channels, dtype="float32",
            blocksize=int(rate * self.block_s), callback=callback,
        )
        stream.start()
        self.native = (rate, channels)
        log.info("capturing from %s at %d Hz, %d channels", info["name"], rate, channels)
        return stream, StreamConverter(rate, channels, "float32")

    def _run(self, sink: Sink) -> None:
        raw: queue.Queue[np.ndarray] = queue.Queue()
        stream, converter = self._open(raw)
        lost_at: float | None = None
        last_audio = time.monotonic()
        while not self._stop.is_set():
            if stream is not None:
                try:
                    block = raw.get(timeout=0.1)
                except queue.Empty:
                    if stream.active and time.monotonic() - last_audio < self.stall_s:
                        continue
                    log.warning("%s stopped delivering audio; reopening", self.description)
                    lost_at = last_audio
                    self._drain(raw, converter, sink)
                    sink(Block(converter.flush()))
                    _close_quietly(stream)
                    stream = None
                    continue
                last_audio = time.monotonic()
                out = converter.convert(block)
                if len(out):
                    sink(Block(out))
                continue
            try:
                _refresh_portaudio()
                stream, converter = self._open(raw)
            except Exception as exc:  # PortAudioError, ValueError (no such device): retry until stopped
                log.debug("reopening %s failed: %s", self.description, exc)
                self._stop.wait(self.retry_s)
                continue
            last_audio = time.monotonic()
            sink(Gap(lost_s=last_audio - (lost_at or last_audio), reason="perangkat terputus"))
            lost_at = None
        if stream is not None:
            stream.stop()
            self._drain(raw, converter, sink)
            sink(Block(converter.flush()))
            stream.close()

    @staticmethod
    def _drain(raw: "queue.Queue[np.ndarray]", converter: StreamConverter, sink: Sink) -> None:
        while True:
            try:
                block = raw.get_nowait()
            except queue.Empty:
                return
            sink(Block(converter.convert(block)))


def _close_quietly(stream: object) -> None:
    import sounddevice as sd

    try:
        stream.abort()  # type: ignore[attr-defined]
        stream.close()  # type: ignore[attr-defined]
    except sd.PortAudioError as exc:  # the device is already gone
        log.debug("closing a lost stream: %s", exc)


_portaudio_lock = threading.Lock()


def _refresh_portaudio() -> None:
    """Make PortAudio scan devices again (it keeps the list it found at start-up)."""
    import sounddevice as sd

    with _portaudio_lock:
        sd._terminate()
        sd._initialize()


# ------------------------------------------------------------------ ffmpeg streams and files

def is_url(spec: str) -> bool:
    return spec.split("://", 1)[0].lower() in {"http", "https", "icecast", "rtmp", "rtsp", "udp", "tcp", "srt"} and "://" in spec


class StreamSource(AudioSource):
    """An Icecast/HTTP stream or an audio file decoded by ffmpeg.

    `pace`: "realtime" delivers audio no faster than it plays (a file standing in for a live show),
    "fast" as fast as it decodes. A URL that ends or drops is reopened until `stop()`; a file ends the show.
    """

    READ_BYTES = TARGET_RATE_HZ // 10 * 2
    """0.1 s of 16 kHz int16 per read."""

    def __init__(self, location: str | Path, *, pace: str = "realtime", reconnect: bool | None = None,
                 retry_s: float = 1.0, max_retry_s: float = 15.0, speed: float = 1.0,
                 max_outage_s: float | None = None) -> None:
        super().__init__()
        self.location = str(location)
        if pace not in ("realtime", "fast"):
            raise ValueError("pace is realtime or fast")
        self.pace = pace
        self.speed = speed
        self.reconnect = is_url(self.location) if reconnect is None else reconnect
        self.retry_s = retry_s
        self.max_retry_s = max_retry_s
        self.max_outage_s = max_outage_s
        """Give up (end the show) after the stream has been away this long; None: retry until stopped."""
        self.description = f"stream {self.location}"
        self._proc: subprocess.Popen[bytes] | None = None
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise SourceError("ffmpeg is not installed")
        self._ffmpeg = ffmpeg
        if not is_url(self.location) and not Path(self.location).is_file():
            raise SourceError(f"no such file: {self.location}")

    def stop(self) -> None:
        super().stop()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()

    def _command(self) -> list[str]:
        cmd = [self._ffmpeg, "-nostdin", "-hide_banner", "-v", "error"]
        if is_url(self.location) and self.location.lower().startswith(("http", "icecast")):
            cmd += ["-rw_timeout", "10000000"]  # a stalled server counts as a drop after 10 s
        # ffmpeg decodes and downmixes; the one resampler every source shares stays ours (below).
        return cmd + ["-i", self.location, "-map", "0:a:0", "-vn", "-ac", "1", "-f", "f32le", "-acodec", "pcm_f32le",
                      "-ar", str(TARGET_RATE_HZ), "pipe:1"]

    def _run(self, sink: Sink) -> None:
        delay = self.retry_s
        lost_at: float | None = None
        started = time.monotonic()
        delivered_s = 0.0
        while not self._stop.is_set():
            got_audio = False
            converter = StreamConverter(TARGET_RATE_HZ, 1, "float32")
            with subprocess.Popen(self._command(), stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
                self._proc = proc
                stdout: BinaryIO = proc.stdout  # type: ignore[assignment]
                stderr: BinaryIO = proc.stderr  # type: ignore[assignment]
                while chunk := stdout.read(self.READ_BYTES * 2):
                    samples = converter.convert(chunk)
                    if not got_audio:
                        got_audio = True
                        if lost_at is not None:
                            sink(Gap(lost_s=time.monotonic() - lost_at, reason="siaran terputus"))
                            lost_at = None
                        delay = self.retry_s
                    sink(Block(samples))
                    delivered_s += len(samples) / TARGET_RATE_HZ
                    if self.pace == "realtime":
                        ahead = started + delivered_s / self.speed - time.monotonic()
                        if ahead > 0 and self._stop.wait(ahead):
                            break
                tail = converter.flush()
                if len(tail):
                    sink(Block(tail))
                stdout.close()
                if proc.poll() is None:
                    proc.terminate()
                errors = stderr.read().decode(errors="replace").strip()
                returncode = proc.wait()
            self._proc = None
            if self._stop.is_set():
                return
            if not self.reconnect:
                if returncode != 0 and not got_audio:
                    raise SourceError(f"ffmpeg could not read {self.location}: {errors.splitlines()[-1:] or returncode}")
                return
            if lost_at is None:
                lost_at = time.monotonic()
                log.warning("%s dropped (%s); reconnecting", self.description, errors.splitlines()[-1:] or "end of stream")
            elif self.max_outage_s is not None and time.monotonic() - lost_at > self.max_outage_s:
                log.warning("%s away for %.0f s; the show ends", self.description, time.monotonic() - lost_at)
                return
            if self.pace == "realtime":
                # Keep pacing by the clock: the outage is wall-clock time, not audio.
                started = time.monotonic() - delivered_s / self.speed
            self._stop.wait(delay)
            delay = min(delay * 2, self.max_retry_s)


def open_source(spec: str, *, pace: str = "realtime") -> AudioSource:
    """A source from what the operator typed: a URL, an existing file, or a device index or name."""
    spec = spec.strip()
    if is_url(spec):
        return StreamSource(spec, pace="fast")  # a live server sets the pace itself
    if os.path.sep in spec or Path(spec).is_file():
        return StreamSource(spec, pace=pace)
    return DeviceSource(int(spec) if spec.isdigit() else spec)
