"""Typing complaints at the desk in a real browser (Debian chromium through Playwright): a letter with a photo is
drafted, its suggestions shown, confirmed and numbered; a Sambang Desa session takes two complaints one after another."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.entities import Complaint
from tests.browser import login_page
from tests.desk_intake_data import PNG_1PX

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROAD = ("Dengan hormat, kami warga Desa Mlaten Kecamatan Kalitidu melaporkan jalan poros desa rusak parah dan "
        "berlubang sejak dua bulan, sudah ada pengendara motor jatuh. Mohon segera diperbaiki.")


def test_a_typed_letter_is_drafted_shown_with_suggestions_and_confirmed(live_server, browser, session, users, tmp_path) -> None:  # noqa: ANN001
    photo = tmp_path / "jalan-rusak.png"
    photo.write_bytes(PNG_1PX)
    page = login_page(browser, live_server, "operator", bypass_csp=False)  # the form works under the real CSP
    page.goto(f"{live_server}/konsol/")
    page.click("nav >> text=Pengaduan baru")
    page.wait_for_url("**/konsol/pengaduan-baru")  # loaded, its scripts run
    assert page.locator("[data-show-for=social_media]").is_hidden()  # shown only for social media
    page.check("input[name=channel][value=social_media]")
    assert page.locator("[data-show-for=social_media]").is_visible()
    page.check("input[name=channel][value=letter]")
    page.fill("textarea[name=text]", ROAD)
    page.fill("input[name=reporter_phone]", "nomor bapak")  # a mistake: the form comes back with everything typed
    page.fill("input[name=reporter_name]", "Pak Darmo")
    page.fill("input[name=source_ref]", "Surat No. 005/12/2026")
    page.click("#draft-submit")
    page.wait_for_selector("#form-error")
    assert "Nomor telepon pelapor tidak valid" in page.inner_text("#form-error")
    assert page.input_value("textarea[name=text]") == ROAD and page.input_value("input[name=reporter_name]") == "Pak Darmo"
    assert page.is_checked("input[name=channel][value=letter]")
    assert page.get_attribute("input[name=reporter_phone]", "aria-invalid") == "true"

    page.fill("input[name=reporter_phone]", "081234567001")
    page.set_input_files("input[name=attachments]", str(photo))
    page.click("#draft-submit")
    page.wait_for_url("**/konsol/draf/*")
    assert "Surat" in page.inner_text("#desk-source") and "Surat No. 005/12/2026" in page.inner_text("#desk-source")
    assert page.locator("#attachments img").evaluate("img => img.complete && img.naturalWidth") == 1
    assert "Jalan" in page.inner_text(".suggest")  # the drafter's topic suggestion, as for a call
    assert page.input_value("#place-search") == "Desa Mlaten, Kec. Kalitidu"
    page.click("#confirm")
    page.wait_for_selector("#reference")
    reference = page.inner_text("#reference")
    session.expire_all()
    complaint = session.scalars(select(Complaint)).one()
    assert complaint.reference and reference.replace("-", "") == complaint.reference.replace("-", "")
    assert (complaint.channel, complaint.reporter_name, complaint.topic.key) == ("letter", "Pak Darmo", "jalan")
    page.context.close()


def test_a_sambang_desa_session_with_two_complaints(live_server, browser, session, users) -> None:  # noqa: ANN001
    page = login_page(browser, live_server, "operator", bypass_csp=False)
    page.goto(f"{live_server}/konsol/sambang-desa")
    page.fill("input[name=held_on]", "2026-11-30")
    page.fill("#place-search", "mlaten")
    page.click("#place-options [role=option]:has-text('Desa Mlaten')")
    page.fill("textarea[name=officials]", "Bupati Bojonegoro\nKepala Dinas PU")
    page.click("#sambang-open")
    page.wait_for_url("**/konsol/sambang-desa/*")
    assert page.input_value("#place-search") == "Desa Mlaten, Kec. Kalitidu"  # each complaint starts at the session's desa

    page.fill("textarea[name=text]", "Lampu penerangan jalan di depan balai desa mati sudah dua minggu, malam gelap sekali.")
    page.fill("input[name=reporter_name]", "Bu Sri")
    page.click("#save-next")
    page.wait_for_selector("text=Pengaduan ke-1 sesi ini disimpan")
    assert page.input_value("textarea[name=text]") == "" and page.input_value("#place-search") == "Desa Mlaten, Kec. Kalitidu"
    page.fill("textarea[name=text]", "Saluran irigasi sawah di dusun kami tersumbat sampah, air tidak mengalir ke sawah.")
    page.check("input[name=anonymous]")
    page.click("#save-next")
    page.wait_for_selector("text=Pengaduan ke-2 sesi ini disimpan")
    rows = page.locator("#session-complaints li").all_inner_texts()
    assert len(rows) == 2 and all("Desa Mlaten, Kec. Kalitidu" in row for row in rows)
    session.expire_all()
    first, second = session.scalars(select(Complaint).order_by(Complaint.id)).all()
    assert (first.channel, second.channel) == ("sambang_desa", "sambang_desa")
    assert (first.reporter_name, second.anonymous) == ("Bu Sri", True)
    page.click(f"#sambang-complaint-{second.id} a")
    page.wait_for_url(f"**/konsol/draf/{second.id}")
    assert "Sambang Desa" in page.inner_text("#desk-source")
    page.context.close()
