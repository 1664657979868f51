"""Audio sources of the radio desk: a sound-card input (sounddevice) and an ffmpeg-decoded stream or file.

Every source delivers 16 kHz mono int16 `Block`s to one callback, in order, from its own thread, and
reports a `Gap` when it lost the device or the stream and got it back. Nothing already captured is
dropped: the capture callback only copies into a queue.

A local file, or an HTTP response that is a file (a Content-Length and no Icecast/ICY headers), ends the
show at its end; a live stream that drops is reconnected. A source that gives up ends with an Indonesian
reason people read on the radio page.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Union

import numpy as np

from models.errors import SuaraError
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
    """The source has no more audio (end of a file, or stopped); `error` (Indonesian) when it gave up."""

    error: str | None = None


SourceItem = Union[Block, Gap, End]
Sink = Callable[[SourceItem], None]


class SourceError(SuaraError):
    """The source could not be opened, or was lost for good; `message_id` says why in Indonesian."""

    code = "radio_source"
    message_id = "Sumber audio tidak dapat dibuka."
    http_status = 400


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
        except SourceError as exc:
            log.warning("%s: %s", self.description, exc.detail or exc.message_id)
            sink(End(error=exc.message_id))
        except Exception as exc:  # the show must hear why its source ended
            log.exception("%s failed", self.description)
            sink(End(error=f"Sumber audio berhenti karena galat: {type(exc).__name__}: {exc}"))
        else:
            sink(End())

    def _run(self, sink: Sink) -> None:
        raise NotImplementedError


# ------------------------------------------------------------------ sound card

@dataclass(frozen=True)
class InputDevice:
    """A PortAudio input the start form offers."""

    index: int
    name: str
    channels: int
    rate_hz: int
    """Its default sample rate."""
    default: bool


def list_input_devices() -> list[InputDevice]:
    """The sound-card inputs PortAudio sees now (an empty list when there are none, or no PortAudio)."""
    try:
        import sounddevice as sd
    except OSError as exc:  # no PortAudio library
        log.warning("cannot list sound cards: %s", exc)
        return []
    try:
        _refresh_portaudio(unless_capturing=True)
        devices = sd.query_devices()
        default_in = sd.default.device[0]
    except sd.PortAudioError as exc:
        log.warning("cannot list sound cards: %s", exc)
        return []
    return [
        InputDevice(int(d["index"]), str(d["name"]), int(d["max_input_channels"]), int(d["default_samplerate"]),
                    int(d["index"]) == default_in)
        for d in devices if int(d["max_input_channels"]) > 0
    ]


def _no_device(device: str | int, detail: str) -> SourceError:
    return SourceError(detail, f"Perangkat masukan “{device}” tidak ditemukan atau tidak dapat dibuka. "
                               "Pilih salah satu kartu suara yang terdaftar di formulir.")


def check_device(device: str | int) -> None:
    """Raise SourceError (Indonesian) unless `device` names or numbers an input PortAudio sees now."""
    try:
        import sounddevice as sd
    except OSError as exc:  # no PortAudio library
        raise _no_device(device, str(exc)) from None
    try:
        _refresh_portaudio(unless_capturing=True)
        sd.query_devices(device, "input")
    except (ValueError, sd.PortAudioError) as exc:  # no such device, not an input
        raise _no_device(device, str(exc)) from None

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
        _capturing.add(id(self))
        self.native = (rate, channels)
        log.info("capturing from %s at %d Hz, %d channels", info["name"], rate, channels)
        return stream, StreamConverter(rate, channels, "float32")

    def _run(self, sink: Sink) -> None:
        import sounddevice as sd

        raw: queue.Queue[np.ndarray] = queue.Queue()
        try:
            stream, converter = self._open(raw)
        except (ValueError, sd.PortAudioError) as exc:  # no such device, busy, not an input
            raise _no_device(self.device, str(exc)) from None
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
                    _capturing.discard(id(self))
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
            _capturing.discard(id(self))

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
_capturing: set[int] = set()
"""ids of the DeviceSources with a stream open: PortAudio cannot be re-initialised under them."""


def _refresh_portaudio(*, unless_capturing: bool = False) -> None:
    """Make PortAudio scan devices again (it keeps the list it found at start-up). `unless_capturing`:
    not while a show captures from a sound card (re-initialising would close its stream)."""
    import sounddevice as sd

    with _portaudio_lock:
        if unless_capturing and _capturing:
            return
        sd._terminate()
        sd._initialize()


# ------------------------------------------------------------------ ffmpeg streams and files

def is_url(spec: str) -> bool:
    return spec.split("://", 1)[0].lower() in {"http", "https", "icecast", "rtmp", "rtsp", "udp", "tcp", "srt"} and "://" in spec


def _is_http(location: str) -> bool:
    return location.lower().startswith(("http://", "https://"))


_UNREACHABLE_HTTP = {401, 403, 404, 410}
"""Answers that mean the stream is not there (as opposed to a server that does not do HEAD)."""


def http_is_live_stream(url: str, timeout_s: float = 10.0) -> bool:
    """Whether an HTTP source is a live stream (Icecast/ICY headers, or no length) rather than a file.

    Asks with HEAD, so no listener slot is held and no audio is consumed. Raises OSError (URLError,
    HTTPError, timeouts) when the server cannot be reached or has no such stream.
    """
    request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "SuaraWarga-radio", "Icy-MetaData": "1"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 - http(s) only, checked by the caller
            headers = {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        if exc.code in _UNREACHABLE_HTTP or (exc.code >= 500 and exc.code != 501):
            raise
        return True  # a server that does not do HEAD (405, 501: old Icecast, Shoutcast) is a streaming server
    if any(k.startswith(("icy-", "ice-")) for k in headers) or "icecast" in headers.get("server", "").lower():
        return True
    return "content-length" not in headers or headers.get("transfer-encoding", "").lower() == "chunked"


class StreamSource(AudioSource):
    """An Icecast/HTTP stream or an audio file decoded by ffmpeg.

    `pace`: "realtime" delivers audio no faster than it plays (a file standing in for a live show),
    "fast" as fast as it decodes. `reconnect`: None decides by the source: a live stream (an Icecast/ICY
    server, a response without a length, RTMP/RTSP/UDP/SRT) is reopened when it drops, until `stop()`;
    a local file or an HTTP file ends the show at its end.
    """

    READ_BYTES = TARGET_RATE_HZ // 10 * 2
    """0.1 s of 16 kHz int16 per read."""

    def __init__(self, location: str | Path, *, pace: str = "realtime", reconnect: bool | None = None,
                 retry_s: float = 1.0, max_retry_s: float = 15.0, speed: float = 1.0,
                 max_outage_s: float | None = 300.0, attempts: int = 5) -> None:
        super().__init__()
        self.location = str(location)
        if pace not in ("realtime", "fast"):
            raise ValueError("pace is realtime or fast")
        self.pace = pace
        self.speed = speed
        self.reconnect = reconnect if reconnect is not None or _is_http(self.location) else is_url(self.location)
        """None until an HTTP source has been asked whether it is a live stream."""
        self.retry_s = retry_s
        self.max_retry_s = max_retry_s
        self.max_outage_s = max_outage_s
        """Give up (the show fails) after a live stream has been away this long; None: retry until stopped."""
        self.attempts = attempts
        """Tries to reach a stream before the show fails as unreachable."""
        self.description = f"stream {self.location}"
        self._proc: subprocess.Popen[bytes] | None = None
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise SourceError("ffmpeg is not installed", "ffmpeg tidak terpasang; sumber siaran dan berkas tidak dapat dibaca.")
        self._ffmpeg = ffmpeg
        if not is_url(self.location) and not Path(self.location).is_file():
            raise SourceError(f"no such file: {self.location}", f"Berkas “{self.location}” tidak ditemukan.")

    def stop(self) -> None:
        super().stop()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()

    def _command(self) -> list[str]:
        cmd = [self._ffmpeg, "-nostdin", "-hide_banner", "-v", "error"]
        if _is_http(self.location):
            cmd += ["-rw_timeout", "10000000"]  # a stalled server counts as a drop after 10 s
            if not self.reconnect:
                cmd += ["-reconnect", "1"]  # a file resumes where a dropped connection left it (Range)
        # ffmpeg decodes and downmixes; the one resampler every source shares stays ours (below).
        return cmd + ["-i", self.location, "-map", "0:a:0", "-vn", "-ac", "1", "-f", "f32le", "-acodec", "pcm_f32le",
                      "-ar", str(TARGET_RATE_HZ), "pipe:1"]

    def _unreachable(self, detail: str) -> SourceError:
        return SourceError(detail, f"Siaran {self.location} tidak dapat dihubungi setelah {self.attempts} percobaan ({detail}).")

    def _decide_reconnect(self) -> None:
        """Ask an HTTP source whether it is a live stream, retrying; the show fails when it stays unreachable."""
        delay = self.retry_s
        for attempt in range(1, self.attempts + 1):
            try:
                self.reconnect = http_is_live_stream(self.location)
            except (OSError, ValueError) as exc:  # URLError, HTTPError, timeouts; ValueError: a malformed URL
                detail = f"HTTP {exc.code}" if isinstance(exc, urllib.error.HTTPError) else str(getattr(exc, "reason", exc))
                log.warning("%s: attempt %d of %d failed: %s", self.description, attempt, self.attempts, detail)
                if attempt == self.attempts:
                    raise self._unreachable(detail) from None
                if self._stop.wait(delay):
                    return
                delay = min(delay * 2, self.max_retry_s)
            else:
                log.info("%s is a %s", self.description, "live stream" if self.reconnect else "file (ends the show at its end)")
                return

    def _run(self, sink: Sink) -> None:
        if self.reconnect is None:
            self._decide_reconnect()
        delay = self.retry_s
        lost_at: float | None = None
        started = time.monotonic()
        delivered_s = 0.0
        failures = 0
        """Attempts in a row that brought no audio."""
        while not self._stop.is_set():
            got_audio = False
            converter = StreamConverter(TARGET_RATE_HZ, 1, "float32")
            # Its own session: Ctrl-C in the terminal reaches us, and we end ffmpeg, not the other way round.
            with subprocess.Popen(self._command(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True) as proc:
                self._proc = proc
                stdout: BinaryIO = proc.stdout  # type: ignore[assignment]
                stderr: BinaryIO = proc.stderr  # type: ignore[assignment]
                while chunk := stdout.read(self.READ_BYTES * 2):
                    samples = converter.convert(chunk)
                    if not got_audio:
                        got_audio = True
                        failures = 0
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
            last_error = (errors.splitlines() or [f"ffmpeg exit {returncode}"])[-1]
            if not self.reconnect:
                if returncode != 0 and not got_audio:
                    raise SourceError(f"ffmpeg could not read {self.location}: {last_error}",
                                      f"Sumber “{self.location}” tidak dapat dibaca sebagai audio ({last_error}).")
                return
            if not got_audio:
                failures += 1
                if delivered_s == 0 and failures >= self.attempts:
                    raise self._unreachable(last_error)
            if lost_at is None:
                lost_at = time.monotonic()
                log.warning("%s dropped (%s); reconnecting", self.description, last_error if returncode else "end of stream")
            elif self.max_outage_s is not None and time.monotonic() - lost_at > self.max_outage_s:
                raise SourceError(f"away for {time.monotonic() - lost_at:.0f} s",
                                  f"Siaran {self.location} terputus lebih dari {self.max_outage_s / 60:g} menit dan tidak kembali; "
                                  "rekaman sampai saat itu tersimpan.")
            if self.pace == "realtime":
                # Keep pacing by the clock: the outage is wall-clock time, not audio.
                started = time.monotonic() - delivered_s / self.speed
            self._stop.wait(delay)
            delay = min(delay * 2, self.max_retry_s)


def open_source(spec: str, *, pace: str = "realtime") -> AudioSource:
    """A source from what the operator typed: a URL, an existing file, or a device index or name.

    Raises SourceError (Indonesian) for a file that does not exist or a device PortAudio does not see.
    """
    spec = spec.strip()
    if not spec:
        raise SourceError("no source", "Isi sumber siaran: kartu suara, URL siaran, atau berkas.")
    if is_url(spec):
        return StreamSource(spec, pace="fast")  # a live server sets the pace itself
    if os.path.sep in spec or Path(spec).is_file():
        return StreamSource(spec, pace=pace)
    device: str | int = int(spec) if spec.isdigit() else spec
    check_device(device)
    return DeviceSource(device)
