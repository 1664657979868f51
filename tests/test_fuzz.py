"""Property-based fuzzing of every edge that reads what strangers send (profiles in tests/fuzzing.py).

The AudioSocket frame reader and server, the Twilio Media Streams message handler, the WhatsApp webhooks'
parsers (messages and delivery reports), audio decoding of uploads, the drafter, the identity filter and the list/API query parameters each get hostile input; the properties are
what the edge promises: no exception but its own named one, no server that stops, no call made of bytes that
are not audio, no identity left in filtered text, no 500.
"""

from __future__ import annotations

import base64
import io
import json
import socket
import struct
import threading
import uuid

import numpy as np
import pytest
import soundfile as sf
from hypothesis import assume, example, given
from hypothesis import strategies as st
from sqlalchemy import select

import tests.fuzzing  # noqa: F401 - loads the hypothesis profile
from tests import fuzz_targets as targets
from models.entities import Call
from tests.conftest import login
from voice.audiosocket import KIND_AUDIO, KIND_DTMF, KIND_HANGUP, KIND_UUID, MAX_AUDIO_PAYLOAD, AudioSocketConfig, AudioSocketServer, encode_frame

# -- AudioSocket -------------------------------------------------------------------------------


@given(st.binary(max_size=4096))
@example(b"\x10\x00\x01\x00")  # an audio frame of one byte: half a sample
@example(b"\x01\x00\x10" + bytes(15))  # a truncated UUID frame
def test_frame_reader_raises_only_protocol_errors(data: bytes) -> None:
    targets.frame_reader(data)


_garbage = st.binary(min_size=1, max_size=600)
_audio = st.binary(min_size=0, max_size=960).map(lambda b: ("audio", b))
_frame = st.one_of(
    _audio,
    st.sampled_from("0123456789*#").map(lambda d: ("dtmf", d.encode())),
    _garbage.map(lambda b: ("garbage", b)),
    st.integers(0, 0xFFFF).map(lambda n: ("oversized", n)),
    st.just(("hangup", b"")),
)


_PLACEHOLDER_UUID = uuid.UUID(int=0)
"""Replaced by a fresh UUID per connection: the same UUID twice is one call (idempotent), not what is tested."""


@st.composite
def _connections(draw) -> tuple[bool, bytes, int, bool]:  # noqa: ANN001
    """(whether it starts with a UUID frame, bytes a peer sends, audio bytes in well-formed frames before anything
    else, whether any audio frame may be in it at all)."""
    if draw(st.booleans()):
        junk = draw(_garbage)
        assume(junk[0] != KIND_UUID)  # not AudioSocket at all
        return False, junk, 0, False
    data = encode_frame(KIND_UUID, _PLACEHOLDER_UUID.bytes)
    clean_audio, clean, any_audio = 0, True, False
    for kind, value in draw(st.lists(_frame, max_size=8)):
        if kind == "audio":
            data += encode_frame(KIND_AUDIO, value)
            clean_audio += len(value) if clean else 0
            any_audio = any_audio or len(value) > 0
        elif kind == "dtmf":
            data += encode_frame(KIND_DTMF, value)
        elif kind == "oversized":
            data += struct.pack(">BH", KIND_AUDIO, max(value, MAX_AUDIO_PAYLOAD + 1))
            clean = False
        elif kind == "hangup":
            data += encode_frame(KIND_HANGUP)
            clean = False
        else:
            data += value
            clean, any_audio = False, True  # junk after the UUID may happen to be a well-formed audio frame
    return True, data, clean_audio, any_audio


class _CountingServer(AudioSocketServer):
    """The real server, counting connections whose handler has finished (stored or dropped the call)."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.finished = 0
        self.finished_changed = threading.Condition()

    def shutdown_request(self, request) -> None:  # noqa: ANN001
        super().shutdown_request(request)
        with self.finished_changed:
            self.finished += 1
            self.finished_changed.notify_all()


@pytest.fixture
def audiosocket_server(settings, db_engine):  # noqa: ANN001, ANN201
    from models.db import session_factory

    config = AudioSocketConfig(settings, session_factory(db_engine), engine=None, enqueue=None, idle_timeout_s=2.0)
    server = _CountingServer("127.0.0.1", 0, config)
    server.start_background()
    yield server
    server.stop()


def _send(server: _CountingServer, data: bytes) -> None:
    """One connection that sends `data` and goes away; returns when its handler has finished."""
    done = server.finished + 1
    with socket.create_connection(server.server_address[:2], timeout=5) as conn:
        try:
            conn.sendall(data)
        except OSError:  # the server may close a hostile connection before it has read everything
            pass
    with server.finished_changed:
        assert server.finished_changed.wait_for(lambda: server.finished >= done, timeout=15), "a handler did not finish"


@given(_connections())
@example((False, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0, False))
@example((True, encode_frame(KIND_UUID, _PLACEHOLDER_UUID.bytes) + encode_frame(KIND_AUDIO, b"\x01"), 1, True))
@example((True, encode_frame(KIND_UUID, _PLACEHOLDER_UUID.bytes) + encode_frame(KIND_DTMF, b"1") + encode_frame(KIND_HANGUP), 0, False))
def test_hostile_audiosocket_connections(audiosocket_server, db_engine, connection) -> None:  # noqa: ANN001
    """Any bytes: the server keeps serving; a call is stored only from a UUID frame followed by audio frames,
    and whatever audio arrived in well-formed frames before the first bad byte is in it."""
    from sqlalchemy import func

    from models.db import session_factory

    has_uuid, data, clean_audio, any_audio = connection
    call_uuid = uuid.uuid4()
    if has_uuid:
        data = encode_frame(KIND_UUID, call_uuid.bytes) + data[19:]
    with session_factory(db_engine)() as session:
        before = session.scalar(select(func.count()).select_from(Call))
    _send(audiosocket_server, data)
    with session_factory(db_engine)() as session:
        calls = session.scalars(select(Call).order_by(Call.id).offset(before)).all()
    assert len(calls) <= 1
    if not has_uuid:
        assert calls == [], "a call was made of bytes that are not AudioSocket"
        return
    assert all(c.external_id == str(call_uuid) for c in calls)
    if not any_audio:
        assert calls == [], "a call was made without a single byte of audio"
    if clean_audio >= 2:  # at least one whole 16-bit sample
        assert calls, "audio in well-formed frames was not stored"
        assert calls[0].duration_s >= (clean_audio // 2) / 8000 - 1e-6


def test_audiosocket_still_takes_calls_after_hostile_ones(audiosocket_server) -> None:  # noqa: ANN001
    for junk in (b"\xff" * 70000, b"\x01\x00\x10" + bytes(16) + b"\x10\xff\xff", b"\x00"):
        _send(audiosocket_server, junk)
    call_uuid = uuid.UUID(int=42)
    tone = (np.sin(np.arange(8000) / 8000 * 2 * np.pi * 400) * 8000).astype("<i2").tobytes()
    _send(audiosocket_server, encode_frame(KIND_UUID, call_uuid.bytes) + encode_frame(KIND_AUDIO, tone) + encode_frame(KIND_HANGUP))
    assert audiosocket_server.config.results[str(call_uuid)].duration_s == pytest.approx(1.0, abs=0.01)


# -- Twilio Media Streams ----------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
_SID = "CA" + "a" * 32


def _message(event: str, body) -> str:  # noqa: ANN001
    return json.dumps({"event": event, event: body})


_media_messages = st.one_of(
    _json.map(json.dumps),
    st.text(max_size=200),
    st.binary(max_size=200),
    st.builds(_message, st.just("start"), st.one_of(_json, st.fixed_dictionaries(
        {"callSid": st.one_of(st.just(_SID), st.text(max_size=40), st.integers()),
         "customParameters": st.one_of(_json, st.dictionaries(st.just("caller"), _json))}))),
    st.builds(_message, st.just("media"), st.one_of(_json, st.fixed_dictionaries(
        {"track": st.sampled_from(["inbound", "outbound", 5, None]),
         "payload": st.one_of(st.binary(max_size=320).map(lambda b: base64.b64encode(b).decode()), st.text(max_size=40), _json)}))),
    st.just(json.dumps({"event": "stop"})),
)


@given(st.lists(_media_messages, max_size=12))
@example([json.dumps([1, 2])])
@example([_message("start", {"callSid": _SID, "customParameters": {"caller": 812}}),
          _message("media", {"payload": base64.b64encode(b"\xff" * 160).decode()}), json.dumps({"event": "stop"})])
def test_media_stream_handler_takes_any_message(app, monkeypatch, messages) -> None:  # noqa: ANN001
    """Any sequence of messages: `handle` never raises and `finish` keeps the audio only of a started stream."""
    from voice.phone_calls import MediaStreamHandler
    from web.twilio import stream_handler

    monkeypatch.setattr(MediaStreamHandler, "_engine", lambda self: None)  # the recognizer is not under test
    handler = stream_handler(app)
    targets.media_stream(handler, messages)
    state = app.extensions["suara"]
    with state.sessions() as session:
        calls = session.scalars(select(Call)).all()
        if handler.call_sid is None:
            assert calls == []
        assert all(c.external_id == _SID for c in calls)
        for c in calls:
            session.delete(c)
        session.commit()


# -- audio decoding of uploads -----------------------------------------------------------------

def _encoded(fmt: str, subtype: str | None = None) -> bytes:
    t = np.arange(1600) / 8000
    out = io.BytesIO()
    sf.write(out, (np.sin(2 * np.pi * 440 * t) * 0.3).astype(np.float32), 8000, format=fmt, subtype=subtype)
    return out.getvalue()


_SEEDS = [_encoded("WAV", "PCM_16"), _encoded("FLAC"), _encoded("OGG", "VORBIS"), _encoded("WAV", "ULAW")]


@st.composite
def _mutated_audio(draw) -> bytes:  # noqa: ANN001
    data = bytearray(draw(st.sampled_from(_SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        data[at:at + 4] = draw(st.binary(min_size=1, max_size=4))
    if draw(st.booleans()):
        data = data[: draw(st.integers(1, len(data)))]
    return bytes(data)


@given(st.one_of(_mutated_audio(), st.binary(min_size=1, max_size=2048),
                 st.sampled_from([b"RIFF", b"fLaC", b"OggS", b"ID3", b"\xff\xfb"]).flatmap(
                     lambda magic: st.binary(max_size=512).map(lambda rest: magic + rest))))
def test_upload_decoding_answers_audio_or_an_audio_error(data: bytes) -> None:
    targets.decode_upload(data)


# -- the drafter -------------------------------------------------------------------------------

_DRAFTER = None


def _drafter():  # noqa: ANN202
    global _DRAFTER  # one loaded router and gazetteer for every example
    if _DRAFTER is None:
        from transcribe.drafting import Drafter

        _DRAFTER = Drafter()
    return _DRAFTER


_speechlike = st.lists(st.sampled_from(
    "nama saya pak bu slamet dari desa kalitidu kecamatan jalan rusak nol delapan satu dua tiga lampu mati "
    "banjir sampah 0812 3456 7890 rt 02 rw 05 tolong segera , . ? ! \u200b \u0000 \ufeff 😀 ١٢٣".split()), max_size=60).map(" ".join)


@given(st.one_of(st.text(max_size=400), _speechlike), st.one_of(st.none(), st.text(max_size=20)))
@example("\u278a", None)  # found by atheris: "➊" is a digit to str.isdigit() but not to int()
def test_drafter_takes_any_unicode(text: str, caller: str | None) -> None:
    targets.draft(_drafter(), text, caller)


# -- WhatsApp webhooks: messages and delivery reports ------------------------------------------

_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                     max_leaves=30)
_meta_shaped = st.fixed_dictionaries({"entry": st.lists(st.fixed_dictionaries({"changes": st.lists(st.fixed_dictionaries({
    "value": st.dictionaries(st.sampled_from(["messages", "statuses", "metadata"]), _json, max_size=3)}), max_size=2)}),
    max_size=2)})


@given(st.one_of(_json, _meta_shaped), st.dictionaries(st.sampled_from(
    ["MessageSid", "SmsSid", "MessageStatus", "ErrorCode", "From", "Body", "NumMedia", "MediaUrl0"]), st.text(max_size=40)))
@example({"entry": [{"changes": [{"value": {"statuses": [{"id": "w", "status": "failed", "errors": [{"code": None}]}]}}]}]},
         {"MessageSid": "SM" + "0" * 32, "MessageStatus": "failed"})
def test_whatsapp_webhook_parsers_take_any_shape(payload, form: dict[str, str]) -> None:  # noqa: ANN001
    """Meta's JSON and Twilio's forms come from strangers until the signature is checked, and a signed one may
    still be of a shape this version does not know: the parsers return what they understood, never raise."""
    from voice.whatsapp_providers import parse_meta, parse_meta_statuses, parse_twilio, parse_twilio_status

    assert all(m.provider == "meta" for m in parse_meta(payload))
    assert all(r.provider == "meta" and r.message_id for r in parse_meta_statuses(payload))
    parse_twilio(form)
    report = parse_twilio_status(form)
    assert report is None or report.message_id.startswith(("SM", "MM"))


# -- the identity filter -----------------------------------------------------------------------

_digits_and_noise = st.lists(st.one_of(
    st.text(alphabet="0123456789", min_size=1, max_size=14),
    st.sampled_from([" ", "-", ".", "/", "(", ")", "+", "+62", "Rp", "Rp ", "NIK ", "tgl ", ":", ",", "\n", "٠١٢٣٤٥٦٧٨٩",
                     "０８１２", "nol", "delapan", "satu", "dua", " strip "]),
    st.text(max_size=6)), max_size=30).map("".join)


@given(st.one_of(st.text(max_size=300), _digits_and_noise),
       st.lists(st.one_of(st.text(max_size=20), st.just("Siti"), st.just("a")), max_size=3))
@example("Rp0000000000", [])
def test_identity_filter_never_raises_and_leaves_no_long_digit_run(text: str, names: list[str]) -> None:
    targets.identity(text, names)


# -- list and API query parameters -------------------------------------------------------------

_PARAMS = ["q", "status", "agency", "topic", "kecamatan", "channel", "overdue", "after", "limit", "page", "periode", "opd",
           "dari", "sampai", "minggu", "tahun", "semua", "identitas", "nomor", "service_request_id", "service_code",
           "start_date", "end_date", "from", "next", "x"]
_values = st.one_of(
    st.text(max_size=40),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["", "0", "-1", "1e9", "NaN", "2026-02-30", "9999-12-31", "0001-01-01", "2026-W53", "#99999999999999999999",
                     "%", "_", "'", "\\", "SW-2026-000001", "terbuka", "phone", "on", "\x00"]),
)
_LIST_URLS = ["/", "/konsol/pengaduan", "/konsol/", "/konsol/opd", "/dasbor/", "/dasbor/isu", "/dasbor/data/topik.csv",
              "/dasbor/laporan-mingguan", "/serah-terima/", "/serah-terima/ekspor.csv", "/serah-terima/luar-wewenang",
              "/konsol/admin/libur", "/lacak", "/transparansi", "/open311/v2/requests.json", "/api/v1/complaints",
              "/login"]


@pytest.fixture
def admin_client(app, client, session, settings, users):  # noqa: ANN001, ANN201
    from models.entities import User
    from tests.console_data import make_complaint
    from web.auth import issue_api_token

    make_complaint(session, settings, "terdisposisi")
    make_complaint(session, settings, "selesai", anonymous=True)
    token = issue_api_token(session, session.get(User, users["admin"]))
    session.commit()
    login(client, "admin")
    return client, token


@given(st.sampled_from(_LIST_URLS), st.dictionaries(st.sampled_from(_PARAMS), _values, max_size=5))
@example("/konsol/pengaduan", {"agency": str(2**70)})
@example("/api/v1/complaints", {"after": str(2**70)})
@example("/konsol/pengaduan", {"q": "#99999999999999999999"})
@example("/konsol/pengaduan", {"q": "#\u278a"})
@example("/konsol/pengaduan", {"q": "+\u278a\u278b\u278c \u278d\u278e\u278f\u2790"})
@example("/dasbor/", {"periode": str(10**12)})
@example("/konsol/admin/libur", {"tahun": "-1"})  # found by make fuzz: date(year, 1, 1) out of range
@example("/konsol/admin/libur", {"tahun": "10000"})
@example("/dasbor/laporan-mingguan", {"minggu": "9999-12-30"})  # found by make fuzz: the week past year 9999
@example("/dasbor/laporan-mingguan", {"minggu": "0001-01-01"})
@example("/dasbor/", {"dari": "9999-12-30", "sampai": "9999-12-31"})
@example("/dasbor/data/topik.csv", {"dari": "0001-01-01", "sampai": "0001-01-02"})
@example("/serah-terima/ekspor.csv", {"dari": "9999-12-31", "sampai": "9999-12-31"})
@example("/open311/v2/requests.json", {"end_date": "0001-01-01T00:00:00"})
@example("/open311/v2/requests.json", {"start_date": "9999-12-31T23:59:59-12:00"})
def test_query_parameters_never_cause_a_server_error(admin_client, url: str, params: dict[str, str]) -> None:  # noqa: ANN001
    client, token = admin_client
    headers = {"Authorization": f"Bearer {token}"} if url.startswith("/api/") else {}
    response = client.get(url, query_string=params, headers=headers)
    assert response.status_code < 500, (url, params, response.status_code)
    if url.startswith("/api/") and response.status_code >= 400:
        assert response.is_json and response.json["error"]["code"]
