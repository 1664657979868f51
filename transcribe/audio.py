"""Audio decoding and conversion: every source becomes 16 kHz mono int16 once, at the entry.

Files and uploads are decoded with soundfile (WAV, FLAC, OGG/Vorbis/Opus, MP3) and, for what libsndfile
cannot read (AAC/M4A, AMR, WebM...), with Debian's ffmpeg in a subprocess. Live sources push blocks
through a `StreamConverter`, which keeps the resampler state so chunked and whole-file conversion agree.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Literal

import numpy as np
import soundfile as sf
import soxr

from transcribe.errors import AudioError, AudioTooLongError, EmptyAudioError
from transcribe.silence import LevelMeter, Loudness
from transcribe.types import TARGET_RATE_HZ

logger = logging.getLogger(__name__)

SampleFormat = Literal["int16", "float32", "mulaw"]

_BLOCK_S = 10.0
"""Decode in blocks of this many seconds, so a long recording never sits in memory at its source rate."""
_FFMPEG_TIMEOUT_S = 600.0
_MAX_CHANNELS = 64


# ---------------------------------------------------------------- G.711 mu-law (Twilio Media Streams)

def _mulaw_table() -> np.ndarray:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (u >> 4) & 0x07
    magnitude = ((((u & 0x0F) << 3) + 0x84) << exponent) - 0x84
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.int16)


_MULAW_TO_INT16 = _mulaw_table()
_MULAW_TO_INT16.flags.writeable = False


def mulaw_decode(data: bytes) -> np.ndarray:
    """Decode G.711 mu-law bytes (one byte a sample) to int16 samples at the same rate."""
    return _MULAW_TO_INT16[np.frombuffer(data, dtype=np.uint8)]


def mulaw_encode(samples: np.ndarray) -> bytes:
    """Encode int16 samples as G.711 mu-law bytes (for answering a media stream, and for tests)."""
    x = np.asarray(samples, dtype=np.int32)
    sign = np.where(x < 0, 0x80, 0x00)
    magnitude = np.minimum(np.abs(x), 32635) + 0x84
    exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 7
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


# ---------------------------------------------------------------- streaming conversion

class StreamConverter:
    """Converts blocks of one source format to mono int16 at `out_rate_hz`, keeping resampler state.

    Not thread-safe: one converter per source. Byte input may split samples or frames anywhere; the
    remainder is kept for the next block.
    """

    def __init__(
        self,
        rate_hz: int,
        channels: int = 1,
        dtype: SampleFormat = "int16",
        out_rate_hz: int = TARGET_RATE_HZ,
    ) -> None:
        if dtype not in ("int16", "float32", "mulaw"):
            raise ValueError(f"unsupported sample format {dtype!r}")
        if rate_hz <= 0 or not 1 <= channels <= _MAX_CHANNELS:
            raise ValueError(f"invalid audio format: {rate_hz} Hz, {channels} channels")
        self.rate_hz = int(rate_hz)
        self.channels = int(channels)
        self.dtype: SampleFormat = dtype
        self.out_rate_hz = int(out_rate_hz)
        self._frame_bytes = {"int16": 2, "float32": 4, "mulaw": 1}[dtype] * self.channels
        self._pending = b""
        self._resampler = (
            soxr.ResampleStream(self.rate_hz, self.out_rate_hz, 1, dtype="float32", quality="HQ")
            if self.rate_hz != self.out_rate_hz
            else None
        )
        self.samples_in = 0
        """Frames accepted so far, at the source rate."""

    @property
    def frame_bytes(self) -> int:
        """Bytes of one frame (all channels) of raw input."""
        return self._frame_bytes

    def convert(self, block: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
        """Convert one block (raw interleaved bytes, or an array of frames) to int16 at the output rate."""
        mono = self._to_mono_float(block)
        self.samples_in += len(mono)
        if self._resampler is None:
            return _to_int16(mono)
        return _to_int16(self._resampler.resample_chunk(mono, last=False))

    def flush(self) -> np.ndarray:
        """The samples still held by the resampler; call once at the end of the source."""
        self._pending = b""
        if self._resampler is None:
            return np.zeros(0, dtype=np.int16)
        return _to_int16(self._resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True))

    def _to_mono_float(self, block: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
        if isinstance(block, np.ndarray):
            frames = self._array_to_float(block)
        else:
            data = self._pending + bytes(block)
            usable = len(data) - len(data) % self._frame_bytes
            self._pending = data[usable:]
            data = data[:usable]
            if self.dtype == "mulaw":
                frames = mulaw_decode(data).astype(np.float32) / 32768.0
            elif self.dtype == "int16":
                frames = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
            else:
                frames = np.frombuffer(data, dtype="<f4").astype(np.float32)
        frames = frames.reshape(-1, self.channels) if frames.ndim == 1 else frames
        if frames.shape[1] != self.channels:
            raise ValueError(f"expected {self.channels} channels, got {frames.shape[1]}")
        mono = frames[:, 0] if self.channels == 1 else frames.mean(axis=1, dtype=np.float32)
        return np.ascontiguousarray(mono, dtype=np.float32)

    def _array_to_float(self, block: np.ndarray) -> np.ndarray:
        if block.dtype == np.int16:
            return block.astype(np.float32) / 32768.0
        if block.dtype == np.uint8 and self.dtype == "mulaw":
            return mulaw_decode(block.tobytes()).astype(np.float32) / 32768.0
        if np.issubdtype(block.dtype, np.floating):
            return block.astype(np.float32, copy=False)
        raise ValueError(f"unsupported sample array dtype {block.dtype}")


def _to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * 32768.0), -32768, 32767).astype(np.int16)


def to_float32(samples: np.ndarray) -> np.ndarray:
    """int16 samples as float32 in [-1, 1), the form most models take."""
    return np.asarray(samples, dtype=np.int16).astype(np.float32) / 32768.0


def resample(samples: np.ndarray, rate_hz: int, out_rate_hz: int = TARGET_RATE_HZ) -> np.ndarray:
    """Resample a whole mono int16 signal (same filter as the streaming path)."""
    if rate_hz == out_rate_hz:
        return np.asarray(samples, dtype=np.int16)
    return _to_int16(soxr.resample(to_float32(samples), rate_hz, out_rate_hz, quality="HQ"))


# ---------------------------------------------------------------- files and uploads

@dataclass(frozen=True)
class AudioInfo:
    """What the container header says about a recording."""

    rate_hz: int
    channels: int
    duration_s: float | None
    """None when the header does not say (some streams)."""
    format: str
    """Container/codec as the decoder names it, e.g. "WAV/PCM_16" or "ogg/opus"."""


def duration_s(samples: np.ndarray, rate_hz: int = TARGET_RATE_HZ) -> float:
    """Length in seconds of a mono signal."""
    return len(samples) / float(rate_hz)


def wav_bytes(samples: np.ndarray, rate_hz: int = TARGET_RATE_HZ) -> bytes:
    """Mono int16 samples as a 16-bit PCM WAV file, in memory: the one WAV encoder of the tree."""
    buffer = io.BytesIO()
    sf.write(buffer, np.asarray(samples, dtype=np.int16), rate_hz, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


def write_wav(path: str | os.PathLike[str], samples: np.ndarray, rate_hz: int = TARGET_RATE_HZ) -> Path:
    """Write mono int16 samples as a 16-bit PCM WAV, atomically (temp file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(wav_bytes(samples, rate_hz))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def audio_info(path: str | os.PathLike[str]) -> AudioInfo:
    """Read a file's header (soundfile, else ffprobe) without decoding it."""
    path = Path(path)
    _check_nonempty_file(path)
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError):
        return _ffprobe(path)
    return AudioInfo(info.samplerate, info.channels, _sf_duration(info), f"{info.format}/{info.subtype}")


BlockSink = Callable[[np.ndarray, int], None]
"""Receives the decoded audio block by block: mono int16 samples and their rate (16 kHz unless native)."""


def decode_file(path: str | os.PathLike[str], max_s: float | None = None) -> np.ndarray:
    """Decode an audio file to 16 kHz mono int16; AudioError if unreadable, longer than `max_s`, or empty."""
    parts: list[np.ndarray] = []
    _stream_file(Path(path), max_s, lambda block, _rate: parts.append(block))
    return _joined(parts)


def decode_bytes(data: bytes, max_s: float | None = None) -> np.ndarray:
    """Decode an uploaded/received audio file held in memory; same rules as `decode_file`."""
    parts: list[np.ndarray] = []
    _stream_bytes(data, max_s, lambda block, _rate: parts.append(block))
    return _joined(parts)


def measure_bytes(data: bytes, max_s: float | None = None) -> Loudness:
    """Length and loudness of an audio file held in memory, decoded block by block without keeping the
    samples (an upload's check costs no memory however long it is); same errors as `decode_bytes`."""
    meter = LevelMeter()
    _stream_bytes(data, max_s, meter.feed, native_rate=True)  # loudness needs no resampling
    loudness = meter.result()
    if loudness.duration_s == 0:
        raise EmptyAudioError("no audio samples")
    return loudness


def _stream_file(path: Path, max_s: float | None, sink: BlockSink, native_rate: bool = False) -> None:
    _check_nonempty_file(path)
    try:
        with sf.SoundFile(str(path)) as snd:
            return _decode_soundfile(snd, max_s, sink, native_rate)
    except (sf.LibsndfileError, RuntimeError) as exc:
        logger.debug("soundfile cannot read %s (%s); trying ffmpeg", path, exc)
    _decode_ffmpeg(path, max_s, sink, native_rate)


def _stream_bytes(data: bytes, max_s: float | None, sink: BlockSink, native_rate: bool = False) -> None:
    if not data:
        raise EmptyAudioError("no bytes")
    try:
        with sf.SoundFile(io.BytesIO(data)) as snd:
            return _decode_soundfile(snd, max_s, sink, native_rate)
    except (sf.LibsndfileError, RuntimeError) as exc:
        logger.debug("soundfile cannot read %d bytes (%s); trying ffmpeg", len(data), exc)
    # ffmpeg needs a seekable input for some containers (MP4 keeps its index at the end).
    with tempfile.NamedTemporaryFile(prefix="suara-audio-", suffix=".bin") as tmp:
        tmp.write(data)
        tmp.flush()
        _decode_ffmpeg(Path(tmp.name), max_s, sink, native_rate)


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    samples = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
    if len(samples) == 0:
        raise EmptyAudioError("no audio samples")
    return samples


def _check_nonempty_file(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise AudioError(f"no such file: {path}") from None
    if size == 0:
        raise EmptyAudioError(f"{path.name}: zero bytes")


def _sf_duration(info: sf._SoundFileInfo | sf.SoundFile) -> float | None:
    frames = info.frames
    # libsndfile reports a huge frame count for streams of unknown length.
    if frames <= 0 or frames >= 2**62:
        return None
    return frames / float(info.samplerate)


def _check_length(seconds: float | None, max_s: float | None, what: str) -> None:
    if max_s is not None and seconds is not None and seconds > max_s:
        raise AudioTooLongError(f"{what}: {seconds:.1f} s, more than the limit of {max_s:.0f} s")


def _finish(converter: StreamConverter, max_s: float | None, what: str, sink: BlockSink) -> None:
    if converter.samples_in == 0:
        raise EmptyAudioError(f"{what}: no audio samples")
    _check_length(converter.samples_in / converter.rate_hz, max_s, what)
    sink(converter.flush(), converter.out_rate_hz)


def _decode_soundfile(snd: sf.SoundFile, max_s: float | None, sink: BlockSink, native_rate: bool = False) -> None:
    what = f"{snd.format}/{snd.subtype}"
    if not 1 <= snd.channels <= _MAX_CHANNELS or snd.samplerate <= 0:
        raise AudioError(f"{what}: implausible header ({snd.samplerate} Hz, {snd.channels} channels)")
    _check_length(_sf_duration(snd), max_s, what)
    converter = StreamConverter(snd.samplerate, snd.channels, "float32", snd.samplerate if native_rate else TARGET_RATE_HZ)
    limit = None if max_s is None else int(max_s * snd.samplerate) + 1
    block = max(1, int(_BLOCK_S * snd.samplerate))
    while True:
        frames = snd.read(block, dtype="float32", always_2d=True)
        if len(frames) == 0:
            break
        sink(converter.convert(frames), converter.out_rate_hz)
        if limit is not None and converter.samples_in > limit:
            break  # the header lied or had no length: stop decoding, _finish raises
    _finish(converter, max_s, what, sink)


def _ffmpeg_tools() -> tuple[str, str]:
    ffmpeg, ffprobe = shutil.which("ffmpeg"), shutil.which("ffprobe")
    if not ffmpeg or not ffprobe:
        raise AudioError("format not readable by libsndfile and ffmpeg is not installed")
    return ffmpeg, ffprobe


def _ffprobe(path: Path) -> AudioInfo:
    _, ffprobe = _ffmpeg_tools()
    cmd = [ffprobe, "-v", "error", "-select_streams", "a:0", "-print_format", "json",
           "-show_entries", "stream=sample_rate,channels,codec_name,duration:format=format_name,duration", str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        raise AudioError("reading the file's header timed out") from None
    try:
        probe = json.loads(proc.stdout or b"{}")
    except json.JSONDecodeError:
        probe = {}
    streams = probe.get("streams") or []
    if proc.returncode != 0 or not streams:
        # ffprobe's words name the (temporary) path and the parser: logged, never shown to the client
        logger.info("ffprobe cannot read %s: %s", path, proc.stderr.decode(errors="replace").strip()[-500:])
        raise AudioError("not a readable audio file")
    stream, fmt = streams[0], probe.get("format") or {}
    duration = None
    for value in (stream.get("duration"), fmt.get("duration")):
        try:
            duration = float(value)
            break
        except (TypeError, ValueError):
            continue
    try:
        rate, channels = int(stream["sample_rate"]), int(stream["channels"])
    except (KeyError, TypeError, ValueError):
        raise AudioError("audio stream without rate or channels") from None
    if rate <= 0 or not 1 <= channels <= _MAX_CHANNELS:
        raise AudioError(f"implausible audio stream ({rate} Hz, {channels} channels)")
    return AudioInfo(rate, channels, duration, f"{fmt.get('format_name', '?')}/{stream.get('codec_name', '?')}")


def _decode_ffmpeg(path: Path, max_s: float | None, sink: BlockSink, native_rate: bool = False) -> None:
    info = _ffprobe(path)
    _check_length(info.duration_s, max_s, info.format)
    ffmpeg, _ = _ffmpeg_tools()
    # ffmpeg only decodes; downmix and resampling are ours, so every path converts the same way.
    cmd = [ffmpeg, "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", "-vn",
           "-ac", str(info.channels), "-ar", str(info.rate_hz)]
    if max_s is not None:
        cmd += ["-t", f"{max_s + 1.0:.3f}"]
    cmd += ["-f", "f32le", "-acodec", "pcm_f32le", "pipe:1"]
    converter = StreamConverter(info.rate_hz, info.channels, "float32", info.rate_hz if native_rate else TARGET_RATE_HZ)
    with tempfile.TemporaryFile() as errors, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors) as proc:
        stdout: BinaryIO = proc.stdout  # type: ignore[assignment]
        block_bytes = int(_BLOCK_S * info.rate_hz) * info.channels * 4
        while chunk := stdout.read(block_bytes):
            sink(converter.convert(chunk), converter.out_rate_hz)
        try:
            returncode = proc.wait(timeout=_FFMPEG_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AudioError("decoding timed out") from None
        if returncode != 0:
            errors.seek(0)
            logger.info("ffmpeg cannot decode %s: %s", path, errors.read().decode(errors="replace").strip()[-500:])
            raise AudioError(f"could not decode {info.format}")
    _finish(converter, max_s, info.format, sink)
