"""The review desk, the desk form and Sambang Desa with JavaScript off (Debian chromium through Playwright): the place
field still works."""

from __future__ import annotations

import pytest

from sqlalchemy import select

from models.desk import SambangSession
from models.entities import Complaint
from tests.conftest import PASSWORD
from tests.desk_data import PEJOK_TIE, drafted

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _review_without_js(browser, live_server: str, session, complaint_id: int):  # noqa: ANN001, ANN202
    return _without_js(browser, live_server, session, f"/konsol/draf/{complaint_id}")


def _without_js(browser, live_server: str, session, path: str):  # noqa: ANN001, ANN202
    session.commit()
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "operator")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{live_server}{path}")
    return page


def _saved(session, complaint_id: int) -> Complaint:  # noqa: ANN001
    session.expire_all()
    return session.get(Complaint, complaint_id)


def test_the_place_is_searched_and_picked_without_javascript(live_server, browser, session, settings, users) -> None:  # noqa: ANN001
    draft = drafted(session, settings, PEJOK_TIE)
    page = _review_without_js(browser, live_server, session, draft.id)
    page.fill("input[name=title]", "Jalan Pejok berlubang besar")
    page.fill("#place-search", "kedung adem")
    page.click("button[value=cari_tempat]")
    results = page.locator("#place-results label")
    assert "Kec. Kedungadem" in results.all_inner_texts()[0]
    assert page.input_value("input[name=title]") == "Jalan Pejok berlubang besar"  # the edit survives the search
    results.first.locator("input").check()
    page.click("button[value=save]")
    page.wait_for_selector("text=Draf disimpan.")
    saved = _saved(session, draft.id)
    assert (saved.title, saved.place.label) == ("Jalan Pejok berlubang besar", "Kec. Kedungadem")

    page.fill("#place-search", "Sumberejo")
    page.click("button[value=cari_tempat]")
    assert "Sumberejo" in page.locator("#place-results label").first.inner_text()
    page.context.close()


def test_a_place_tie_is_picked_without_javascript(live_server, browser, session, settings, users) -> None:  # noqa: ANN001
    draft = drafted(session, settings, PEJOK_TIE)
    page = _review_without_js(browser, live_server, session, draft.id)
    candidates = page.locator("#place-candidates label")
    assert [t.split("67%")[0].strip() for t in candidates.all_inner_texts()] == ["Desa Pejok, Kec. Kedungadem", "Desa Pejok, Kec. Kepohbaru"]
    assert not page.locator("#place-chips").is_visible()  # the chips need JavaScript; the radios replace them
    candidates.nth(1).locator("input").check()
    page.click("button[value=save]")
    page.wait_for_selector("text=Draf disimpan.")
    assert _saved(session, draft.id).place.code == "35.22.09.2001"
    page.context.close()


def test_typed_place_text_never_picked_does_not_confirm(live_server, browser, session, settings, users) -> None:  # noqa: ANN001
    draft = drafted(session, settings, PEJOK_TIE)
    page = _review_without_js(browser, live_server, session, draft.id)
    page.fill("#place-search", "kedungadem")
    page.press("#place-search", "Enter")  # Enter presses the form's first button
    page.wait_for_selector("#place-results")
    assert "belum dipilih" in page.inner_text("#form-error")
    assert page.get_attribute("#place-search", "aria-invalid") == "true"
    assert _saved(session, draft.id).status == "draft"
    page.context.close()


LAMP = "Lampu penerangan jalan di depan balai desa mati sudah dua minggu, malam gelap sekali."


def test_a_typed_complaint_gets_its_place_without_javascript(live_server, browser, session, users) -> None:  # noqa: ANN001
    page = _without_js(browser, live_server, session, "/konsol/pengaduan-baru")
    page.check("input[name=channel][value=walk_in]")
    page.fill("textarea[name=text]", LAMP)
    page.fill("input[name=reporter_name]", "Pak Darmo")
    page.fill("#place-search", "pejok kepohbaru")
    page.click("button[value=cari_tempat]")
    results = page.locator("#place-results label")
    assert results.first.inner_text().strip() == "Desa Pejok, Kec. Kepohbaru"
    assert page.input_value("textarea[name=text]") == LAMP and page.input_value("input[name=reporter_name]") == "Pak Darmo"
    assert page.is_checked("input[name=channel][value=walk_in]")  # everything typed survives the search
    results.first.locator("input").check()
    page.click("#draft-submit")
    page.wait_for_url("**/konsol/draf/*")
    session.expire_all()
    complaint = session.scalars(select(Complaint)).one()
    assert (complaint.reporter_name, complaint.place.label) == ("Pak Darmo", "Desa Pejok, Kec. Kepohbaru")
    page.context.close()


def test_a_sambang_desa_session_is_started_without_javascript(live_server, browser, session, users) -> None:  # noqa: ANN001
    page = _without_js(browser, live_server, session, "/konsol/sambang-desa")
    page.fill("input[name=held_on]", "2026-11-30")
    page.fill("textarea[name=officials]", "Bupati Bojonegoro")
    page.fill("#place-search", "mlaten")
    page.click("button[value=cari_tempat]")
    page.locator("#place-results label", has_text="Desa Mlaten, Kec. Kalitidu").locator("input").check()
    assert page.input_value("textarea[name=officials]") == "Bupati Bojonegoro"
    page.click("#sambang-open")
    page.wait_for_url("**/konsol/sambang-desa/*")
    session.expire_all()
    assert session.scalars(select(SambangSession)).one().place.name == "Mlaten"

    assert page.input_value("#place-search") == "Desa Mlaten, Kec. Kalitidu"  # its complaints start at its desa
    page.fill("textarea[name=text]", LAMP)
    page.click("#save-next")
    page.wait_for_selector("text=Pengaduan ke-1 sesi ini disimpan")
    session.expire_all()
    assert session.scalars(select(Complaint)).one().place.name == "Mlaten"
    page.context.close()


def test_the_agency_follows_the_confirmed_topic_without_javascript(live_server, browser, session, settings, users) -> None:  # noqa: ANN001
    draft = drafted(session, settings, PEJOK_TIE)
    page = _review_without_js(browser, live_server, session, draft.id)
    page.select_option("#topic", label="Kesehatan")
    page.click("#confirm")
    page.wait_for_selector("text=Pengaduan dikonfirmasi")
    assert _saved(session, draft.id).agency.key == "dinkes"
    page.context.close()
