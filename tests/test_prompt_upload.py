"""An admin uploads the regency's own recording of a phone prompt: converted to telephone quality, played
to callers instead of the bundled one (with a new URL so Twilio's cache lets go), and reset again."""

from __future__ import annotations

import io
import re
import wave

import numpy as np
import pytest

from tests.conftest import login
from tests.test_twilio import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, post, twiml, voice_params
from transcribe.audio import write_wav


@pytest.fixture
def settings(settings):  # noqa: ANN001, ANN201
    return settings.with_(public_url=PUBLIC_URL, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN)


def _tone(tmp_path, seconds: float = 2.0, rate_hz: int = 44100, amplitude: int = 6000) -> bytes:  # noqa: ANN001
    t = np.arange(int(rate_hz * seconds)) / rate_hz
    return write_wav(tmp_path / "salam-bupati.wav", (np.sin(2 * np.pi * 300 * t) * amplitude).astype(np.int16), rate_hz).read_bytes()


def _get(client, path: str) -> bytes:  # noqa: ANN001
    with client.get(path) as response:
        assert response.status_code == 200
        return response.data


def _upload(client, name: str, data: bytes, filename: str = "salam.wav"):  # noqa: ANN001, ANN201
    page = client.get("/konsol/admin/suara-telepon/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post(f"/konsol/admin/suara-telepon/{name}", data={"csrf_token": token, "audio": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data", follow_redirects=True)


def test_uploaded_prompt_is_played_to_callers_and_can_be_reset(client, users, tmp_path) -> None:  # noqa: ANN001
    bundled = _get(client, "/twilio/prompts/salam.wav")
    login(client, "admin")
    page = _upload(client, "salam", _tone(tmp_path))
    assert "kini diputar untuk penelepon" in page.text
    root = twiml(post(client, "/twilio/voice", voice_params()))
    url = next(p.text for p in root.iter("Play"))
    assert re.fullmatch(re.escape(PUBLIC_URL) + r"/twilio/prompts/salam\.wav\?v=\d+", url)
    served = _get(client, url.removeprefix(PUBLIC_URL))
    with wave.open(io.BytesIO(served)) as w:  # converted to telephone quality
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert abs(w.getnframes() / 8000 - 2.0) < 0.05
    assert served != bundled

    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/konsol/admin/suara-telepon/").text).group(1)
    page = client.post("/konsol/admin/suara-telepon/salam", data={"csrf_token": token, "action": "reset"}, follow_redirects=True)
    assert "kembali memakai suara bawaan" in page.text
    assert _get(client, "/twilio/prompts/salam.wav") == bundled
    assert next(p.text for p in twiml(post(client, "/twilio/voice", voice_params())).iter("Play")) == f"{PUBLIC_URL}/twilio/prompts/salam.wav"


@pytest.mark.parametrize("case,message", [
    ("garbage", "bukan audio"), ("silent", "tidak berisi suara"), ("short", "terlalu pendek"), ("long", "terlalu panjang"),
])
def test_unusable_uploads_are_refused_in_indonesian(client, users, tmp_path, case: str, message: str) -> None:  # noqa: ANN001
    data = {
        "garbage": b"bukan audio sama sekali" * 100,
        "silent": _tone(tmp_path, amplitude=0),
        "short": _tone(tmp_path, seconds=0.1),
        "long": _tone(tmp_path, seconds=61, rate_hz=8000),
    }[case]
    login(client, "admin")
    page = _upload(client, "salam", data)
    assert "tidak dipakai" in page.text and message in page.text.lower()
    assert "?v=" not in next(p.text for p in twiml(post(client, "/twilio/voice", voice_params())).iter("Play"))


def test_only_admins_manage_prompts(client, users) -> None:  # noqa: ANN001
    login(client, "operator")
    assert client.get("/konsol/admin/suara-telepon/").status_code == 403
