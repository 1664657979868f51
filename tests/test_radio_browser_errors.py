"""Siaran Radio in a real browser: a source or a model that cannot be used is said on the page, in Indonesian,
and what the host typed stays in the form."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.radio import RadioShow
from tests.browser import login_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def settings(settings, tmp_path):  # noqa: ANN001, ANN201
    """The radio form opens local files only from the recordings folder, and streams only from allowed hosts."""
    import dataclasses

    (tmp_path / "rekaman").mkdir()
    return dataclasses.replace(settings, radio_files_dir=(tmp_path / "rekaman").resolve(), radio_allowed_hosts=("radio.example",))


@pytest.mark.parametrize(
    ("source", "engine", "message"),
    [
        ("0", "whisper", "Perangkat masukan “0” tidak ditemukan"),
        ("Mixer Studio USB", "", "Perangkat masukan “Mixer Studio USB” tidak ditemukan"),
        ("tidak-ada-siaran.mp3", "", "Berkas tidak ditemukan di folder rekaman"),
    ],
    ids=["no-sound-card", "unknown-device", "no-file"],
)
def test_start_errors_are_said_on_the_form(live_server, browser, app, users, session, source, engine, message) -> None:  # noqa: ANN001
    page = login_page(browser, live_server, "operator")
    page.goto(f"{live_server}/radio/")
    page.check("input[name=kind][value=url]")
    page.fill("input[name=show]", "SAPA BUPATI")
    page.fill("input[name=source]", source)
    page.select_option("select[name=engine]", engine)
    page.click("text=Mulai siaran")
    alert = page.wait_for_selector("#start-error")
    assert message in alert.inner_text()
    assert "Permintaan tidak valid" not in page.content()
    assert page.input_value("input[name=source]") == source  # nothing to type again
    assert page.input_value("select[name=engine]") == engine
    page.context.close()
    assert session.scalars(select(RadioShow)).first() is None


def test_an_engine_that_cannot_run_is_offered_disabled_with_the_reason(live_server, browser, app, users) -> None:  # noqa: ANN001
    """No Vosk model is configured here: Vosk cannot be chosen, and the list says why; Whisper (the default) can."""
    page = login_page(browser, live_server, "operator")
    page.goto(f"{live_server}/radio/")
    vosk = page.locator("select[name=engine] option[value=vosk]")
    assert vosk.is_disabled()
    assert "Model Vosk belum diatur" in vosk.inner_text()
    for value in ("", "whisper"):
        assert page.locator(f'select[name=engine] option[value="{value}"]').is_enabled()
    assert "Whisper" in page.locator('select[name=engine] option[value=""]').inner_text()  # what "bawaan" is
    page.context.close()
