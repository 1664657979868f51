"""Debian chromium driven by Playwright (never a downloaded browser), and a login helper."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--autoplay-policy=no-user-gesture-required", "--mute-audio"]  # fmt: skip


def login_page(browser, base: str, username: str, viewport: dict | None = None, bypass_csp: bool = True):  # noqa: ANN001, ANN201
    """A new page of a new browser context, logged in as `username`.

    The Content-Security-Policy forbids evaluating strings, which Playwright's `wait_for_function` polling does;
    tests of behaviour bypass it, tests/test_security_headers.py walks the pages under it.
    """
    context = browser.new_context(viewport=viewport or {"width": 1366, "height": 768}, bypass_csp=bypass_csp)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page
