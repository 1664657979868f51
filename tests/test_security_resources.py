"""Cheap requests may not cost a lot: silent uploads, upload rate, concurrent PDFs (issue 15, finding 4)."""

from __future__ import annotations

import io
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import select

from models.entities import Call, CallStatus, Complaint
from tests.conftest import csrf_from, login


def _silent_flac(path: Path, seconds: float, rate_hz: int = 8000, level: float = 0.0) -> bytes:
    """A long FLAC of silence (or faint hiss at `level` of full scale), written block by block."""
    rng = np.random.default_rng(7)
    with sf.SoundFile(str(path), "w", samplerate=rate_hz, channels=1, format="FLAC", subtype="PCM_16") as out:
        left = int(seconds * rate_hz)
        while left:
            n = min(left, rate_hz * 600)
            out.write((rng.standard_normal(n) * level).astype(np.float32) if level else np.zeros(n, dtype=np.int16))
            left -= n
    return path.read_bytes()


def _upload(client, data: bytes, name: str):  # noqa: ANN001, ANN202
    token = csrf_from(client.get("/").text)
    return client.post("/calls/upload", data={"csrf_token": token, "audio": (io.BytesIO(data), name)}, content_type="multipart/form-data")


class RefusingEngine:
    """An engine a test hands to the pipeline when no audio may reach a recognizer."""

    def transcribe(self, samples):  # noqa: ANN001, ANN201
        pytest.fail("audio that is only silence reached a recognizer")


def test_a_long_silent_upload_is_marked_quickly_with_bounded_memory(app, client, session, settings, users, tmp_path) -> None:  # noqa: ANN001
    data = _silent_flac(tmp_path / "hening.flac", 7150)
    assert len(data) < 2_000_000
    login(client, "operator")
    tracemalloc.start()
    started = time.perf_counter()
    response = _upload(client, data, "hening.flac")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert response.status_code == 302
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MB while checking the upload"  # 2 h at 16 kHz would be 229 MB
    call = session.scalars(select(Call)).one()
    assert call.status == CallStatus.SILENT.value and 7100 < call.duration_s < 7200

    # The job does not give it to a recognizer and makes no draft.
    jobs = app.extensions["suara"].jobs
    jobs.recognizer = RefusingEngine()
    started = time.perf_counter()
    jobs._run_transcribe(call.id)
    assert time.perf_counter() - started < 2.0
    session.expire_all()
    assert session.get(Call, call.id).status == CallStatus.SILENT.value
    assert session.scalars(select(Complaint)).first() is None
    assert elapsed < 60


def test_near_silent_audio_from_any_channel_is_marked_not_transcribed(session, settings) -> None:  # noqa: ANN001
    from models.entities import Channel
    from transcribe.pipeline import transcribe_call
    from voice.intake import IncomingAudio, receive_call

    hiss = (np.random.default_rng(3).standard_normal(16000 * 120) * 30).astype(np.int16)  # about -60 dBFS
    buffer = io.BytesIO()
    sf.write(buffer, hiss, 16000, format="WAV", subtype="PCM_16")
    call, _ = receive_call(session, settings, IncomingAudio(data=buffer.getvalue(), channel=Channel.PHONE, external_id="CA-hening"))
    assert transcribe_call(session, settings, call, RefusingEngine()) is None
    assert call.status == CallStatus.SILENT.value and "keheningan" in call.error


def test_silence_around_speech_is_trimmed_and_word_times_kept(session, settings) -> None:  # noqa: ANN001
    from models.entities import Channel
    from transcribe.pipeline import transcribe_call
    from transcribe.types import Transcript, Word
    from voice.intake import IncomingAudio, receive_call

    tone = (np.sin(np.arange(16000 * 2) * 2 * np.pi * 300 / 16000) * 8000).astype(np.int16)
    audio = np.concatenate([np.zeros(16000 * 30, dtype=np.int16), tone, np.zeros(16000 * 60, dtype=np.int16)])
    buffer = io.BytesIO()
    sf.write(buffer, audio, 16000, format="WAV", subtype="PCM_16")
    heard: list[int] = []

    class Engine:
        def transcribe(self, samples):  # noqa: ANN001, ANN202
            heard.append(len(samples))
            return Transcript("fake", "fake", "id", "halo", words=[Word("halo", 0.5, 1.0, 0.9)], duration_s=len(samples) / 16000)

    call, _ = receive_call(session, settings, IncomingAudio(data=buffer.getvalue(), channel=Channel.PHONE, external_id="CA-nada"))
    transcript = transcribe_call(session, settings, call, Engine())
    assert heard and heard[0] / 16000 < 4.0  # 2 s of sound with its margins, not 92 s
    assert 30.0 <= transcript.words[0]["start"] <= 31.0  # times are still from the start of the recording
    assert transcript.duration_s == pytest.approx(92.0, abs=0.1)


def test_uploads_are_limited_per_user(settings, db_engine, users, tmp_path) -> None:  # noqa: ANN001
    from web import create_app

    app = create_app({"SETTINGS": settings.with_(upload_rate="2 per hour"), "TESTING": True})
    tone = (np.sin(np.arange(16000) / 3) * 8000).astype(np.int16)
    operator, admin = app.test_client(), app.test_client()
    login(operator, "operator")
    login(admin, "admin")
    answers = []
    for i in range(3):
        buffer = io.BytesIO()
        sf.write(buffer, np.roll(tone, i), 16000, format="WAV")
        answers.append(_upload(operator, buffer.getvalue(), f"nada{i}.wav").status_code)
    assert answers == [302, 302, 429]
    buffer = io.BytesIO()
    sf.write(buffer, np.roll(tone, 9), 16000, format="WAV")
    assert _upload(admin, buffer.getvalue(), "lain.wav").status_code == 302  # another user is not held up
    app.extensions["suara"].engine.dispose()


@pytest.mark.browser
def test_concurrent_weekly_pdfs_use_one_browser_at_a_time(app, settings, users, monkeypatch) -> None:  # noqa: ANN001
    from web import dashboard

    real, active, most, prints = dashboard.html_to_pdf, [0], [0], [0]
    lock = threading.Lock()

    def counting(html: str) -> bytes | None:
        with lock:
            active[0] += 1
            prints[0] += 1
            most[0] = max(most[0], active[0])
        try:
            return real(html)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(dashboard, "html_to_pdf", counting)
    clients = [app.test_client() for _ in range(8)]
    for client in clients:
        login(client, "viewer")
    answers: list[tuple[int, bytes]] = []

    def fetch(client) -> None:  # noqa: ANN001
        response = client.get("/dasbor/laporan-mingguan.pdf?minggu=2026-11-23")
        answers.append((response.status_code, response.data[:5]))

    threads = [threading.Thread(target=fetch, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert [a for a in answers] == [(200, b"%PDF-")] * 8
    assert most[0] == 1 and prints[0] == 1


@pytest.mark.parametrize("rate_hz", [8000, 16000, 44100])
def test_loudness_is_measured_at_the_native_rate_like_after_conversion(rate_hz: int) -> None:
    from transcribe.audio import decode_bytes, measure_bytes
    from transcribe.silence import measure

    t = np.arange(int(rate_hz * 2.0)) / rate_hz
    tone = np.sin(2 * np.pi * 300 * t) * 0.3
    audio = np.concatenate([np.zeros(rate_hz * 5), tone, np.zeros(rate_hz * 3)]).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, audio, rate_hz, format="WAV", subtype="PCM_16")
    native, converted = measure_bytes(buffer.getvalue()), measure(decode_bytes(buffer.getvalue()))
    assert native.duration_s == pytest.approx(10.0, abs=0.01)
    for loudness in (native, converted):
        assert loudness.active_s == pytest.approx(2.0, abs=0.1) and not loudness.silent
        assert loudness.first_active_s == pytest.approx(5.0, abs=0.06) and loudness.last_active_s == pytest.approx(7.0, abs=0.06)
