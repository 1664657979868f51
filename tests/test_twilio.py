"""Twilio webhooks: signatures (valid, forged, replayed, wrong URL), the DTMF menu, recording callbacks
against a loopback fake of Twilio's API, idempotency, absent recordings, status lookup and rating."""

from __future__ import annotations

import base64
import re
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree import ElementTree

import numpy as np
import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from models.entities import Call, CallStatus, Channel, Complaint
from models.refs import format_reference
from transcribe.audio import write_wav
from voice.jobs import voice_jobs

ACCOUNT_SID = "AC" + "a1" * 16
AUTH_TOKEN = "f" * 32
PUBLIC_URL = "https://lapor.bojonegorokab.go.id"


def sid(prefix: str, n: int) -> str:
    return f"{prefix}{n:032x}"


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


class FakeTwilio(ThreadingHTTPServer):
    """Recordings answer 404 `not_ready` times before the file; every request needs Basic auth."""

    daemon_threads = True

    def __init__(self, recording: bytes, not_ready: int = 2) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.recording, self.not_ready = recording, not_ready
        self.requests: list[tuple[str, str, int]] = []
        self.sms: list[dict[str, str]] = []
        self.sms_status = 201
        """What the Messages endpoint answers (400: the number is rejected, 503: busy)."""
        self.gate: threading.Event | None = None
        """When set to an Event, recording requests wait for it (a download in flight)."""
        self.gets_arrived = 0
        self._lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def recording_gets(self) -> int:
        return sum(1 for method, path, _ in self.requests if method == "GET" and "/Recordings/" in path)


class _Handler(BaseHTTPRequestHandler):
    server: FakeTwilio

    def log_message(self, *args: object) -> None:
        pass

    def _authorised(self) -> bool:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        return self.headers.get("Authorization") == expected

    def _answer(self, status: int, body: bytes = b"", kind: str = "application/json") -> None:
        with self.server._lock:
            self.server.requests.append((self.command, self.path, status))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        if not self._authorised():
            return self._answer(401, b'{"code": 20003}')
        if not self.path.startswith(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/") or not self.path.endswith(".wav"):
            return self._answer(404, b'{"code": 20404}')
        with self.server._lock:
            self.server.gets_arrived += 1
            gate = self.server.gate
        if gate is not None:
            gate.wait(30)
        with self.server._lock:
            ready = self.server.not_ready <= 0
            self.server.not_ready -= 1
        if not ready:
            return self._answer(404, b'{"code": 20404}')
        return self._answer(200, self.server.recording, "audio/x-wav")

    def do_POST(self) -> None:  # noqa: N802
        if not self._authorised():
            return self._answer(401, b'{"code": 20003}')
        from urllib.parse import parse_qsl

        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        with self.server._lock:
            self.server.sms.append(dict(parse_qsl(body)))
        if self.server.sms_status != 201:
            return self._answer(self.server.sms_status, b'{"code": 21211, "message": "Invalid To Phone Number"}')
        return self._answer(201, b'{"sid": "SM' + b"0" * 32 + b'"}')


# -- fixtures ------------------------------------------------------------------------------------

@pytest.fixture
def recording_wav(tmp_path) -> bytes:  # noqa: ANN001
    t = np.arange(8000 * 2) / 8000
    return write_wav(tmp_path / "rec.wav", (np.sin(2 * np.pi * 440 * t) * 5000).astype(np.int16), 8000).read_bytes()


@contextmanager
def running_fake_twilio(recording: bytes, not_ready: int = 2):  # noqa: ANN201
    """The fake on a free loopback port, for the length of a test."""
    server = FakeTwilio(recording, not_ready)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        if server.gate is not None:
            server.gate.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def fake_twilio(recording_wav):  # noqa: ANN001, ANN201
    with running_fake_twilio(recording_wav) as server:
        yield server


@pytest.fixture
def settings(settings, fake_twilio):  # noqa: ANN001, ANN201
    return settings.with_(
        public_url=PUBLIC_URL, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
        twilio_api_base=fake_twilio.base, twilio_sms_from="+15005550006", twilio_fetch_first_s=0.01, twilio_fetch_attempts=5,
    )


@pytest.fixture
def app(app):  # noqa: ANN001, ANN201
    """The app with its job consumer running, as under `suara serve`: downloads are jobs."""
    consumer = app.extensions["suara"].jobs.start_inprocess(workers=1)
    yield app
    consumer.stop(graceful=True)


@pytest.fixture
def enqueued(app) -> list[int]:  # noqa: ANN001
    calls: list[int] = []
    app.extensions["suara"].jobs.enqueue_call = calls.append
    return calls


def post(client, path: str, params: dict[str, str], url: str | None = None, token: str = AUTH_TOKEN, signature: str | None = None):  # noqa: ANN001, ANN201
    headers = {"X-Twilio-Signature": signature if signature is not None else sign(url or PUBLIC_URL + path, params, token)}
    return client.post(path, data=params, headers=headers)


def twiml(response) -> ElementTree.Element:  # noqa: ANN001
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/xml"
    return ElementTree.fromstring(response.text)


CALL = sid("CA", 1)
REC = sid("RE", 1)
CALLER = "+6281234567890"
RECORDING_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{REC}"


def voice_params(**extra: str) -> dict[str, str]:
    return {"CallSid": CALL, "AccountSid": ACCOUNT_SID, "From": CALLER, "To": "+62353000000", **extra}


def wait_for(predicate, timeout_s: float = 10.0):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not reached")


# -- signatures ----------------------------------------------------------------------------------

def test_valid_signature_gets_the_indonesian_menu(client) -> None:  # noqa: ANN001
    root = twiml(post(client, "/twilio/voice", voice_params()))
    plays = [p.text for p in root.iter("Play")]
    assert plays[0] == f"{PUBLIC_URL}/twilio/prompts/salam.wav"
    gather = root.find("Gather")
    assert gather.get("numDigits") == "1" and gather.get("action") == f"{PUBLIC_URL}/twilio/menu"


@pytest.mark.parametrize("case", ["unsigned", "forged", "other_token", "wrong_url", "tampered", "other_path"])
def test_bad_signatures_are_refused(client, case: str) -> None:  # noqa: ANN001
    params = voice_params()
    if case == "unsigned":
        response = client.post("/twilio/voice", data=params)
    elif case == "forged":
        response = post(client, "/twilio/voice", params, signature=base64.b64encode(b"x" * 20).decode())
    elif case == "other_token":
        response = post(client, "/twilio/voice", params, token="0" * 32)
    elif case == "wrong_url":  # signed for the internal address, not the public one
        response = post(client, "/twilio/voice", params, url="http://localhost/twilio/voice")
    elif case == "tampered":  # a captured request replayed with a changed parameter
        signature = sign(PUBLIC_URL + "/twilio/voice", params)
        response = post(client, "/twilio/voice", dict(params, From="+6289999999999"), signature=signature)
    else:  # a captured signature replayed against another webhook
        signature = sign(PUBLIC_URL + "/twilio/voice", params)
        response = post(client, "/twilio/menu", params, signature=signature)
    assert response.status_code == 403


def test_without_auth_token_everything_is_refused(app, client) -> None:  # noqa: ANN001
    app.extensions["suara"].settings = app.extensions["suara"].settings.with_(twilio_auth_token=None)
    assert post(client, "/twilio/voice", voice_params()).status_code == 403


def test_query_string_is_part_of_the_signature(client) -> None:  # noqa: ANN001
    params = voice_params()
    assert post(client, "/twilio/voice?x=1", params, url=f"{PUBLIC_URL}/twilio/voice?x=1").status_code == 200
    assert post(client, "/twilio/voice?x=2", params, url=f"{PUBLIC_URL}/twilio/voice?x=1").status_code == 403


# -- menu and recording --------------------------------------------------------------------------

def test_choice_1_records_with_stream_and_callback(client, session) -> None:  # noqa: ANN001
    root = twiml(post(client, "/twilio/menu", voice_params(Digits="1")))
    stream = root.find("Start/Stream")
    assert stream.get("url") == "wss://lapor.bojonegorokab.go.id/twilio/stream"
    assert stream.find("Parameter").get("value") == CALLER
    record = root.find("Record")
    assert record.get("maxLength") == "300" and record.get("finishOnKey") == "#"
    assert record.get("recordingStatusCallback") == f"{PUBLIC_URL}/twilio/recording"
    assert record.get("action") == f"{PUBLIC_URL}/twilio/recorded"
    call = session.scalars(select(Call)).one()
    assert (call.external_id, call.caller_number, call.status) == (CALL, CALLER, CallStatus.RECORDING.value)


def test_caller_hears_the_call_reference(client, session) -> None:  # noqa: ANN001
    post(client, "/twilio/menu", voice_params(Digits="1"))
    call = session.scalars(select(Call)).one()
    root = twiml(post(client, "/twilio/recorded", voice_params(RecordingDuration="12", RecordingUrl=RECORDING_URL)))
    digits = [re.search(r"angka_(\d)", p.text).group(1) for p in root.iter("Play") if "angka_" in p.text]
    assert "".join(digits) == call.code * 2  # said twice: the call's code, not its id
    assert root.find("Hangup") is not None


def test_unknown_choice_repeats_the_menu(client) -> None:  # noqa: ANN001
    root = twiml(post(client, "/twilio/menu", voice_params(Digits="9")))
    assert root.find("Gather") is not None
    assert any("pilihan_salah" in p.text for p in root.iter("Play"))


def test_recording_is_downloaded_after_two_404s_stored_and_enqueued(client, session, settings, fake_twilio, enqueued, recording_wav) -> None:  # noqa: ANN001
    post(client, "/twilio/menu", voice_params(Digits="1"))
    params = voice_params(RecordingSid=REC, RecordingStatus="completed", RecordingDuration="2",
                          RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{REC}")
    started = time.monotonic()
    assert post(client, "/twilio/recording", params).status_code == 204
    assert time.monotonic() - started < 1.0  # the webhook does not wait for the download
    wait_for(lambda: enqueued)
    session.expire_all()
    call = session.scalars(select(Call)).one()
    assert call.status == CallStatus.RECEIVED.value and call.error is None
    assert (settings.audio_dir / call.audio_path).read_bytes() == recording_wav
    assert call.meta["recording_sid"] == REC and enqueued == [call.id]
    assert [s for _, _, s in fake_twilio.requests] == [404, 404, 200]

    # Twilio retries a callback it thinks failed: same CallSid + RecordingSid, nothing new.
    assert post(client, "/twilio/recording", params).status_code == 204
    time.sleep(0.2)
    assert fake_twilio.recording_gets() == 3 and enqueued == [call.id]
    assert session.scalar(select(func.count(Call.id))) == 1


def test_recording_callback_without_earlier_webhooks_still_makes_the_call(client, session, enqueued) -> None:  # noqa: ANN001
    params = voice_params(RecordingSid=REC, RecordingStatus="completed")
    assert post(client, "/twilio/recording", params).status_code == 204
    wait_for(lambda: enqueued)
    assert session.scalars(select(Call)).one().audio_path


def test_download_that_never_succeeds_keeps_the_call_with_the_reason(client, session, fake_twilio, enqueued) -> None:  # noqa: ANN001
    fake_twilio.not_ready = 100
    post(client, "/twilio/menu", voice_params(Digits="1"))
    post(client, "/twilio/recording", voice_params(RecordingSid=REC, RecordingStatus="completed"))

    def failed():  # noqa: ANN202
        session.expire_all()
        call = session.scalars(select(Call)).one()
        return call if call.status == CallStatus.FAILED.value else None

    call = wait_for(failed)
    assert REC in call.error and "5 percobaan" in call.error and not enqueued
    assert fake_twilio.recording_gets() == 5


@pytest.mark.parametrize("status", ["absent", "failed"])
def test_absent_or_failed_recording_is_kept_with_reason(client, session, enqueued, status: str) -> None:  # noqa: ANN001
    post(client, "/twilio/menu", voice_params(Digits="1"))
    assert post(client, "/twilio/recording", voice_params(RecordingSid=REC, RecordingStatus=status, ErrorCode="13617")).status_code == 204
    call = session.scalars(select(Call)).one()
    assert call.status == {"absent": CallStatus.ABANDONED, "failed": CallStatus.FAILED}[status].value and call.audio_path is None
    assert call.error == f"Twilio: rekaman {status} (kode 13617)" and not enqueued


@pytest.mark.parametrize("field,value", [("CallSid", "CA../../etc"), ("RecordingSid", "RE123")])
def test_malformed_sids_are_rejected(client, field: str, value: str) -> None:  # noqa: ANN001
    params = {**voice_params(RecordingSid=REC, RecordingStatus="completed"), field: value}
    assert post(client, "/twilio/recording", params).status_code == 400


def test_call_status_callback_notes_the_end(client, session) -> None:  # noqa: ANN001
    post(client, "/twilio/menu", voice_params(Digits="1"))
    assert post(client, "/twilio/status", voice_params(CallStatus="completed", CallDuration="42")).status_code == 204
    call = session.scalars(select(Call)).one()
    assert call.ended_at is not None and call.meta["call_duration_s"] == 42.0


# -- status lookup and rating --------------------------------------------------------------------

@pytest.fixture
def finished(session) -> Complaint:  # noqa: ANN001
    call = Call(channel=Channel.PHONE.value, external_id=sid("CA", 7), caller_number=CALLER, status="drafted", code="640512")
    complaint = Complaint(call=call, status="selesai", reference="261201001235", reporter_phone="081234567890")
    session.add_all([call, complaint])
    session.commit()
    return complaint


def _said(root: ElementTree.Element) -> list[str]:
    return [re.search(r"/prompts/(\w+)\.wav", p.text).group(1) for p in root.iter("Play")]


@pytest.mark.parametrize("digits", ["261201001235", "261201001235#", "640512"])
def test_status_by_reference_or_call_code(client, finished, digits: str) -> None:  # noqa: ANN001
    assert "status_selesai" in _said(twiml(post(client, "/twilio/status-lookup", voice_params(Digits=digits))))


def test_status_of_unknown_number(client) -> None:  # noqa: ANN001
    assert "tidak_ditemukan" in _said(twiml(post(client, "/twilio/status-lookup", voice_params(Digits="999999"))))


@pytest.mark.parametrize("digit,rating", [("1", "sangat_puas"), ("2", "puas"), ("3", "cukup_puas"), ("4", "tidak_puas")])
def test_rating_by_dtmf_is_stored(client, session, finished, digit: str, rating: str) -> None:  # noqa: ANN001
    root = twiml(post(client, "/twilio/rate", voice_params(Digits="261201001235")))
    action = root.find("Gather").get("action")
    assert action == f"{PUBLIC_URL}/twilio/rate/{finished.id}"
    assert "nilai_diterima" in _said(twiml(post(client, action.removeprefix(PUBLIC_URL), voice_params(Digits=digit))))
    session.refresh(finished)
    assert finished.rating == rating and finished.rated_at is not None


@pytest.mark.parametrize("case,prompt", [("not_finished", "belum_selesai"), ("other_caller", "bukan_pelapor"), ("bad_digit", "pilihan_salah")])
def test_rating_refused(client, session, finished, case: str, prompt: str) -> None:  # noqa: ANN001
    caller = CALLER
    if case == "not_finished":
        finished.status = "terdisposisi"
        session.commit()
    if case == "other_caller":
        caller = "+6285600000000"
    digit = "7" if case == "bad_digit" else "1"
    root = twiml(post(client, f"/twilio/rate/{finished.id}", voice_params(Digits=digit, From=caller)))
    assert prompt in _said(root)
    session.refresh(finished)
    assert finished.rating is None


# -- prompts and SMS -----------------------------------------------------------------------------

def test_prompts_are_served_small_and_missing_ones_fall_back_to_say(client, monkeypatch) -> None:  # noqa: ANN001
    from voice.prompts import PROMPT_DIR, PROMPTS

    for name in PROMPTS:
        assert (PROMPT_DIR / f"{name}.wav").stat().st_size < 100 * 1024
    with client.get("/twilio/prompts/salam.wav") as response:
        assert response.status_code == 200 and response.data[:4] == b"RIFF"
    assert client.get("/twilio/prompts/..%2Fsecret.wav").status_code == 404
    monkeypatch.setattr("web.twilio.prompt_path", lambda name, custom_dir=None: None)
    root = twiml(post(client, "/twilio/voice", voice_params()))
    say = root.find("Say")
    assert say.get("language") == "id-ID" and say.text == PROMPTS["salam"]


def test_reference_sms_uses_basic_auth(settings, fake_twilio) -> None:  # noqa: ANN001
    from voice.twilio_client import send_reference_sms

    assert send_reference_sms(settings, CALLER, "BJN-2025-000123").startswith("SM")
    assert fake_twilio.sms[0]["To"] == CALLER and "BJN-2025-000123" in fake_twilio.sms[0]["Body"]
    assert send_reference_sms(settings.with_(twilio_sms_from=None), CALLER, "X") is None


def test_confirming_a_phone_draft_sends_one_sms_with_the_reference(app, client, session, users, fake_twilio) -> None:  # noqa: ANN001
    from tests.conftest import csrf_from, login

    call = Call(channel=Channel.PHONE.value, external_id=sid("CA", 9), caller_number=CALLER, status="drafted")
    draft = Complaint(call=call, status="draft", title="Jalan rusak", description="Jalan rusak di Kalitidu.", channel="phone")
    session.add_all([call, draft])
    session.commit()
    login(client, "operator")
    page = client.get(f"/konsol/draf/{draft.id}")
    response = client.post(f"/konsol/draf/{draft.id}", data={
        "csrf_token": csrf_from(page.text), "action": "confirm", "title": draft.title, "description": draft.description,
        "classification": "pengaduan",
    })
    assert response.status_code == 302
    session.expire_all()
    reference = session.get(Complaint, draft.id).reference
    assert reference
    wait_for(lambda: fake_twilio.sms)
    assert [m["To"] for m in fake_twilio.sms] == [CALLER] and format_reference(reference) in fake_twilio.sms[0]["Body"]
    voice_jobs(app.extensions["suara"].jobs).sms_reference(draft.id)  # a retried job does not send again
    time.sleep(0.5)
    assert len(fake_twilio.sms) == 1
