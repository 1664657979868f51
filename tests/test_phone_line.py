"""The phone line driven the way Twilio drives it (signed webhooks, the loopback Twilio API, Media Streams):
no recording is lost whatever order things happen in, and the caller always knows where they stand."""

from __future__ import annotations

import base64
import json
import logging
import time
import wave
from datetime import timedelta

import numpy as np
import pytest
from simple_websocket import Client
from sqlalchemy import select

from models.base import utcnow
from models.entities import Call, CallStatus, Channel, Complaint
from tests.speech import synth_phone8k, synth_tools_missing
from tests.test_twilio import (  # noqa: F401 - fixtures
    ACCOUNT_SID, AUTH_TOKEN, CALL, CALLER, PUBLIC_URL, REC, _said, app, enqueued, fake_twilio, post,
    recording_wav, sid, sign, twiml, voice_params, wait_for,
)
from transcribe.audio import decode_file, mulaw_encode
from voice.jobs import voice_jobs
from voice.phone_calls import MediaStreamHandler
from web.twilio import stream_handler

SPOKEN = "Selamat pagi, saya mau melapor jalan di desa Kalitidu rusak parah dan berlubang."
needs_speech = pytest.mark.skipif(bool(synth_tools_missing()), reason="needs espeak-ng, mbrola-id1 and sox")


@pytest.fixture
def settings(settings, fake_twilio):  # noqa: ANN001, ANN201, F811
    return settings.with_(
        public_url=PUBLIC_URL, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
        twilio_api_base=fake_twilio.base, twilio_sms_from="+15005550006", twilio_fetch_first_s=0.01,
        twilio_fetch_attempts=4, twilio_fetch_stall_s=0.2, whisper_drawn_readings=0,
    )


@pytest.fixture
def spoken_8k(tmp_path) -> np.ndarray:  # noqa: ANN001
    with wave.open(str(synth_phone8k(SPOKEN, tmp_path / "laporan.wav"))) as w:
        return np.frombuffer(w.readframes(w.getnframes()), np.int16)


def stream_messages(samples: np.ndarray, call_sid: str = CALL) -> list[str]:
    data = mulaw_encode(samples)
    messages = [json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}),
                json.dumps({"event": "start", "start": {"callSid": call_sid, "accountSid": ACCOUNT_SID,
                                                        "customParameters": {"caller": CALLER}}})]
    messages += [json.dumps({"event": "media", "media": {"track": "inbound", "payload": base64.b64encode(
        data[i:i + 160]).decode()}}) for i in range(0, len(data), 160)]
    return messages + [json.dumps({"event": "stop"})]


def replay_stream(app, samples: np.ndarray) -> None:  # noqa: ANN001
    """A finished Media Stream, as the websocket route runs it (no live recognizer: the audio is the point)."""
    handler = stream_handler(app)
    handler._engine = lambda: None
    for message in stream_messages(samples):
        if not handler.handle(message):
            break
    handler.finish()


def the_call(session) -> Call:  # noqa: ANN001
    session.expire_all()
    return session.scalars(select(Call).where(Call.external_id == CALL)).one()


def settled(session, *statuses: str):  # noqa: ANN001, ANN201
    def check():  # noqa: ANN202
        call = the_call(session)
        return call if call.status in statuses else None
    return check


# -- durable downloads ---------------------------------------------------------------------------

def test_resent_callback_drives_a_download_whose_job_was_lost(app, client, session, fake_twilio, monkeypatch) -> None:  # noqa: ANN001, F811
    jobs = app.extensions["suara"].jobs
    fetch = voice_jobs(jobs).fetch_recording
    real_task, lost = fetch.task, []
    fetch.task = lambda *args: lost.append(args)  # the worker dies with the job in hand
    post(client, "/twilio/menu", voice_params(Digits="1"))
    params = voice_params(RecordingSid=REC, RecordingStatus="completed", RecordingDuration="2")
    assert post(client, "/twilio/recording", params).status_code == 204
    assert len(lost) == 1 and the_call(session).status == CallStatus.AWAITING.value
    assert post(client, "/twilio/recording", params).status_code == 204
    assert len(lost) == 1  # on schedule: Twilio's retry of the callback changes nothing
    fetch.task = real_task
    time.sleep(0.3)  # past the stall time: the download is stuck
    assert post(client, "/twilio/recording", params).status_code == 204
    call = wait_for(settled(session, CallStatus.RECEIVED.value, CallStatus.TRANSCRIBING.value,
                            CallStatus.TRANSCRIBED.value, CallStatus.NO_SPEECH.value, CallStatus.DRAFTED.value))
    assert call.audio_path and call.meta["fetch"]["done"] and call.meta["audio_from"] == "recording"


def test_recovery_drives_overdue_downloads_and_continues_their_schedule(app, client, session, fake_twilio) -> None:  # noqa: ANN001, F811
    jobs = app.extensions["suara"].jobs
    fetch = voice_jobs(jobs).fetch_recording
    real_task, lost = fetch.task, []
    fake_twilio.not_ready = 2
    fetch.task = lambda *args: lost.append(args)
    post(client, "/twilio/menu", voice_params(Digits="1"))
    post(client, "/twilio/recording", voice_params(RecordingSid=REC, RecordingStatus="completed"))
    call = the_call(session)
    call.meta = dict(call.meta, fetch=dict(call.meta["fetch"], attempts=2))  # two tries made before the crash
    session.commit()
    fetch.task = real_task
    assert jobs.recover(now=utcnow() + timedelta(seconds=1)) == []  # a download is driven, not a call enqueued
    call = wait_for(settled(session, CallStatus.RECEIVED.value, CallStatus.FAILED.value, CallStatus.TRANSCRIBING.value,
                            CallStatus.NO_SPEECH.value))
    # 4 tries in all: 2 before the crash, then the two left (both 404): the schedule went on, not from the start
    assert call.status == CallStatus.FAILED.value and "4 percobaan" in call.error
    assert fake_twilio.recording_gets() == 2


def test_a_fixed_configuration_revives_a_failed_download(app, client, session, fake_twilio) -> None:  # noqa: ANN001, F811
    state = app.extensions["suara"]
    good = state.settings
    state.settings = good.with_(twilio_account_sid="AC-wrong")
    state.jobs.settings = state.settings
    post(client, "/twilio/menu", voice_params(Digits="1"))
    params = voice_params(RecordingSid=REC, RecordingStatus="completed", RecordingDuration="2")
    post(client, "/twilio/recording", params)
    call = wait_for(settled(session, CallStatus.FAILED.value))
    assert "SUARA_TWILIO_ACCOUNT_SID salah bentuk" in call.error  # the reason is on the calls page; nothing reached the provider
    assert fake_twilio.recording_gets() == 0
    state.settings = state.jobs.settings = good
    assert post(client, "/twilio/recording", params).status_code == 204
    call = wait_for(settled(session, CallStatus.RECEIVED.value, CallStatus.TRANSCRIBING.value,
                            CallStatus.TRANSCRIBED.value, CallStatus.NO_SPEECH.value, CallStatus.DRAFTED.value))
    assert call.audio_path and call.error is None


# -- stream audio as a source --------------------------------------------------------------------

@needs_speech
def test_stream_ends_then_the_recording_fails_the_stream_audio_is_drafted(app, client, session, fake_twilio, spoken_8k) -> None:  # noqa: ANN001, F811
    fake_twilio.not_ready = 100
    post(client, "/twilio/menu", voice_params(Digits="1"))
    replay_stream(app, spoken_8k)
    assert the_call(session).meta["stream_audio"]
    post(client, "/twilio/recording", voice_params(RecordingSid=REC, RecordingStatus="completed"))
    call = wait_for(settled(session, CallStatus.DRAFTED.value, CallStatus.FAILED.value, CallStatus.NO_SPEECH.value), 90)
    assert call.status == CallStatus.DRAFTED.value, call.error
    assert call.meta["audio_from"] == "stream" and "4 percobaan" in call.meta["recording_error"]
    assert "jalan" in call.transcript.text.lower() and call.draft is not None


@needs_speech
def test_no_recording_callback_at_all_the_stream_audio_is_drafted_after_the_deadline_and_a_late_recording_replaces_it(
        app, client, session, settings, fake_twilio, spoken_8k, tmp_path) -> None:  # noqa: ANN001, F811
    jobs = app.extensions["suara"].jobs
    post(client, "/twilio/menu", voice_params(Digits="1"))
    replay_stream(app, spoken_8k)
    post(client, "/twilio/status", voice_params(CallStatus="completed", CallDuration="20"))
    assert jobs.recover(now=utcnow() + timedelta(seconds=60)) == []  # not yet: the callback may still come
    assert the_call(session).status == CallStatus.RECORDING.value
    later = utcnow() + timedelta(seconds=settings.twilio_recording_deadline_s + 1)
    assert jobs.recover(now=later) == [the_call(session).id]
    call = wait_for(settled(session, CallStatus.DRAFTED.value, CallStatus.FAILED.value, CallStatus.NO_SPEECH.value), 90)
    assert call.status == CallStatus.DRAFTED.value and call.meta["audio_from"] == "stream"
    stream_path, draft_id = call.audio_path, call.draft.id

    # the recording turns up after all: it is the better source and replaces the stream's audio
    fake_twilio.recording = synth_phone8k("Lampu penerangan jalan di desa Sukorejo mati sejak seminggu.",
                                          tmp_path / "lampu.wav").read_bytes()
    post(client, "/twilio/recording", voice_params(RecordingSid=REC, RecordingStatus="completed"))

    def replaced():  # noqa: ANN202
        call = the_call(session)
        return call if len(call.transcripts) == 2 and call.status == CallStatus.DRAFTED.value else None

    call = wait_for(replaced, 90)
    assert call.audio_path != stream_path and call.meta["audio_from"] == "recording"
    assert call.draft.id == draft_id and "seminggu" in call.draft.description.lower()  # the same draft, redrafted


def test_the_record_action_starts_the_download_when_the_callback_never_comes(app, client, session, fake_twilio) -> None:  # noqa: ANN001, F811
    post(client, "/twilio/menu", voice_params(Digits="1"))
    recorded = voice_params(RecordingSid=REC, RecordingDuration="2", RecordingUrl=f"https://api.twilio.com/x/{REC}")
    assert "terima_kasih" in _said(twiml(post(client, "/twilio/recorded", recorded)))
    call = wait_for(settled(session, CallStatus.RECEIVED.value, CallStatus.TRANSCRIBING.value, CallStatus.TRANSCRIBED.value,
                            CallStatus.NO_SPEECH.value, CallStatus.DRAFTED.value))
    assert call.meta["audio_from"] == "recording"
    # the callback turns up after all: nothing new
    post(client, "/twilio/recording", voice_params(RecordingSid=REC, RecordingStatus="completed"))
    time.sleep(0.3)
    assert fake_twilio.recording_gets() == 3  # 404, 404, 200: one download


def test_absent_recording_after_the_stream_uses_the_stream(app, client, session, enqueued) -> None:  # noqa: ANN001, F811
    post(client, "/twilio/menu", voice_params(Digits="1"))
    replay_stream(app, (np.sin(np.arange(8000) / 8) * 3000).astype(np.int16))
    post(client, "/twilio/recording", voice_params(RecordingSid=REC, RecordingStatus="absent"))
    call = the_call(session)
    assert call.status == CallStatus.RECEIVED.value and call.meta["audio_from"] == "stream" and enqueued == [call.id]


def test_pressed_1_and_hung_up_is_closed_as_abandoned(app, client, session) -> None:  # noqa: ANN001, F811
    post(client, "/twilio/menu", voice_params(Digits="1"))
    post(client, "/twilio/status", voice_params(CallStatus="completed", CallDuration="9"))
    jobs = app.extensions["suara"].jobs
    jobs.recover(now=utcnow() + timedelta(hours=1))
    call = the_call(session)
    assert call.status == CallStatus.ABANDONED.value and "tidak pernah dikirim" in call.error


# -- what the caller hears -----------------------------------------------------------------------

def _call_in(session, status: str, complaint: dict | None = None) -> Call:  # noqa: ANN001
    call = Call(channel=Channel.PHONE.value, external_id=sid("CA", 77), caller_number=CALLER, status=status, code="318274")
    session.add(call)
    if complaint is not None:
        session.add(Complaint(call=call, title="Jalan rusak", channel="phone", **complaint))
    session.commit()
    return call


@pytest.mark.parametrize("status,complaint,prompt", [
    ("ringing", None, "status_tanpa_rekaman"),
    ("recording", None, "status_diproses"),
    ("awaiting", None, "status_diproses"),
    ("received", None, "status_diproses"),
    ("transcribing", None, "status_diproses"),
    ("failed", None, "status_gagal"),
    ("abandoned", None, "status_tanpa_rekaman"),
    ("no_audio", None, "status_tanpa_rekaman"),
    ("no_speech", None, "status_tanpa_suara"),
    ("drafted", {"status": "draft"}, "status_draft"),
    ("drafted", {"status": "ditolak", "reject_reason": "bukan_pengaduan"}, "status_ditolak"),
    ("drafted", {"status": "ditolak", "reject_reason": "duplikat", "duplicate": True}, "status_digabung"),
    ("drafted", {"status": "terdisposisi"}, "status_terdisposisi"),
    ("drafted", {"status": "selesai"}, "status_selesai"),
])
def test_keypad_status_says_the_truth_for_each_call_state(client, session, status: str, complaint: dict | None, prompt: str) -> None:  # noqa: ANN001
    if complaint and complaint.pop("duplicate", False):
        original = Complaint(title="Jalan rusak (asli)", status="terverifikasi", channel="phone")
        session.add(original)
        session.flush()
        complaint["duplicate_of_id"] = original.id
    call = _call_in(session, status, complaint)
    said = _said(twiml(post(client, "/twilio/status-lookup", voice_params(Digits=f"{call.code}#"))))
    assert prompt in said and said[-1] == "sampai_jumpa"
    assert sum(name.startswith("status_") for name in said) == 1


def test_an_empty_recording_is_not_thanked_and_can_be_recorded_again(client, session) -> None:  # noqa: ANN001, F811
    post(client, "/twilio/menu", voice_params(Digits="1"))
    root = twiml(post(client, "/twilio/recorded", voice_params(RecordingDuration="0")))
    said = _said(root)
    assert "rekaman_kosong" in said and "terima_kasih" not in said and "nomor_anda" not in said
    action = root.find("Gather").get("action")
    assert action == f"{PUBLIC_URL}/twilio/record-again?tries=1"
    again = twiml(post(client, "/twilio/record-again?tries=1", voice_params(Digits="1"),
                       url=f"{PUBLIC_URL}/twilio/record-again?tries=1"))
    assert again.find("Record") is not None
    assert again.find("Record").get("action") == f"{PUBLIC_URL}/twilio/recorded?tries=1"


def test_something_is_always_said_after_record(client) -> None:  # noqa: ANN001
    root = twiml(post(client, "/twilio/menu", voice_params(Digits="1")))
    verbs = [child.tag for child in root]
    assert verbs[-2:] == ["Record", "Redirect"]  # Twilio skips the action when nothing was recorded
    assert root.find("Redirect").text == f"{PUBLIC_URL}/twilio/recorded"
    # …and that redirect (no RecordingUrl) says nothing was recorded
    assert "rekaman_kosong" in _said(twiml(post(client, "/twilio/recorded", voice_params())))


def test_a_second_empty_recording_ends_the_call_politely(client) -> None:  # noqa: ANN001
    post(client, "/twilio/menu", voice_params(Digits="1"))
    url = f"{PUBLIC_URL}/twilio/recorded?tries=2"
    root = twiml(post(client, "/twilio/recorded?tries=2", voice_params(RecordingDuration="0"), url=url))
    assert root.find("Gather") is None and root.find("Hangup") is not None
    assert _said(root)[-1] == "sampai_jumpa"


def _follow_silence(client, path: str, params: dict[str, str]) -> list:  # noqa: ANN001
    """Keep not pressing anything, as Twilio does on a <Gather> timeout (it follows the <Redirect>)."""
    roots = []
    for _ in range(5):
        root = twiml(post(client, path.removeprefix(PUBLIC_URL), params, url=path if path.startswith("http") else None))
        roots.append(root)
        redirect = root.find("Redirect")
        if redirect is None:
            break
        path = redirect.text
    return roots


def test_silence_at_the_menu_reprompts_twice_then_goodbye(client) -> None:  # noqa: ANN001
    roots = _follow_silence(client, "/twilio/voice", voice_params())
    assert len(roots) == 4  # the menu, two more chances, goodbye
    assert [sum(1 for g in r.iter("Gather")) for r in roots] == [1, 1, 1, 0]
    assert all("tidak_ada_pilihan" in _said(r) for r in roots[1:])
    assert roots[-1].find("Hangup") is not None and _said(roots[-1])[-1] == "sampai_jumpa"


@pytest.mark.parametrize("path,digits,apology", [
    ("/twilio/menu", "9", "pilihan_salah"),
    ("/twilio/status-lookup", "999999#", "tidak_ditemukan"),
    ("/twilio/rate", "999999#", "tidak_ditemukan"),
    ("/twilio/status-lookup", "", "tidak_ada_pilihan"),  # silence at the number: not "not found"
])
def test_wrong_entries_get_two_retries(client, path: str, digits: str, apology: str) -> None:  # noqa: ANN001
    url, answers = PUBLIC_URL + path, []
    for _ in range(3):
        root = twiml(post(client, url.removeprefix(PUBLIC_URL), voice_params(Digits=digits), url=url))
        answers.append(root)
        gather = root.find("Gather")
        if gather is None:
            break
        url = gather.get("action")
    assert [r.find("Gather") is not None for r in answers] == [True, True, False]
    assert all(apology in _said(r) for r in answers) and answers[-1].find("Hangup") is not None


def test_a_wrong_rating_key_is_asked_again(client, session) -> None:  # noqa: ANN001
    call = Call(channel=Channel.PHONE.value, external_id=sid("CA", 8), caller_number=CALLER, status="drafted")
    complaint = Complaint(call=call, status="selesai", reference="BJN-2025-000124", reporter_phone="0812-3456-7890")
    session.add_all([call, complaint])
    session.commit()
    url = f"{PUBLIC_URL}/twilio/rate/{complaint.id}"
    root = twiml(post(client, url.removeprefix(PUBLIC_URL), voice_params(Digits="7"), url=url))
    assert "pilihan_salah" in _said(root) and root.find("Gather").get("action") == url + "?tries=1"
    root = twiml(post(client, f"/twilio/rate/{complaint.id}?tries=1", voice_params(Digits="2"), url=url + "?tries=1"))
    assert "nilai_diterima" in _said(root)  # the reporter's number written 0812-… still matches +62812…
    session.refresh(complaint)
    assert complaint.rating == "puas"


# -- Media Stream messages of the wrong shape ----------------------------------------------------

@pytest.fixture
def ws_url(live_server) -> str:  # noqa: ANN001
    return live_server.replace("http://", "ws://") + "/twilio/stream"


MALFORMED = [
    "null", "[]", "[1, 2]", '"text"', "42", "{}", '{"event": null}', '{"event": "start"}',
    '{"event": "media", "media": "oops"}', '{"event": "media", "media": null}', '{"event": "media", "media": []}',
    '{"event": "media", "media": {"payload": null}}', '{"event": "media", "media": {"payload": 5}}',
    '{"event": "media", "media": {"payload": "!!not base64!!"}}', '{"event": "media", "media": {"track": null, "payload": "AAAA"}}',
    '{"event": "start", "start": "oops"}', '{"event": "start", "start": {"callSid": 5, "customParameters": "x"}}',
    "not json", "\u0000",
]


def test_malformed_stream_messages_are_logged_and_ignored(app, ws_url, session, monkeypatch, caplog) -> None:  # noqa: ANN001, F811
    monkeypatch.setattr(MediaStreamHandler, "_engine", lambda self: None)
    samples = (np.sin(np.arange(16000) / 8) * 3000).astype(np.int16)
    messages = stream_messages(samples)
    ws = Client.connect(ws_url, headers={"X-Twilio-Signature": sign(PUBLIC_URL.replace("https", "wss") + "/twilio/stream", {})})
    caplog.set_level(logging.WARNING, logger="voice.phone_calls")
    for message in MALFORMED:  # before the start: none of them is a valid start, the stream goes on
        ws.send(message)
    ws.send(messages[1])  # the real start
    for n, message in enumerate(messages[2:-1]):
        ws.send(message)
        if n % 10 == 0:
            ws.send(MALFORMED[8 + n % 7])
    ws.send(messages[-1])
    wait_for(lambda: not ws.connected)
    assert ws.close_reason == 1000  # the server ended the stream normally after "stop", no error on the socket

    def stored():  # noqa: ANN202
        session.expire_all()
        call = session.scalars(select(Call).where(Call.external_id == CALL)).first()
        return call if call is not None and call.meta.get("stream_audio") else None

    call = wait_for(stored)
    audio = decode_file(app.extensions["suara"].settings.audio_dir / call.meta["stream_audio"])
    assert abs(len(audio) - 2 * len(samples)) < 400  # every good frame kept (8 kHz in, 16 kHz stored)
    assert "not an object" in caplog.text and "not base64 text" in caplog.text
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("raw", MALFORMED)
def test_each_malformed_shape_is_skipped(app, raw: str) -> None:  # noqa: ANN001, F811
    handler = stream_handler(app)
    handler._engine = lambda: None
    handler.handle(json.dumps({"event": "start", "start": {"callSid": CALL}}))
    assert handler.handle(raw) is True
    handler.session.close()


# -- the reference SMS ---------------------------------------------------------------------------

def _confirmed(session, reporter_phone: str) -> Complaint:  # noqa: ANN001
    call = Call(channel=Channel.PHONE.value, external_id=sid("CA", 9), caller_number=CALLER, status="drafted")
    complaint = Complaint(call=call, status="belum_diverifikasi", title="Jalan rusak", channel="phone",
                          reference="BJN-2026-000777", reporter_phone=reporter_phone)
    session.add_all([call, complaint])
    session.commit()
    return complaint


def test_reference_sms_goes_to_the_number_in_e164(app, session, fake_twilio) -> None:  # noqa: ANN001, F811
    complaint = _confirmed(session, "081234567001")
    voice_jobs(app.extensions["suara"].jobs).sms_reference(complaint.id)
    wait_for(lambda: fake_twilio.sms)
    assert [m["To"] for m in fake_twilio.sms] == ["+6281234567001"]


@pytest.mark.parametrize("provider_status,retried", [(503, True), (400, False)])
def test_a_failed_sms_is_shown_on_the_complaint_and_retried(app, client, session, users, fake_twilio,
                                                            provider_status: int, retried: bool) -> None:  # noqa: ANN001, F811
    from tests.conftest import login
    from voice.jobs import SMS_FAILED, SMS_SENT, sms_status

    fake_twilio.sms_status = provider_status
    jobs = app.extensions["suara"].jobs
    complaint = _confirmed(session, "081234567001")
    voice_jobs(jobs).sms_reference(complaint.id)
    wait_for(lambda: sms_status(session, complaint) is not None)
    failure = sms_status(session, complaint)
    assert failure.action == SMS_FAILED and failure.detail["attempt"] == 1
    assert bool(failure.detail["next_at"]) is retried
    if retried:
        wait_for(lambda: jobs.huey.scheduled())
    time.sleep(0.2)
    assert [t.name for t in jobs.huey.scheduled()] == (["sms_reference"] if retried else [])
    login(client, "operator")
    page = client.get(f"/konsol/pengaduan/{complaint.id}").text
    assert "SMS nomor pengaduan ke pelapor (+62812****7001) gagal dikirim" in page and f"HTTP {provider_status}" in page
    assert ("Dicoba lagi otomatis" in page) is retried and "081234567001" not in page.split('id="sms-status"')[1][:400]
    if retried:  # the provider is back when the scheduled retry runs
        fake_twilio.sms_status = 201
        task = jobs.huey.scheduled()[0]
        voice_jobs(jobs).sms_reference(*task.args)
        wait_for(lambda: sms_status(session, complaint).action == SMS_SENT)
        assert "SMS nomor pengaduan terkirim" in client.get(f"/konsol/pengaduan/{complaint.id}").text
        assert [m["To"] for m in fake_twilio.sms] == ["+6281234567001"] * 2
