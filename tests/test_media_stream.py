"""Twilio Media Streams: a signed websocket replaying synthesized Indonesian speech gives partial and final
text on the live registry and keeps the stream's audio; the operator's live view shows it."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
from urllib.parse import urlsplit

import pytest
from simple_websocket import Client
from sqlalchemy import select
from werkzeug.serving import make_server

from models.entities import Call
from tests.conftest import login
from tests.test_audiosocket import phone_call_8k, vosk_model_dir  # noqa: F401 - shared fixtures
from tests.test_twilio import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, sid, sign
from tests.speech import synth_tools_missing
from transcribe.audio import mulaw_encode
from voice.live import registry_for

CALL = sid("CA", 5)
STREAM_URL = PUBLIC_URL.replace("https://", "wss://") + "/twilio/stream"


@pytest.fixture
def settings(settings, vosk_model_dir):  # noqa: ANN001, ANN201, F811
    return settings.with_(public_url=PUBLIC_URL, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
                          vosk_model=vosk_model_dir, engine="vosk")


@pytest.fixture
def live_server(app):  # noqa: ANN001, ANN201
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"ws://127.0.0.1:{server.server_port}/twilio/stream"
    server.shutdown()
    server.server_close()


def media_messages(samples) -> list[str]:  # noqa: ANN001
    data = mulaw_encode(samples)
    messages = [json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}),
                json.dumps({"event": "start", "sequenceNumber": "1", "streamSid": "MZ" + "0" * 32, "start": {
                    "callSid": CALL, "accountSid": ACCOUNT_SID, "tracks": ["inbound"],
                    "customParameters": {"caller": "+6281234567890"},
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}})]
    for n, i in enumerate(range(0, len(data), 160)):
        messages.append(json.dumps({"event": "media", "sequenceNumber": str(n + 2), "media": {
            "track": "inbound", "chunk": str(n + 1), "timestamp": str(n * 20),
            "payload": base64.b64encode(data[i : i + 160]).decode()}}))
    messages.append(json.dumps({"event": "stop", "stop": {"callSid": CALL}}))
    return messages


@pytest.mark.skipif(bool(synth_tools_missing()), reason="needs espeak-ng, mbrola-id1 and sox")
def test_replayed_media_stream_shows_partial_and_final_text(app, live_server, session, phone_call_8k) -> None:  # noqa: ANN001, F811
    from transcribe.engines import load_engine

    load_engine(app.extensions["suara"].settings).load()  # as `suara serve` does at start-up
    subscription = registry_for(app).subscribe()
    ws = Client.connect(live_server, headers={"X-Twilio-Signature": sign(STREAM_URL, {})})
    messages = media_messages(phone_call_8k)
    sent_at = time.monotonic()
    for n, message in enumerate(messages):  # in real time: 20 ms of audio per message
        time.sleep(max(0.0, sent_at + n * 0.02 - time.monotonic()))
        ws.send(message)
    stopped_s = time.monotonic() - sent_at
    ws.close()
    seen: dict[str, list] = {"partial": [], "final": []}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        event = subscription.get(0.5)
        if event is None:
            continue
        if event.kind in seen:
            seen[event.kind].append((event.monotonic_s - sent_at, event.line["text"]))
        if event.kind == "stored":
            break
    assert seen["partial"] and all(text for _, text in seen["partial"])
    assert seen["final"] and seen["final"][-1][1]
    assert seen["partial"][0][0] < stopped_s - 1.0  # text appears while the caller is still speaking
    call = session.scalars(select(Call).where(Call.external_id == CALL)).one()
    assert call.caller_number == "+6281234567890" and call.audio_path is None  # the recording is the audio
    assert call.meta["stream_audio"] and call.meta["stream_text"]


@pytest.mark.parametrize("signature", [None, "forged", "wrong_url"])
def test_unsigned_or_forged_stream_is_refused(app, live_server, session, signature) -> None:  # noqa: ANN001
    headers = {} if signature is None else {"X-Twilio-Signature": "Zm9yZ2Vk" if signature == "forged" else sign("wss://evil.example/twilio/stream", {})}
    # refused at the handshake: no websocket is opened, so no audio can be sent
    url = urlsplit(live_server)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("GET", url.path, headers={"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                                           "Sec-WebSocket-Key": base64.b64encode(b"suara-warga-test").decode(), **headers})
    response = conn.getresponse()
    assert (response.status, response.getheader("Upgrade")) == (403, None)
    conn.close()
    assert registry_for(app).snapshot() == []
    assert session.scalars(select(Call)).all() == []


def test_live_page_needs_login_and_shows_lines(app, client, users) -> None:  # noqa: ANN001
    assert client.get("/live").status_code == 302
    registry = registry_for(app)
    registry.start(CALL, "twilio", "+6281234567890")
    registry.final(CALL, "jalan rusak di desa")
    registry.partial(CALL, "mohon segera")
    login(client, "operator")
    page = client.get("/live")
    assert page.status_code == 200 and "Panggilan langsung" in page.text and "jalan rusak di desa" in page.text
    assert client.get("/live/lines.json").json["lines"][0]["text"] == "jalan rusak di desa mohon segera"
    response = client.get("/live/events", buffered=False)
    assert response.mimetype == "text/event-stream"
    chunks = iter(response.response)
    assert next(chunks).startswith(b"event: snapshot")
    registry.end(CALL)
    assert b"event: line" in next(chunks)
    response.close()
