"""The review desk in a real browser (Debian chromium through Playwright), on drafts the real drafter made."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from models import lifecycle as lc
from models.entities import Call, Complaint, Place
from tests.browser import login_page
from tests.console_data import make_complaint, user
from tests.desk_data import NGUMPAK, NGUMPAK_AGAIN, PEJOK_TIE, drafted
from transcribe.audio import write_wav

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _operator_at(browser, live_server: str, session, path: str):  # noqa: ANN001, ANN202
    """The data committed, an operator's browser page at `path`."""
    session.commit()
    page = login_page(browser, live_server, "operator")
    page.goto(f"{live_server}{path}")
    return page


def _place_code(session, complaint_id: int) -> str | None:  # noqa: ANN001
    session.expire_all()
    complaint = session.get(Complaint, complaint_id)
    return complaint.place.code if complaint.place else None


def test_place_tie_shows_both_candidates_and_the_pick_is_saved(live_server, browser, session, settings, users) -> None:  # noqa: ANN001
    draft = drafted(session, settings, PEJOK_TIE)
    page = _operator_at(browser, live_server, session, f"/konsol/draf/{draft.id}")
    chips = page.locator("#place-chips .chip.check")
    assert chips.all_inner_texts() == ["Desa Pejok, Kec. Kedungadem 67%", "Desa Pejok, Kec. Kepohbaru 67%"]
    page.click("#place-chips .chip:has-text('Kepohbaru')")
    assert page.input_value("#place-search") == "Desa Pejok, Kec. Kepohbaru"
    page.click("button[value=save]")
    page.wait_for_selector("text=Draf disimpan.")
    assert _place_code(session, draft.id) == "35.22.09.2001"
    assert page.locator("#place-chips .chip.on").inner_text().startswith("Desa Pejok, Kec. Kepohbaru")
    page.context.close()


def test_duplicate_is_shown_and_linked(live_server, browser, session, settings, users) -> None:  # noqa: ANN001
    first = drafted(session, settings, NGUMPAK)
    lc.confirm_draft(session, first, by=user(session, "operator"), settings=settings)
    second = drafted(session, settings, NGUMPAK_AGAIN)
    page = _operator_at(browser, live_server, session, f"/konsol/draf/{second.id}")
    panel = page.locator(f"#dup-{first.id}")
    text = panel.inner_text()
    assert first.title in text and "Belum Diverifikasi" in text and "Desa Ngumpakdalem, Kec. Dander" in text
    panel.locator("button").click()
    page.wait_for_selector("text=Digabungkan ke pengaduan")
    assert page.url.endswith(f"/konsol/pengaduan/{first.id}")
    session.expire_all()
    assert session.get(Complaint, second.id).duplicate_of_id == first.id
    page.context.close()


def test_a_bad_phone_keeps_every_other_edit(live_server, browser, session, settings, users) -> None:  # noqa: ANN001
    draft = drafted(session, settings, PEJOK_TIE)
    page = _operator_at(browser, live_server, session, f"/konsol/draf/{draft.id}")
    edits = {"input[name=title]": "Jalan Pejok berlubang besar", "input[name=reporter_name]": "Slamet Riyadi",
             "input[name=location_detail]": "Dusun Krajan RT 02", "textarea[name=description]": "Jalan berlubang di depan balai desa.",
             "textarea[name=transcript]": "jalan di desa pejok kepohbaru rusak parah", "input[name=reporter_phone]": "abc-xyz"}
    for selector, value in edits.items():
        page.fill(selector, value)
    page.click("#place-chips .chip:has-text('Kedungadem')")
    page.check("input[name=urgent]")
    page.click("button[value=save]")
    page.wait_for_selector("#form-error")
    assert "Nomor telepon pelapor tidak valid" in page.inner_text("#form-error")
    assert page.get_attribute("input[name=reporter_phone]", "aria-invalid") == "true"
    for selector, value in edits.items():
        assert page.input_value(selector) == value, selector
    assert page.input_value("#place-search") == "Desa Pejok, Kec. Kedungadem"
    assert page.is_checked("input[name=urgent]")
    # corrected, the same page saves everything; Enter in a field saves, it never confirms
    page.fill("input[name=reporter_phone]", "0812 3456 7890")
    page.press("input[name=reporter_phone]", "Enter")
    page.wait_for_selector("text=Draf disimpan.")
    session.expire_all()
    saved = session.get(Complaint, draft.id)
    assert (saved.reporter_name, saved.location_detail, saved.urgent) == ("Slamet Riyadi", "Dusun Krajan RT 02", True)
    assert saved.place.code == "35.22.08.2002" and saved.status == "draft"
    page.context.close()


def test_disposition_note_is_typed_and_saved(live_server, browser, session, settings, users) -> None:  # noqa: ANN001
    c = make_complaint(session, settings, "terverifikasi")
    page = _operator_at(browser, live_server, session, f"/konsol/pengaduan/{c.id}")
    form = page.locator("form.act-disposisi")
    form.locator("select[name=agency_id]").select_option(label=form.locator("option", has_text="Pekerjaan Umum").first.inner_text())
    form.locator("input[name=note]").fill("Mohon ditinjau bersama UPT jalan.")
    form.locator("button").click()
    page.wait_for_selector("text=status sekarang Terdisposisi")
    assert "Mohon ditinjau bersama UPT jalan." in page.inner_text(".history")
    page.context.close()


def test_place_picker_finds_kedung_adem_and_sumberejo(live_server, browser, session, settings, users) -> None:  # noqa: ANN001
    draft = drafted(session, settings, "lampu jalan mati sudah seminggu mohon diganti")
    page = _operator_at(browser, live_server, session, f"/konsol/draf/{draft.id}")
    page.fill("#place-search", "kedung adem")
    page.wait_for_selector("#place-options [role=option]")
    assert page.locator("#place-options [role=option]").all_inner_texts()[:2] == ["Kec. Kedungadem", "Desa Kedungadem, Kec. Kedungadem"]
    page.press("#place-search", "ArrowDown")
    page.press("#place-search", "Enter")  # picks, does not submit
    assert page.input_value("#place-search") == "Desa Kedungadem, Kec. Kedungadem"
    page.fill("#place-search", "Sumberejo")
    page.wait_for_selector("#place-options [role=option]:has-text('Kec. Trucuk')")
    options = page.locator("#place-options [role=option]").all_inner_texts()
    assert {"Desa Sumberejo, Kec. Malo", "Desa Sumberejo, Kec. Trucuk"} <= set(options)
    page.click("#place-options [role=option]:has-text('Sumberejo, Kec. Trucuk')")
    page.click("button[value=save]")
    page.wait_for_selector("text=Draf disimpan.")
    trucuk = session.scalars(select(Place).where(Place.name == "Sumberejo", Place.parent.has(Place.name == "Trucuk"))).one()
    assert _place_code(session, draft.id) == trucuk.code
    page.context.close()


def test_upload_with_a_bad_caller_number_shows_the_message_on_the_form(live_server, browser, session, settings, users, tmp_path) -> None:  # noqa: ANN001
    t = np.arange(16000) / 16000
    wav = write_wav(tmp_path / "keluhan.wav", (np.sin(2 * np.pi * 300 * t) * 6000).astype(np.int16))
    page = login_page(browser, live_server, "operator")
    page.goto(f"{live_server}/")
    page.set_input_files("form.upload input[type=file]", str(wav))
    page.fill("form.upload input[name=caller_number]", "abc-xyz")
    page.click("form.upload button[type=submit]")
    page.wait_for_selector("form.upload #upload-error")
    assert "Nomor penelepon harus nomor telepon Indonesia" in page.inner_text("form.upload #upload-error")
    assert page.input_value("form.upload input[name=caller_number]") == "abc-xyz"
    assert "422" not in page.title()
    assert session.scalar(select(Call.id)) is None
    page.context.close()


def _agency_key(session, complaint_id: int) -> str | None:  # noqa: ANN001
    session.expire_all()
    complaint = session.get(Complaint, complaint_id)
    return complaint.agency.key if complaint.agency else None


@pytest.mark.parametrize("audio", [True, False])
def test_the_agency_follows_a_topic_changed_on_the_page(live_server, browser, session, settings, users, audio) -> None:  # noqa: ANN001
    """A road drafted for Dinas PU, its topic changed to Kesehatan (in the list, or by a chip on a typed complaint
    that has no player): "Sesuai topik" names Dinas Kesehatan at once, and the confirmed complaint goes there."""
    draft = drafted(session, settings, PEJOK_TIE)
    if not audio:
        draft.call.audio_path = None
    page = _operator_at(browser, live_server, session, f"/konsol/draf/{draft.id}")
    agency = page.locator("#agency option:checked")
    assert agency.inner_text() == "Sesuai topik: Dinas Pekerjaan Umum Bina Marga dan Penataan Ruang"
    if audio:
        page.select_option("#topic", label="Kesehatan")
        assert agency.inner_text() == "Sesuai topik: Dinas Kesehatan"
    else:
        chip = page.locator("[data-fill=topic]").nth(1)
        chip.click()
        assert page.input_value("#topic") == chip.get_attribute("data-value")
        assert agency.inner_text() != "Sesuai topik: Dinas Pekerjaan Umum Bina Marga dan Penataan Ruang"
        page.select_option("#topic", label="Kesehatan")
    page.click("#confirm")
    page.wait_for_selector("text=Pengaduan dikonfirmasi")
    assert _agency_key(session, draft.id) == "dinkes"
    page.context.close()
