"""Security headers on every response, and pages that work under the Content-Security-Policy (issue 15, finding 6)."""

from __future__ import annotations

import re

import pytest

from tests.browser import login_page
from tests.console_data import make_complaint, make_draft
from tests.conftest import login

REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _urls(app, ids: dict[str, int]) -> list[str]:  # noqa: ANN001
    """Every GET route of the app with sample ids filled in."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        url = re.sub(r"<(?:int:)?(\w+)>", lambda m: str(ids.get(m.group(1), 1)), rule.rule)
        urls.append(url)
    return sorted(set(urls))


def _assert_headers(response, url: str) -> None:  # noqa: ANN001
    for name, value in REQUIRED.items():
        assert response.headers.get(name) == value, f"{url}: {name} is {response.headers.get(name)!r}"
    csp = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp, f"{url}: {csp!r}"
    assert "unsafe-inline" not in csp


@pytest.mark.parametrize("role", [None, "admin", "liaison_pu"])
def test_every_route_answers_with_security_headers(app, client, session, settings, users, role) -> None:  # noqa: ANN001
    complaint = make_complaint(session, settings, "terdisposisi")
    session.commit()
    if role:
        login(client, role)
    ids = {"complaint_id": complaint.id, "call_id": complaint.call_id or 1, "reference": complaint.reference, "key": "topik"}
    for url in _urls(app, ids):
        if url.endswith(("/events", "/stream")) or "laporan-mingguan.pdf" in url:
            continue  # endless event streams and the PDF printer; headers come from the same hook
        _assert_headers(client.get(url), url)
    _assert_headers(client.get("/tidak-ada"), "404")
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_hsts_when_served_over_https(settings, db_engine) -> None:  # noqa: ANN001
    from web import create_app

    app = create_app({"SETTINGS": settings.with_(secure_cookies=True), "TESTING": True})
    response = app.test_client().get("/login", base_url="https://lapor.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    app.extensions["suara"].engine.dispose()


def test_no_template_has_inline_script_style_or_handler() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "web" / "templates"
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\{% if printable %\}<style>.*?</style>", "", text)  # the PDF is printed offline, not served
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text), f"inline script in {path.name}"
        assert not re.search(r"<style|\sstyle=", text), f"inline style in {path.name}"
        assert not re.search(r"\son[a-z]+=", text), f"event handler attribute in {path.name}"


@pytest.mark.browser
def test_pages_work_under_the_policy_in_a_browser(live_server, browser, session, settings, users) -> None:  # noqa: ANN001
    complaint = make_complaint(session, settings, "ditindaklanjuti")
    draft = make_draft(session, settings)
    session.commit()
    page = login_page(browser, live_server, "admin", bypass_csp=False)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    paths = ["/", "/konsol/", f"/konsol/draf/{draft.id}", "/konsol/pengaduan", f"/konsol/pengaduan/{complaint.id}", "/konsol/opd",
             "/live", "/radio/", "/dasbor/", "/dasbor/isu", "/dasbor/laporan-mingguan", "/serah-terima/", "/konsol/admin/pengguna",
             "/konsol/admin/opd", "/konsol/admin/libur", "/akun/kata-sandi", "/transparansi",
             f"/lacak?nomor={complaint.reference}"]  # fmt: skip
    for path in paths:
        response = page.goto(f"{live_server}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("load")
    page.goto(f"{live_server}/dasbor/")
    drawn = "Array.from(document.querySelectorAll('canvas')).some(c => c.width > 0 && window.Chart && Chart.getChart(c))"
    for _ in range(50):  # polled from here: wait_for_function would evaluate a string inside the page, which the CSP forbids
        if page.evaluate(drawn):
            break
        page.wait_for_timeout(100)
    assert page.evaluate(drawn), "the dashboard's charts were not drawn"
    page.goto(f"{live_server}/transparansi")
    page.select_option("select[name=periode]", "30")
    page.wait_for_url(lambda url: "periode=30" in url)
    csp = [p for p in problems if "Content Security Policy" in p or "Refused to" in p]
    assert not csp, "\n".join(csp)
    assert not problems, "\n".join(problems)
