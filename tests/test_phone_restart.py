"""A deploy at the wrong moment loses no recording: a real `suara worker` process is killed (SIGKILL or
SIGTERM) while a recording download waits between tries or is in flight against the loopback Twilio;
after a restart the recording is downloaded, transcribed and drafted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from models.entities import Call, CallStatus
from tests.speech import synth_phone8k, synth_tools_missing
from tests.test_twilio import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, REC, post, running_fake_twilio, voice_params, wait_for

pytestmark = pytest.mark.skipif(bool(synth_tools_missing()), reason="needs espeak-ng, mbrola-id1 and sox")

SPOKEN = "Selamat pagi, saya mau melapor jalan di desa Kalitidu rusak parah dan berlubang."
SUARA = Path(sys.executable).with_name("suara")


@pytest.fixture
def spoken_wav(tmp_path) -> bytes:  # noqa: ANN001
    return synth_phone8k(SPOKEN, tmp_path / "laporan.wav").read_bytes()


@pytest.fixture
def fake_twilio(spoken_wav):  # noqa: ANN001, ANN201
    with running_fake_twilio(spoken_wav, not_ready=1) as server:
        yield server


@pytest.fixture
def settings(settings, fake_twilio):  # noqa: ANN001, ANN201
    return settings.with_(
        public_url=PUBLIC_URL, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
        twilio_api_base=fake_twilio.base, twilio_fetch_first_s=3.0, twilio_fetch_stall_s=0.5,
    )


class Worker:
    """`suara worker` in its own process, on the test's data directory and database."""

    def __init__(self, settings, log_path: Path) -> None:  # noqa: ANN001
        self.env = dict(
            os.environ, SUARA_DATA_DIR=str(settings.data_dir), SUARA_DATABASE_URL=settings.database_url,
            SUARA_SECRET_KEY="uji", SUARA_WHISPER_MODEL=str(settings.whisper_model), SUARA_WHISPER_DRAWN_READINGS="0",
            SUARA_TWILIO_ACCOUNT_SID=ACCOUNT_SID, SUARA_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            SUARA_TWILIO_API_BASE=settings.twilio_api_base, SUARA_PUBLIC_URL=PUBLIC_URL,
            SUARA_TWILIO_FETCH_FIRST_S=str(settings.twilio_fetch_first_s),
            SUARA_TWILIO_FETCH_STALL_S=str(settings.twilio_fetch_stall_s), SUARA_JOB_RETRY_DELAY_S="0",
        )
        self.env.pop("SUARA_REDIS_URL", None)
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen([str(SUARA), "worker", "--workers", "1"], env=self.env, stdout=log, stderr=log)

    def wait_ready(self) -> None:
        """Until the consumer runs (it drove overdue downloads on its way up)."""
        wait_for(lambda: "Periodic tasks are" in self.log(), 30)

    def stop(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.mark.parametrize("moment", ["between_tries", "during_download"])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_worker_killed_while_a_recording_is_fetched_loses_nothing(app, client, session, settings, fake_twilio, tmp_path,
                                                                  moment: str, sig: int) -> None:  # noqa: ANN001
    worker = Worker(settings, tmp_path / "worker.log")
    if moment == "during_download":
        fake_twilio.not_ready = 1  # the first try gets 404, the second hangs until the worker is dead
    post(client, "/twilio/menu", voice_params(Digits="1"))
    worker.start()
    try:
        worker.wait_ready()
        params = voice_params(RecordingSid=REC, RecordingStatus="completed", RecordingDuration="6")
        assert post(client, "/twilio/recording", params).status_code == 204
        wait_for(lambda: fake_twilio.gets_arrived >= 1, 30)  # the first try: 404, the next in 3 s
        if moment == "during_download":
            fake_twilio.gate = threading.Event()
            wait_for(lambda: fake_twilio.gets_arrived >= 2, 30)
        else:
            time.sleep(1.0)
        worker.stop(sig)
        session.expire_all()
        call = session.scalars(select(Call)).one()
        assert call.status == CallStatus.AWAITING.value and call.audio_path is None, worker.log()
        if fake_twilio.gate is not None:
            fake_twilio.gate.set()
        time.sleep(1.5)  # the next try is overdue by more than the stall time
        worker.start()

        def drafted():  # noqa: ANN202
            session.expire_all()
            call = session.scalars(select(Call)).one()
            return call if call.status in (CallStatus.DRAFTED.value, CallStatus.FAILED.value) else None

        call = wait_for(drafted, 120)
        assert call.status == CallStatus.DRAFTED.value, (call.error, worker.log())
        assert call.meta["audio_from"] == "recording" and call.draft is not None
        assert "jalan" in call.transcript.text.lower()
        if moment == "during_download":  # the job died with the worker: the recovery job drove the download on
            assert "its download job was lost; driven again" in worker.log()
    finally:
        if worker.proc is not None and worker.proc.poll() is None:
            worker.stop(signal.SIGINT)
