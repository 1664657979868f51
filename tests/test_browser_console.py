"""The console in a real browser (Debian chromium through Playwright): live inbox, review, confirm, liaison, overdue."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD
from tests.console_data import make_complaint, make_draft, past

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--autoplay-policy=no-user-gesture-required", "--mute-audio"]


@pytest.fixture
def server(app):  # noqa: ANN001, ANN201
    app.config["SSE_KEEPALIVE_S"] = 1.0
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(5)


@pytest.fixture
def browser():  # noqa: ANN201
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _login(browser, base: str, username: str, viewport: dict | None = None):  # noqa: ANN001, ANN202
    context = browser.new_context(viewport=viewport or {"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def test_operator_reviews_live_draft_and_liaison_answers(server, browser, app, session, settings, users) -> None:  # noqa: ANN001
    overdue = make_complaint(session, settings, "terdisposisi", title="Jembatan Ngraho retak", received_at=past(30))
    overdue.dispositioned_at = past(20)
    from models import lifecycle as lc

    lc.refresh_due(session, overdue, settings)
    session.commit()

    page = _login(browser, server, "operator")
    page.goto(f"{server}/konsol/")
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
    liaison = _login(browser, server, "liaison_pu", viewport={"width": 820, "height": 1180})
    liaison.goto(f"{server}/konsol/opd")
    assert "Terlambat" in liaison.inner_text(f"#complaint-{overdue.id}")
    liaison.click(f"#complaint-{draft.id} a")
    liaison.fill("form.act-tindak-lanjut textarea[name=text]", "Jalan sudah ditambal oleh tim UPT.")
    liaison.click("form.act-tindak-lanjut button")
    liaison.wait_for_selector("text=Jalan sudah ditambal oleh tim UPT.")
    assert "Ditindaklanjuti" in liaison.inner_text("h1")
    assert liaison.evaluate("document.documentElement.scrollWidth") <= 820
    liaison.context.close()
    page.context.close()
