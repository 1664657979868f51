"""What each fuzzed edge promises for one input: used by the hypothesis tests (tests/test_fuzz.py) and by the
coverage-guided atheris harnesses (scripts/fuzz_atheris.py), so both check the same properties."""

from __future__ import annotations

import io
import json
import re

import numpy as np

from models.identity import IdentityFilter
from transcribe.errors import AudioError
from voice.audiosocket import KIND_AUDIO, KIND_DTMF, KIND_ERROR, KIND_HANGUP, KIND_UUID, ProtocolError, encode_frame, read_frame

MAX_UPLOAD_S = 60


def frame_reader(data: bytes) -> None:
    """The AudioSocket frame reader raises only ProtocolError, and its frames are exactly the bytes it read."""
    stream = io.BytesIO(data)
    consumed = b""
    while True:
        try:
            frame = read_frame(stream)
        except ProtocolError:
            return
        if frame is None:
            assert consumed == data, "a clean end before the end of the bytes"
            return
        assert frame.kind in (KIND_HANGUP, KIND_UUID, KIND_DTMF, KIND_AUDIO, KIND_ERROR)
        consumed += encode_frame(frame.kind, frame.payload)
        assert data.startswith(consumed), "a frame that is not the bytes read"


def decode_upload(data: bytes) -> None:
    """Decoding an upload gives 16 kHz mono int16 samples within the length limit, or an AudioError with a message."""
    from transcribe.audio import decode_bytes

    try:
        samples = decode_bytes(data, max_s=MAX_UPLOAD_S)
    except AudioError as exc:
        assert exc.message_id
        return
    assert samples.dtype == np.int16 and samples.ndim == 1 and len(samples) > 0
    assert len(samples) <= (MAX_UPLOAD_S + 1) * 16000


def draft(drafter, text: str, caller: str | None = None) -> None:  # noqa: ANN001
    """The drafter takes any Unicode and gives a draft that serialises to a JSON object."""
    out = json.dumps(drafter.draft(text, caller_number=caller).to_dict(), ensure_ascii=False, default=str)
    assert isinstance(json.loads(out), dict)


LONG_DIGIT_RUN = re.compile(r"\d{10,}")


def identity(text: str, names: list[str]) -> None:
    """The identity filter never raises and leaves no run of ten or more digits."""
    out = IdentityFilter(tuple(n for n in names if n.strip())).redact(text)
    assert isinstance(out, str)
    assert not LONG_DIGIT_RUN.search(out), out


def media_stream(handler, messages: list) -> None:  # noqa: ANN001
    """A Media Streams handler takes any sequence of messages without raising."""
    for raw in messages:
        result = handler.handle(raw)
        assert isinstance(result, bool)
        if not result:
            break
    handler.finish()
