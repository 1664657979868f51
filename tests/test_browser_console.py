"""The console in a real browser (Debian chromium through Playwright): live inbox, review, confirm, liaison, overdue."""

from __future__ import annotations

import pytest

from tests.browser import login_page
from tests.console_data import make_complaint, make_draft, past

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_operator_reviews_live_draft_and_liaison_answers(live_server, browser, app, session, settings, users) -> None:  # noqa: ANN001
    overdue = make_complaint(session, settings, "terdisposisi", title="Jembatan Ngraho retak", received_at=past(30))
    overdue.dispositioned_at = past(20)
    from models import lifecycle as lc

    lc.refresh_due(session, overdue, settings)
    session.commit()

    page = login_page(browser, live_server, "operator")
    page.goto(f"{live_server}/konsol/")
    page.wait_for_selector("#live-status[data-state=live]")
    assert page.locator("#inbox-rows .empty").count() == 1

    # A draft arrives while the page is open: stored, then announced as the drafting job does.
    draft = make_draft(session, settings, title="Jalan Sukorejo rusak parah", urgent=True)
    session.commit()
    app.extensions["suara_broker"].publish("drafted", call_id=draft.call_id)
    row = page.wait_for_selector(f"#draft-{draft.id}")
    assert "Mendesak" in row.inner_text() and "Telepon" in row.inner_text()

    page.click(f"#draft-{draft.id} a.button")
    page.wait_for_selector("#words .w")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    # Two columns side by side at 1366×768, nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    listen, fields = page.locator(".listen").bounding_box(), page.locator(".fields").bounding_box()
    assert listen["x"] < fields["x"] and abs(listen["y"] - fields["y"]) < 5

    page.click('#words .w[data-start="2.00"]')
    page.wait_for_function("Math.abs(document.getElementById('player').currentTime - 2.0) < 0.5 || document.getElementById('player').currentTime > 2.0")
    assert 1.9 <= page.evaluate("document.getElementById('player').currentTime") < 4.5
    page.wait_for_selector(".w.playing")
    assert page.locator("#words .w.low").count() == 1

    page.evaluate("document.getElementById('player').pause()")
    page.evaluate("document.getElementById('player').currentTime = 4")
    page.locator("body").press("Alt+j")
    assert page.evaluate("document.getElementById('player').currentTime") < 1.5

    page.select_option("#topic", label="Jalan, jembatan dan tata ruang")
    page.fill("input[name=title]", "Jalan Desa Sukorejo rusak parah")
    page.locator("input[name=title]").press("Control+Enter")
    page.wait_for_selector("#reference")
    reference = page.inner_text("#reference")
    assert len(reference.replace("-", "")) == 12
    assert "Belum Diverifikasi" in page.inner_text("h1")

    # Verify and disposition through the forms.
    page.click("form.act-verifikasi button")
    page.wait_for_selector("form.act-disposisi")
    page.select_option("form.act-disposisi select[name=agency_id]", label=page.locator(
        "form.act-disposisi option", has_text="Pekerjaan Umum").first.inner_text())
    page.click("form.act-disposisi button")
    page.wait_for_selector("text=Terdisposisi")

    # The liaison of that agency answers; the overdue complaint is flagged in their queue.
    liaison = login_page(browser, live_server, "liaison_pu", viewport={"width": 820, "height": 1180})
    liaison.goto(f"{live_server}/konsol/opd")
    assert "Terlambat" in liaison.inner_text(f"#complaint-{overdue.id}")
    liaison.click(f"#complaint-{draft.id} a")
    liaison.fill("form.act-tindak-lanjut textarea[name=text]", "Jalan sudah ditambal oleh tim UPT.")
    liaison.click("form.act-tindak-lanjut button")
    liaison.wait_for_selector("text=Jalan sudah ditambal oleh tim UPT.")
    assert "Ditindaklanjuti" in liaison.inner_text("h1")
    assert liaison.evaluate("document.documentElement.scrollWidth") <= 820
    liaison.context.close()
    page.context.close()
