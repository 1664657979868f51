"""The public tracking page in a real browser (Debian chromium through Playwright), on a phone-sized screen."""

from __future__ import annotations

import models.satisfaction  # noqa: F401 - registers the analytics, issue and rating tables (until models/all.py does)
import pytest

from models import lifecycle as lc
from models.refs import format_reference
from tests.console_data import make_complaint, past, user
from tests.test_browser_console import CHROMIUM, server  # noqa: F401 - the live-server fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run"]  # fmt: skip
NAME, PHONE = "Siti Aminah Rahayu", "085700011122"


@pytest.fixture
def phone():  # noqa: ANN201
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True).new_page()
        page.set_default_timeout(10_000)
        yield page
        browser.close()


def test_public_tracking_in_the_browser(server, phone, session, settings, users) -> None:  # noqa: ANN001
    anonymous = make_complaint(session, settings, "terdisposisi", anonymous=True, reporter=NAME, phone=PHONE,
                               title="Rahasia judul", received_at=past(4))  # fmt: skip
    lc.record_follow_up(session, anonymous, f"Sudah dicek bersama {NAME}.", by=user(session, "liaison_pu"), settings=settings)
    confidential = make_complaint(session, settings, "selesai", confidential=True, reporter=NAME, phone=PHONE, received_at=past(4))
    session.commit()

    phone.goto(f"{server}/lacak")
    phone.fill("input[name=nomor]", format_reference(anonymous.reference))
    phone.click("button[type=submit]")
    phone.wait_for_selector("#hasil")
    text = phone.inner_text("body")
    assert "Ditindaklanjuti" in text and "Sudah dicek bersama [disamarkan]" in text
    for secret in (NAME, "Siti", PHONE, "Rahasia judul"):
        assert secret not in phone.content()
    # Fits a phone screen: nothing wider than the viewport.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    phone.check("input[name=nilai][value=cukup_puas]")
    phone.fill("input[name=telepon_akhir]", "1122")
    phone.click("#nilai button[type=submit]")
    phone.wait_for_selector(".flash.success")
    assert "Penilaian Anda: Cukup Puas" in phone.inner_text("body")

    phone.goto(f"{server}/lacak?nomor={confidential.reference}")
    phone.wait_for_selector("#tidak-ada")
    assert phone.locator("#hasil").count() == 0
    body = phone.content()
    for leaked in (NAME, PHONE, "Selesai", format_reference(confidential.reference), "Jalan"):
        assert leaked not in body, leaked

    phone.goto(f"{server}/transparansi")
    assert "Transparansi" in phone.inner_text("h1") and NAME not in phone.content()
