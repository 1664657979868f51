"""The web skeleton: login, CSRF, every page behind login, the calls page, uploads."""

from __future__ import annotations

import io

import numpy as np
import pytest

from tests.conftest import csrf_from, login
from transcribe.audio import write_wav

PROTECTED = ["/", "/calls/1/audio"]


def _wav_bytes(tmp_path, seconds: float = 1.0) -> bytes:  # noqa: ANN001
    t = np.arange(int(16000 * seconds)) / 16000
    path = write_wav(tmp_path / "tone.wav", (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16))
    return path.read_bytes()


@pytest.mark.parametrize("path", PROTECTED)
def test_every_page_needs_login(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_every_rule_is_protected_or_known_public(app) -> None:  # noqa: ANN001
    public = {"static", "auth.login", "auth.login_submit"}
    public_blueprints = ("open311.", "public.")  # published on purpose, without personal data
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in public or rule.endpoint.startswith(public_blueprints) or "GET" not in rule.methods:
            continue
        url = rule.rule.replace("<int:call_id>", "1")
        if "<" in url:
            continue
        response = client.get(url)
        # Twilio: signature required (a plain GET on its websocket is refused as a bad request); Meta's webhook
        # check answers only to our verify token
        allowed = (400, 403) if rule.endpoint.startswith(("twilio.", "whatsapp.")) else (302, 401)
        assert response.status_code in allowed, f"{url} answered {response.status_code} without login"


def test_login_with_wrong_password_is_refused_then_rate_limited(client, users) -> None:  # noqa: ANN001
    for _ in range(5):
        assert login(client, "operator", "salah-sekali").status_code == 401
    response = login(client, "operator")  # right password, but blocked for now from this address
    assert response.status_code == 429
    assert "Terlalu banyak percobaan" in response.text


def test_login_then_calls_page(client, users) -> None:  # noqa: ANN001
    response = login(client, "operator")
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert "Belum ada panggilan" in page.text


def test_login_without_csrf_token_is_rejected(client, users) -> None:  # noqa: ANN001
    response = client.post("/login", data={"username": "operator", "password": "rahasia-uji-123"})
    assert response.status_code == 400


def test_upload_without_csrf_is_rejected(client, users, tmp_path) -> None:  # noqa: ANN001
    login(client, "operator")
    response = client.post(
        "/calls/upload", data={"audio": (io.BytesIO(_wav_bytes(tmp_path)), "a.wav")}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "formulir" in response.text


def test_upload_stores_call_and_shows_player(client, users, tmp_path, app) -> None:  # noqa: ANN001
    login(client, "operator")
    token = csrf_from(client.get("/").text)
    response = client.post(
        "/calls/upload",
        data={"audio": (io.BytesIO(_wav_bytes(tmp_path)), "keluhan.wav"), "caller_number": "081234567890", "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get("/").text
    assert "#1" in page and "081234567890" in page and 'src="/calls/1/audio"' in page
    with client.get("/calls/1/audio", headers={"Range": "bytes=0-99"}) as audio:
        assert audio.status_code == 206 and len(audio.data) == 100


def test_upload_of_garbage_gets_indonesian_error_and_stores_nothing(client, users, app) -> None:  # noqa: ANN001
    login(client, "operator")
    token = csrf_from(client.get("/").text)
    response = client.post(
        "/calls/upload",
        data={"audio": (io.BytesIO(b"bukan audio sama sekali" * 50), "x.wav"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "bukan audio" in response.text.lower()
    json_response = client.post(
        "/calls/upload",
        data={"audio": (io.BytesIO(b"\x00garbage" * 50), "x.wav"), "csrf_token": token},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert json_response.status_code == 422
    assert json_response.json["error"]["code"].startswith("audio_")


def test_viewer_cannot_upload(client, users, tmp_path) -> None:  # noqa: ANN001
    login(client, "viewer")
    token = csrf_from(client.get("/", follow_redirects=True).text)
    response = client.post(
        "/calls/upload",
        data={"audio": (io.BytesIO(_wav_bytes(tmp_path)), "a.wav"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403


def test_upload_over_limit_is_refused(app, client, users) -> None:  # noqa: ANN001
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    login(client, "operator")
    token = csrf_from(client.get("/").text)
    response = client.post(
        "/calls/upload",
        data={"audio": (io.BytesIO(b"\0" * 20_000), "big.wav"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413


def test_html_is_escaped(client, users, session) -> None:  # noqa: ANN001
    from models.entities import Call, Transcript

    call = Call(channel="upload", external_id="x", status="transcribed")
    session.add(call)
    session.flush()
    session.add(Transcript(call=call, engine="whisper", model="m", language="id", text="<script>alert(1)</script>"))
    session.commit()
    login(client, "operator")
    page = client.get("/").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


@pytest.mark.parametrize("username, landing", [("liaison_pu", "/konsol/opd"), ("viewer", "/konsol/pengaduan"), ("operator", None)])
def test_start_page_depends_on_role(client, users, username, landing) -> None:  # noqa: ANN001
    login(client, username)
    response = client.get("/")
    if landing is None:
        assert response.status_code == 200 and "Panggilan dan draf" in response.text
    else:
        assert response.status_code == 302 and response.headers["Location"].endswith(landing)


@pytest.mark.parametrize("username, status", [("liaison_pu", 404), ("viewer", 404), ("operator", 206)])
def test_call_audio_only_for_operators(client, users, session, settings, tmp_path, username, status) -> None:  # noqa: ANN001
    from models.entities import Channel
    from voice.intake import IncomingAudio, receive_call

    call, _ = receive_call(session, settings, IncomingAudio(_wav_bytes(tmp_path), Channel.PHONE, external_id="CA-audio"))
    session.commit()
    login(client, username)
    with client.get(f"/calls/{call.id}/audio", headers={"Range": "bytes=0-9"}) as response:
        assert response.status_code == status
