"""Audio decoding and conversion: formats, bad input, resampling, streaming equivalence, mu-law."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests import speech
from transcribe import audio
from transcribe.audio import StreamConverter, decode_bytes, decode_file, mulaw_decode, mulaw_encode
from transcribe.errors import AudioError, AudioTooLongError, EmptyAudioError

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="Debian ffmpeg not installed")
needs_synth = pytest.mark.skipif(bool(speech.synth_tools_missing()), reason="espeak-ng/mbrola-id1/sox missing")


@pytest.fixture(scope="session")
def speech_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def speech_wav(speech_cache: Path) -> Path:
    """A synthesised Indonesian sentence, 16 kHz mono int16."""
    if speech.synth_tools_missing():
        pytest.skip("speech synthesis tools missing")
    return speech.synth(speech.speech_dev_rows(1)[0], "radio16k", speech_cache)


@pytest.fixture(scope="session")
def speech_samples(speech_wav: Path) -> np.ndarray:
    samples, rate = sf.read(speech_wav, dtype="int16")
    assert rate == 16_000
    return samples


def _envelope(x: np.ndarray, rate: int = 16_000) -> np.ndarray:
    frame = rate // 50
    n = len(x) // frame
    return np.sqrt(np.mean((x[: n * frame].astype(np.float64) / 32768).reshape(n, frame) ** 2, axis=1))


def _similar(decoded: np.ndarray, original: np.ndarray) -> float:
    """Best correlation of 20 ms loudness envelopes over small shifts (lossy codecs add delay)."""
    a, b = _envelope(decoded), _envelope(original)
    best = -1.0
    for shift in range(0, 6):
        n = min(len(a) - shift, len(b))
        best = max(best, float(np.corrcoef(a[shift : shift + n], b[:n])[0, 1]))
    return best


# name, ffmpeg output options, extension, lossless
FORMATS = [
    ("wav-16k-mono", ["-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le"], "wav", True),
    ("wav-44k-stereo", ["-ar", "44100", "-ac", "2", "-c:a", "pcm_s16le"], "wav", False),
    ("wav-8k-mulaw", ["-ar", "8000", "-ac", "1", "-c:a", "pcm_mulaw"], "wav", False),
    ("flac-48k", ["-ar", "48000", "-ac", "1", "-c:a", "flac"], "flac", False),
    ("flac-16k", ["-ar", "16000", "-ac", "1", "-c:a", "flac"], "flac", True),
    ("ogg-opus-whatsapp", ["-ar", "16000", "-ac", "1", "-c:a", "libopus", "-b:a", "16k"], "ogg", False),
    ("mp3-22k", ["-ar", "22050", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "48k"], "mp3", False),
    ("m4a-aac-ffmpeg-only", ["-ar", "44100", "-ac", "2", "-c:a", "aac", "-b:a", "64k"], "m4a", False),
]


@pytest.fixture(scope="session")
def encoded(speech_wav: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if shutil.which("ffmpeg") is None:
        pytest.skip("Debian ffmpeg not installed")
    out = tmp_path_factory.mktemp("formats")
    files = {}
    for name, options, ext, _ in FORMATS:
        path = out / f"{name}.{ext}"
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(speech_wav), *options, str(path)], check=True)
        files[name] = path
    return files


@needs_ffmpeg
@pytest.mark.parametrize("name,options,ext,lossless", FORMATS, ids=[f[0] for f in FORMATS])
@pytest.mark.parametrize("source", ["file", "bytes"])
def test_decodes_each_format_to_16k_mono_int16(
    encoded: dict[str, Path], speech_samples: np.ndarray, name: str, options: list[str], ext: str, lossless: bool,
    source: str,
) -> None:
    path = encoded[name]
    samples = decode_file(path) if source == "file" else decode_bytes(path.read_bytes())
    assert samples.dtype == np.int16 and samples.ndim == 1
    # Codecs pad a few frames (MP3/AAC priming, Opus pre-skip); the length stays within 0.1 s.
    assert abs(len(samples) - len(speech_samples)) / 16_000 < 0.1
    if lossless:
        np.testing.assert_array_equal(samples, speech_samples)
    else:
        assert _similar(samples, speech_samples) > 0.95


def test_audio_info_reads_header(encoded: dict[str, Path], speech_samples: np.ndarray) -> None:
    info = audio.audio_info(encoded["wav-44k-stereo"])
    assert (info.rate_hz, info.channels) == (44_100, 2)
    assert info.duration_s == pytest.approx(len(speech_samples) / 16_000, abs=0.01)
    m4a = audio.audio_info(encoded["m4a-aac-ffmpeg-only"])
    assert m4a.rate_hz == 44_100 and "aac" in m4a.format


GARBAGE = [
    pytest.param(b"this is certainly not audio\n" * 200, id="text"),
    pytest.param(np.random.default_rng(5).integers(0, 256, 50_000, dtype=np.uint8).tobytes(), id="random"),
    pytest.param(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + b"\x00" * 40, id="broken-wav-header"),
    pytest.param(b"OggS" + b"\x00" * 300, id="broken-ogg"),
]


@pytest.mark.parametrize("data", GARBAGE)
def test_garbage_is_rejected(data: bytes, tmp_path: Path) -> None:
    with pytest.raises(AudioError) as exc:
        decode_bytes(data)
    assert exc.value.code in {"audio_invalid", "audio_empty"}
    assert exc.value.message_id  # Indonesian text for people
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    with pytest.raises(AudioError):
        decode_file(path)


def test_empty_inputs(tmp_path: Path) -> None:
    with pytest.raises(EmptyAudioError):
        decode_bytes(b"")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(EmptyAudioError):
        decode_file(empty)
    no_frames = tmp_path / "no_frames.wav"
    sf.write(no_frames, np.zeros(0, dtype=np.int16), 8000, subtype="PCM_16")
    with pytest.raises(EmptyAudioError) as exc:
        decode_file(no_frames)
    assert exc.value.code == "audio_empty"
    with pytest.raises(EmptyAudioError):
        decode_bytes(no_frames.read_bytes())


def test_missing_file() -> None:
    with pytest.raises(AudioError, match="no such file"):
        decode_file("/nonexistent/call.wav")


def _sine(freq_hz: float, rate_hz: int, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate_hz * seconds)) / rate_hz
    return amplitude * np.sin(2 * np.pi * freq_hz * t)


def _peak_hz(x: np.ndarray, rate_hz: int = 16_000) -> float:
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate_hz)[np.argmax(spectrum)])


@pytest.mark.parametrize("rate_hz", [8_000, 11_025, 22_050, 44_100, 48_000])
def test_other_rates_are_resampled(rate_hz: int, tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    sf.write(path, _sine(440, rate_hz, 2.0), rate_hz, subtype="PCM_16")
    samples = decode_file(path)
    assert len(samples) == pytest.approx(32_000, abs=2)
    assert _peak_hz(samples) == pytest.approx(440, abs=1)
    assert np.abs(samples[1000:-1000]).max() == pytest.approx(0.5 * 32768, rel=0.02)


def test_stereo_is_averaged(tmp_path: Path) -> None:
    left, right = _sine(300, 16_000, 1.0, 0.4), _sine(1000, 16_000, 1.0, 0.2)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), 16_000, subtype="FLOAT")
    samples = decode_file(path)
    expected = np.rint((left + right) / 2 * 32768)
    np.testing.assert_allclose(samples, expected, atol=1)


def test_over_long_is_rejected_from_the_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "long.wav"
    sf.write(path, np.zeros(8000 * 30, dtype=np.int16), 8000, subtype="PCM_16")

    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("decoded although the header already says it is too long")

    monkeypatch.setattr(StreamConverter, "convert", no_decoding)
    with pytest.raises(AudioTooLongError) as exc:
        decode_file(path, max_s=10)
    assert exc.value.code == "audio_too_long"
    with pytest.raises(AudioTooLongError):
        decode_bytes(path.read_bytes(), max_s=10)


@needs_ffmpeg
def test_over_long_through_ffmpeg(encoded: dict[str, Path], speech_samples: np.ndarray) -> None:
    seconds = len(speech_samples) / 16_000
    with pytest.raises(AudioTooLongError):
        decode_file(encoded["m4a-aac-ffmpeg-only"], max_s=seconds / 2)
    assert len(decode_file(encoded["m4a-aac-ffmpeg-only"], max_s=seconds + 1)) > 0


def test_within_limit_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "ok.wav"
    sf.write(path, np.ones(16_000 * 3, dtype=np.int16), 16_000, subtype="PCM_16")
    assert len(decode_file(path, max_s=3.0)) == 48_000


def _chunks(data: bytes | np.ndarray, seed: int, max_len: int) -> list:
    rng = np.random.default_rng(seed)
    out, i = [], 0
    while i < len(data):
        n = int(rng.integers(1, max_len))
        out.append(data[i : i + n])
        i += n
    return out


@pytest.mark.parametrize(
    "rate_hz,channels,dtype",
    [(8_000, 1, "int16"), (8_000, 1, "mulaw"), (48_000, 2, "float32"), (44_100, 1, "int16"), (16_000, 1, "int16")],
)
def test_stream_converter_matches_whole_conversion(rate_hz: int, channels: int, dtype: str) -> None:
    rng = np.random.default_rng(3)
    seconds = 3.0
    signal = np.stack([_sine(350 + 200 * c, rate_hz, seconds, 0.3) for c in range(channels)], axis=1)
    signal += rng.normal(0, 0.01, signal.shape)
    if dtype == "int16":
        raw = np.rint(signal * 32767).astype("<i2").tobytes()
    elif dtype == "float32":
        raw = signal.astype("<f4").tobytes()
    else:
        raw = mulaw_encode(np.rint(signal[:, 0] * 32767).astype(np.int16))

    whole = StreamConverter(rate_hz, channels, dtype)  # type: ignore[arg-type]
    expected = np.concatenate([whole.convert(raw), whole.flush()])
    chunked = StreamConverter(rate_hz, channels, dtype)  # type: ignore[arg-type]
    # Chunks of odd byte sizes split samples and frames; Twilio sends 160-byte frames.
    parts = [chunked.convert(c) for c in _chunks(raw, seed=rate_hz, max_len=1500)]
    got = np.concatenate(parts + [chunked.flush()])

    assert len(got) == len(expected)
    assert len(got) == pytest.approx(seconds * 16_000, abs=2)
    assert np.abs(got.astype(np.int32) - expected).max() <= 2


def test_stream_converter_accepts_arrays() -> None:
    x = np.rint(_sine(500, 8000, 1.0, 0.3) * 32767).astype(np.int16)
    converter = StreamConverter(8000, 1, "int16")
    out = np.concatenate([converter.convert(x[:3000]), converter.convert(x[3000:]), converter.flush()])
    assert len(out) == 16_000
    assert _peak_hz(out) == pytest.approx(500, abs=1)


def test_stream_converter_rejects_bad_formats() -> None:
    with pytest.raises(ValueError):
        StreamConverter(8000, dtype="alaw")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        StreamConverter(0)


def test_mulaw_reference_values() -> None:
    np.testing.assert_array_equal(mulaw_decode(bytes([0x00, 0x7F, 0x80, 0xFF, 0x7E, 0xFE])),
                                  [-32124, 0, 32124, 0, -8, 8])
    x = np.arange(-32768, 32768, 3, dtype=np.int16)
    back = mulaw_decode(mulaw_encode(x)).astype(np.int32)
    # G.711 keeps about 8 bits of precision: error under 1/32 of the magnitude, plus the smallest step.
    assert np.all(np.abs(back - x) <= np.abs(x.astype(np.int32)) / 32 + 8)


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed")
def test_mulaw_agrees_with_sox(tmp_path: Path) -> None:
    x = np.arange(-32768, 32768, 5, dtype=np.int16)
    (tmp_path / "x.raw").write_bytes(x.tobytes())
    raw = ["-t", "raw", "-r", "8000", "-c", "1"]
    subprocess.run(["sox", "-D", *raw, "-e", "signed", "-b", "16", str(tmp_path / "x.raw"),
                    *raw, "-e", "mu-law", "-b", "8", str(tmp_path / "x.ul")], check=True)
    ulaw = (tmp_path / "x.ul").read_bytes()
    subprocess.run(["sox", "-D", *raw, "-e", "mu-law", "-b", "8", str(tmp_path / "x.ul"),
                    *raw, "-e", "signed", "-b", "16", str(tmp_path / "y.raw")], check=True)
    np.testing.assert_array_equal(mulaw_decode(ulaw), np.frombuffer((tmp_path / "y.raw").read_bytes(), np.int16))
    # sox rounds to 14 bits before encoding where G.711 reference code truncates: codes differ by one
    # step at some segment boundaries, never more.
    ours, theirs = np.frombuffer(mulaw_encode(x), np.uint8), np.frombuffer(ulaw, np.uint8)
    assert np.mean(ours == theirs) > 0.99
    assert np.abs(mulaw_decode(ours.tobytes()).astype(np.int32) - mulaw_decode(ulaw)).max() <= 1024


def test_twilio_media_frame_to_16k() -> None:
    # Twilio Media Streams: base64 of 20 ms of 8 kHz mu-law per message.
    import base64

    tone = np.rint(_sine(600, 8000, 1.0, 0.3) * 32767).astype(np.int16)
    payloads = [base64.b64encode(mulaw_encode(tone[i : i + 160])).decode() for i in range(0, 8000, 160)]
    converter = StreamConverter(8000, 1, "mulaw")
    out = np.concatenate([converter.convert(base64.b64decode(p)) for p in payloads] + [converter.flush()])
    assert len(out) == 16_000
    assert _peak_hz(out) == pytest.approx(600, abs=1)


def test_write_wav_roundtrip_and_duration(tmp_path: Path) -> None:
    x = (np.arange(16_000 * 2) % 2000 - 1000).astype(np.int16)
    path = audio.write_wav(tmp_path / "sub" / "call.wav", x)
    assert not list((tmp_path / "sub").glob("*.tmp"))
    info = sf.info(path)
    assert (info.samplerate, info.channels, info.subtype) == (16_000, 1, "PCM_16")
    np.testing.assert_array_equal(decode_file(path), x)
    assert audio.duration_s(x) == 2.0
    assert audio.duration_s(x[:8000], rate_hz=8000) == 1.0
    np.testing.assert_array_equal(decode_bytes(io.BytesIO(path.read_bytes()).getvalue()), x)


@needs_synth
def test_phone8k_synthesis_is_telephone_quality(speech_cache: Path) -> None:
    path = speech.synth(speech.speech_dev_rows(1)[0], "phone8k", speech_cache)
    info = sf.info(path)
    assert info.samplerate == 8000 and info.channels == 1
    samples = decode_file(path)
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    freqs = np.fft.rfftfreq(len(samples), 1 / 16_000)
    # Nothing above the 4 kHz telephone band after upsampling to 16 kHz.
    assert spectrum[freqs > 4200].sum() < 0.01 * spectrum.sum()


def test_one_wav_encoder_for_files_and_memory(tmp_path) -> None:  # noqa: ANN001
    """Stored calls, radio segments and Twilio recordings are all written by `wav_bytes`: 16-bit PCM, the samples back."""
    from transcribe.audio import wav_bytes, write_wav

    samples = (np.sin(np.arange(8000) / 5) * 9000).astype(np.int16)
    data = wav_bytes(samples)
    assert write_wav(tmp_path / "a.wav", samples).read_bytes() == data
    back, rate = sf.read(io.BytesIO(data), dtype="int16")
    assert rate == 16000 and np.array_equal(back, samples) and sf.info(io.BytesIO(data)).subtype == "PCM_16"
