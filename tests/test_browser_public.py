"""The public tracking page in a real browser (Debian chromium through Playwright), on a phone-sized screen."""

from __future__ import annotations

import pytest

from models import lifecycle as lc
from models.refs import format_reference
from tests.console_data import make_complaint, past, user

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NAME, PHONE = "Siti Aminah Rahayu", "085700011122"


@pytest.fixture
def phone(browser):  # noqa: ANN001, ANN201
    """A phone-sized page."""
    page = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True).new_page()
    page.set_default_timeout(10_000)
    return page


def test_public_tracking_in_the_browser(live_server, phone, session, settings, users) -> None:  # noqa: ANN001
    anonymous = make_complaint(session, settings, "terdisposisi", anonymous=True, reporter=NAME, phone=PHONE,
                               title="Rahasia judul", received_at=past(4))  # fmt: skip
    lc.record_follow_up(session, anonymous, f"Sudah dicek bersama {NAME}.", by=user(session, "liaison_pu"), settings=settings)
    confidential = make_complaint(session, settings, "selesai", confidential=True, reporter=NAME, phone=PHONE, received_at=past(4))
    session.commit()

    phone.goto(f"{live_server}/lacak")
    phone.fill("input[name=nomor]", format_reference(anonymous.reference))
    phone.click("button[type=submit]")
    phone.wait_for_selector("#hasil")
    text = phone.inner_text("body")
    assert "Ditindaklanjuti" in text and "Sudah dicek bersama [nama]" in text
    for secret in (NAME, "Siti", PHONE, "Rahasia judul"):
        assert secret not in phone.content()
    # Fits a phone screen: nothing wider than the viewport.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    # an anonymous complaint is rated by phone only; an ordinary one on the page, with the phone's last digits
    assert "lewat telepon" in phone.inner_text("#nilai-telepon") and phone.locator("#nilai").count() == 0
    ordinary = make_complaint(session, settings, "terdisposisi", reporter=NAME, phone=PHONE, received_at=past(4))
    lc.record_follow_up(session, ordinary, "Sudah diperbaiki.", by=user(session, "liaison_pu"), settings=settings)
    session.commit()
    phone.goto(f"{live_server}/lacak?nomor={ordinary.reference}")
    phone.check("input[name=nilai][value=cukup_puas]")
    phone.fill("input[name=telepon_akhir]", "1122")
    phone.click("#nilai button[type=submit]")
    phone.wait_for_selector(".flash.success")
    assert "Penilaian Anda: Cukup Puas" in phone.inner_text("body")

    phone.goto(f"{live_server}/lacak?nomor={confidential.reference}")
    phone.wait_for_selector("#tidak-ada")
    assert phone.locator("#hasil").count() == 0
    body = phone.content()
    for leaked in (NAME, PHONE, "Selesai", format_reference(confidential.reference), "Jalan"):
        assert leaked not in body, leaked

    phone.goto(f"{live_server}/transparansi")
    assert "Transparansi" in phone.inner_text("h1") and NAME not in phone.content()
