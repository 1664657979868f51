"""CallSession with a handwritten recognizer: 20 ms source frames reach the recognizer in 0.2 s blocks,
a pause in the source does not hold audio back, and every sample is kept and fed once, in order."""

from __future__ import annotations

import time

import numpy as np
import pytest

from transcribe.types import AudioChunk, StreamResult
from voice.live import LiveRegistry
from voice.session import FEED_BLOCK_SAMPLES, CallSession

FRAME_BYTES = 320
"""20 ms of 8 kHz int16, as Asterisk sends."""


class RecordingStream:
    """Remembers every chunk it was fed; one partial per chunk, one final at the end."""

    def __init__(self) -> None:
        self.chunks: list[AudioChunk] = []

    def feed(self, chunk: AudioChunk) -> list[StreamResult]:
        self.chunks.append(chunk)
        return [StreamResult(text=f"bagian {len(self.chunks)}", final=False)]

    def finish(self) -> list[StreamResult]:
        return [StreamResult(text="selesai", final=True, start_s=0.0, end_s=1.0)]

    def settle(self) -> None:
        pass


class RecordingEngine:
    name = "fake"
    model_name = "fake"
    language = "id"

    def __init__(self) -> None:
        self.streams: list[RecordingStream] = []

    def stream(self) -> RecordingStream:
        self.streams.append(RecordingStream())
        return self.streams[-1]


def frames(seconds: float) -> list[bytes]:
    ramp = (np.arange(int(seconds * 8000)) % 2000).astype("<i2").tobytes()
    return [ramp[i : i + FRAME_BYTES] for i in range(0, len(ramp), FRAME_BYTES)]


@pytest.mark.parametrize("seconds", [0.02, 1.0, 2.5])
def test_frames_reach_the_recognizer_in_blocks(seconds: float) -> None:
    engine = RecordingEngine()
    session = CallSession("uji", 8000, "int16", engine, LiveRegistry())
    for frame in frames(seconds):
        session.push(frame)
    result = session.close(timeout_s=10)
    [stream] = engine.streams
    sizes = [len(c.samples) for c in stream.chunks]
    assert sum(sizes) == len(result.samples) == pytest.approx(seconds * 16000, abs=64)
    assert all(size >= FEED_BLOCK_SAMPLES for size in sizes[:-1])
    starts = np.cumsum([0, *sizes[:-1]]) / 16000
    assert [c.start_s for c in stream.chunks] == pytest.approx(list(starts))
    assert result.text == "selesai" and len(result.partial_latencies_s) == len(sizes) + 1
    assert len(result.feed_lags_s) == len(sizes) and all(0 <= lag < 5 for lag in result.feed_lags_s)


def test_a_pause_in_the_source_does_not_hold_audio_back() -> None:
    engine = RecordingEngine()
    session = CallSession("uji", 8000, "int16", engine, LiveRegistry())
    started = time.perf_counter()
    try:
        for frame in frames(0.14):  # less than one block, then silence from the source
            session.push(frame)
        fed_in_time = wait_until(lambda: engine.streams and engine.streams[0].chunks, timeout_s=1.0)
        waited = time.perf_counter() - started
    finally:
        session.close(timeout_s=5)
    assert fed_in_time and waited > 0.15  # after FEED_BLOCK_S, not only at the hang-up
    assert 0 < len(engine.streams[0].chunks[0].samples) < FEED_BLOCK_SAMPLES


def wait_until(condition, timeout_s: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_the_calls_transcript_keeps_the_finals_other_readings() -> None:
    from models.entities import Call
    from voice.session import _transcript_row

    class TwoFinals(RecordingStream):
        def finish(self) -> list[StreamResult]:
            return [StreamResult("lampu mati", True, alternatives=["lampu mari"], start_s=0.0, end_s=1.0),
                    StreamResult("di baureno", True, start_s=1.0, end_s=2.0)]

    engine = RecordingEngine()
    engine.stream = lambda: TwoFinals()  # type: ignore[method-assign]
    session = CallSession("uji", 8000, "int16", engine, LiveRegistry())
    for frame in frames(0.5):
        session.push(frame)
    result = session.close(timeout_s=10)
    assert result.text == "lampu mati di baureno" and result.alternatives == ["lampu mari di baureno"]
    row = _transcript_row(Call(channel="phone"), result)
    assert row.text == result.text and row.alternatives == ["lampu mari di baureno"]
