"""Voice activity of a show: silence, speech, music/jingles, and where one caller ends and the next begins."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.db import session_factory
from tests.radio_support import RATE, jingle, silence
from transcribe.types import AudioChunk, StreamResult
from voice.radio.activity import WINDOW, Activity, ActivityTracker, find_spans
from voice.radio.show import LiveShow
from voice.radio.sources import AudioSource, Block, Sink

LABEL_CODES = {"silence": "_", "speech": "s", "music": "m"}


def speechlike(seconds: float, seed: int = 0) -> np.ndarray:
    """Voiced syllables at 4.5 a second, each at its own pitch with vibrato, rising and falling in level (int16)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    syllable = np.minimum((t * 4.5).astype(int), int(seconds * 4.5))
    pitch = rng.uniform(110, 220, int(seconds * 4.5) + 1)[syllable] * (1 + 0.08 * np.sin(2 * np.pi * 3 * t))
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    voice = sum(np.sin(k * phase) / k for k in range(1, 15)) * np.sin(np.pi * ((t * 4.5) % 1.0)) ** 2
    return (voice / np.abs(voice).max() * 12_000).astype(np.int16)


def tone(seconds: float, hz: float = 440.0) -> np.ndarray:
    """A steady tone with one overtone, like a held note of a music bed (int16)."""
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.3 * 32767 * (np.sin(2 * np.pi * hz * t) + 0.3 * np.sin(4 * np.pi * hz * t)) / 1.3).astype(np.int16)


def track(samples: np.ndarray) -> tuple[str, list[Activity]]:
    """Every window's label as one character (_ silence, s speech, m music) and the activities reported."""
    tracker = ActivityTracker()
    labels, activities = [], []
    for i in range(0, len(samples) - WINDOW + 1, WINDOW):
        label, found = tracker.push(samples[i : i + WINDOW])
        labels.append(LABEL_CODES[label])
        activities.extend(found)
    return "".join(labels), activities


def concat(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate(parts)


@pytest.mark.parametrize(
    ("audio", "last_label", "expected"),
    [
        pytest.param(silence(3.0), "_", [], id="silence"),
        pytest.param(np.full(3 * RATE, 40, dtype=np.int16), "_", [], id="quiet-hum"),
        pytest.param(speechlike(4.0), "s", [("speech", 0.0, "start")], id="speech"),
        pytest.param(tone(3.0), "m", [], id="steady-tone"),
        pytest.param(jingle(3.0), "m", [], id="jingle"),
        pytest.param(concat(silence(1.0), speechlike(3.0)), "s", [("speech", 1.0, "start")], id="speech-after-silence"),
        pytest.param(concat(speechlike(3.0), silence(2.0), speechlike(3.0, seed=1)), "s",
                     [("speech", 0.0, "start"), ("break", 3.0, "pause"), ("speech", 5.0, "pause")], id="2s-pause"),
        pytest.param(concat(speechlike(3.0), silence(3.5), speechlike(3.0, seed=1)), "s",
                     [("speech", 0.0, "start"), ("break", 3.0, "pause"), ("speech", 6.5, "pause")], id="long-pause"),
        pytest.param(concat(speechlike(3.0), silence(1.8), speechlike(3.0, seed=1)), "s",
                     [("speech", 0.0, "start")], id="1.8s-pause-is-one-caller"),
        pytest.param(concat(speechlike(3.0), tone(2.0), speechlike(3.0, seed=1)), "s",
                     [("speech", 0.0, "start"), ("break", 3.0, "music"), ("speech", 5.0, "music")], id="tone-between"),
        pytest.param(concat(speechlike(3.0), jingle(2.0), speechlike(3.0, seed=1)), "s",
                     [("speech", 0.0, "start"), ("break", 3.0, "music"), ("speech", 5.0, "music")], id="jingle-between"),
        pytest.param(concat(speechlike(3.0), silence(3.0)), "_",
                     [("speech", 0.0, "start"), ("break", 3.0, "pause")], id="speech-then-silence"),
        # A last word shorter than the onset, after a breath: the caller ends after it, not before.
        pytest.param(concat(speechlike(3.0), silence(0.3), speechlike(0.8, seed=1), silence(3.0)), "_",
                     [("speech", 0.0, "start"), ("break", 4.1, "pause")], id="short-last-word"),
    ],
)
def test_labels_and_caller_boundaries(audio: np.ndarray, last_label: str, expected: list[tuple[str, float, str]]) -> None:
    labels, activities = track(audio)
    assert labels[-1] == last_label, labels
    assert [(a.kind, a.reason) for a in activities] == [(kind, reason) for kind, _, reason in expected], labels
    # Music is only recognised after a second of it, so a boundary next to music may be off by a few windows.
    for activity, (_, at_s, _) in zip(activities, expected):
        assert activity.at_s == pytest.approx(at_s, abs=0.45 if activity.reason == "music" else 0.11)


@pytest.mark.parametrize(
    ("audio", "label"),
    [(silence(2.0), "silence"), (speechlike(2.0), "speech"), (tone(2.0, 1000.0), "music"), (jingle(2.0), "music")],
    ids=["silence", "speech", "tone-1kHz", "jingle"],
)
def test_sustained_sound_is_labelled_once_the_context_is_full(audio: np.ndarray, label: str) -> None:
    labels, _ = track(audio)
    code = LABEL_CODES[label]
    # The first second is judged without a full context (music would read as speech there).
    assert set(labels[10:]) == {code}, labels


def test_find_spans_cuts_a_recording_at_pauses_and_music() -> None:
    """The spans re-segmenting uses: three callers, padded by 0.3 s, never past the recording."""
    audio = concat(silence(1.0), speechlike(3.0), silence(2.5), speechlike(3.0, seed=1), jingle(2.0), silence(1.0),
                   speechlike(2.0, seed=2), silence(0.5))
    spans = find_spans(audio)
    assert len(spans) == 3, spans
    # The second caller ends in a jingle: music is judged over a second, so that end may come up to 0.6 s early.
    for (start, end), (want_start, want_end, slack) in zip(spans, [(0.7, 4.3, 0.11), (6.2, 9.8, 0.6), (12.2, 14.8, 0.11)]):
        assert start == pytest.approx(want_start, abs=0.11) and end == pytest.approx(want_end, abs=slack), spans
    assert spans[-1][1] <= len(audio) / RATE
    assert find_spans(silence(5.0)) == [] and find_spans(tone(5.0)) == []


class ArraySource(AudioSource):
    """Delivers a recording in 0.1 s blocks as fast as it can, then ends."""

    description = "array"

    def __init__(self, samples: np.ndarray) -> None:
        super().__init__()
        self.samples = samples

    def _run(self, sink: Sink) -> None:
        for i in range(0, len(self.samples), WINDOW):
            sink(Block(self.samples[i : i + WINDOW]))


class DeafStream:
    def feed(self, chunk: AudioChunk) -> list[StreamResult]:
        return []

    def finish(self) -> list[StreamResult]:
        return []


class DeafEngine:
    """A recognizer that hears nothing: the show's segmenting does not depend on what is said."""

    name = "deaf"
    model_name = "deaf"
    language = "id"

    def __init__(self) -> None:
        self.readings: list[bool] = []

    def stream(self, readings: bool = True) -> DeafStream:
        self.readings.append(readings)
        return DeafStream()


def test_a_show_asks_its_live_stream_for_no_other_readings(settings, db_engine) -> None:  # noqa: ANN001
    """A show's live text is never routed (each caller is transcribed again from their own audio), so the
    stream must not spend a second decode per sentence on drawn readings."""
    engine = DeafEngine()
    live = LiveShow(settings, session_factory(db_engine), ArraySource(concat(speechlike(1.0), silence(1.0))), "Uji", engine)  # type: ignore[arg-type]
    live.start()
    assert live.wait(30)
    assert engine.readings and not any(engine.readings)  # the warm-up's throwaway stream too


@pytest.mark.parametrize("auto_segment", [False, True], ids=["suggested", "auto"])
def test_a_pause_after_speech_suggests_a_boundary_or_cuts_one(settings, db_engine, auto_segment: bool) -> None:  # noqa: ANN001
    """Manual shows offer the boundary to the operator; auto-segmented shows cut there themselves."""
    audio = concat(speechlike(3.0), silence(2.0), speechlike(3.0, seed=1), silence(2.5))
    live = LiveShow(settings, session_factory(db_engine), ArraySource(audio), "Uji", DeafEngine(), auto_segment=auto_segment)  # type: ignore[arg-type]
    live.start()
    assert live.wait(30)
    events = live.events_since(0)
    suggestions = [e.data for e in events if e.kind == "suggestion"]
    if auto_segment:
        assert suggestions == []
        assert [(round(r.start_s, 1), round(r.end_s, 1)) for r in live.results] == [(0.0, 3.3), (4.7, 8.3)]
        assert (Path(settings.data_dir) / f"radio/show-{live.show_id}.wav").exists()
    else:
        assert [(s["end_s"], s["start_s"], s["reason"]) for s in suggestions] == [(3.0, 5.0, "pause")]
        assert live.results == []


class OperatorSource(ArraySource):
    """Delivers a recording like ArraySource and acts for the operator at given show times: before the block that
    starts there, it waits until the show has taken in everything before it, so the marks fall where they would live."""

    description = "operator"

    def __init__(self, samples: np.ndarray, marks: list[tuple[float, str]]) -> None:
        super().__init__(samples)
        self.marks = dict(marks)
        self.live: LiveShow | None = None

    def _run(self, sink: Sink) -> None:
        import time

        for i in range(0, len(self.samples), WINDOW):
            at_s = round(i / RATE, 1)
            if at_s in self.marks:
                while self.live.now_s < at_s or not self.live._ingest.empty():  # type: ignore[union-attr]
                    time.sleep(0.005)
                time.sleep(0.05)  # the last window's voice activity is handled after it is archived
                if self.marks[at_s] == "new":
                    self.live.new_caller(at_s=at_s)  # type: ignore[union-attr]
                else:
                    self.live.end_caller(at_s=at_s)  # type: ignore[union-attr]
            sink(Block(self.samples[i : i + WINDOW]))


def test_with_an_operator_only_callers_on_air_are_cut_automatically(settings, db_engine) -> None:  # noqa: ANN001
    """The host opens the show, the operator marks the first caller (N): from then on a pause cuts one caller from
    the next, until the operator says the last one is done (S). The host's opening and the talk after S are no
    caller: they make no call and no draft."""
    audio = concat(speechlike(4.0), silence(2.5),  # the host's opening, 0-4 s
                   speechlike(3.0, seed=1), silence(2.5),  # caller one, 6.5-9.5 s (N at 5: the pause is not yet one)
                   speechlike(3.0, seed=2), silence(0.5),  # caller two, 12-15 s (S at 15.5)
                   silence(2.0), speechlike(3.0, seed=3), silence(2.5))  # the host again, 17.5-20.5 s
    source = OperatorSource(audio, [(5.0, "new"), (15.5, "end")])
    live = LiveShow(settings, session_factory(db_engine), source, "Uji", DeafEngine(), auto_segment=True,  # type: ignore[arg-type]
                    operator_led=True)
    source.live = live
    live.start()
    assert live.wait(30)
    assert [(round(r.start_s, 1), round(r.end_s, 1)) for r in live.results] == [(5.0, 9.8), (11.7, 15.5)]
    opened = [(e.data["segment"], e.data["origin"]) for e in live.events_since(0) if e.kind == "segment_open"]
    assert opened == [(1, "manual"), (2, "auto")]


def test_the_hosts_opening_is_no_caller_of_a_show_started_on_the_page(settings, db_engine, users, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """Auto-segmenting on the page waits for the operator's first caller: the host's opening makes no call."""
    import soundfile as sf
    from sqlalchemy import select

    import transcribe.engines
    from models.entities import Call
    from models.radio import RadioShow
    from tests.conftest import csrf_from, login
    from web import create_app

    monkeypatch.setattr(transcribe.engines, "load_engine", lambda *args: DeafEngine())
    folder = tmp_path / "rekaman"
    folder.mkdir()
    sf.write(folder / "pembukaan.wav", concat(speechlike(4.0), silence(2.5), speechlike(3.0, seed=1), silence(2.5)), RATE,
             subtype="PCM_16")
    app = create_app({"SETTINGS": settings.with_(radio_files_dir=folder), "TESTING": True})
    client = app.test_client()
    login(client, "operator")
    page = client.get("/radio/")
    started = client.post("/radio/mulai", data={"csrf_token": csrf_from(page.text), "show": "SAPA BUPATI", "kind": "url",
                                                "source": "pembukaan.wav", "auto_segment": "1", "pace": "fast"})
    assert started.status_code == 302
    live = next(iter(app.extensions["suara.radio"].live.values()))
    assert live.wait(30)
    with app.extensions["suara"].sessions() as session:
        assert session.get(RadioShow, live.show_id).segments == []
        assert session.scalars(select(Call)).first() is None
    app.extensions["suara"].engine.dispose()
