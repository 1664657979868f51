"""Charts and the weekly report read at a glance: categories with data only (plus "Lainnya"), rows sized so names
stay readable at 1280 and 390 px, the report's period chosen and "belum ada pengaduan" instead of zeros."""

from __future__ import annotations

import json
import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import models.satisfaction  # noqa: F401 - registers the analytics, issue and rating tables
from models.base import utcnow
from models.entities import Place
from tests.conftest import PASSWORD, login
from tests.console_data import make_complaint, past
from web.dashboard import report_period

SHOTS = Path(os.environ.get("SUARA_SCREENSHOT_DIR", "/tmp/suara-screens"))


def _charts(html: str) -> dict[str, dict]:
    data = json.loads(re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html, re.S).group(1))
    return {c["key"]: c for c in data}


def test_bar_charts_list_only_categories_with_data(client, session, settings, users) -> None:  # noqa: ANN001
    make_complaint(session, settings, "terdisposisi", received_at=past(3))
    make_complaint(session, settings, "ditindaklanjuti", agency_key="dinkes", received_at=past(2))
    session.commit()
    login(client, "operator")
    charts = _charts(client.get("/dasbor/?periode=30").text)
    kecamatan = session.scalars(select(Place).where(Place.kind == "desa").order_by(Place.id)).first().parent.name
    assert charts["kecamatan"]["labels"] == [kecamatan]  # not all 28
    assert charts["kecamatan"]["horizontal"] and charts["kepatuhan"]["horizontal"]
    assert sorted(charts["kepatuhan"]["labels"]) == ["DINKES", "DPUBMPR"]
    csv_rows = client.get("/dasbor/data/kecamatan.csv?periode=30").text.strip().splitlines()
    assert len(csv_rows) >= 29  # the CSV keeps every kecamatan


def test_many_categories_are_summed_as_lainnya() -> None:
    from web.dashboard import TOP_BARS, _top_with_rest

    rows = [(f"K{i}", i) for i in range(28)]
    bars = _top_with_rest(rows, lambda n: n, sum)
    assert len(bars) == TOP_BARS + 1 and bars[0] == ("K27", 27)
    assert bars[-1] == (f"Lainnya ({27 - TOP_BARS})", sum(range(1, 28 - TOP_BARS)))  # K0 has no data: left out


@pytest.mark.parametrize(
    ("args", "today", "last_week_has", "this_week_has", "expected", "choice"),
    [
        ({}, date(2026, 12, 2), True, True, (date(2026, 11, 23), date(2026, 11, 29)), "minggu-lalu"),
        ({}, date(2026, 12, 1), False, True, (date(2026, 11, 30), date(2026, 12, 1)), "minggu-ini"),
        ({}, date(2026, 12, 1), False, False, (date(2026, 11, 23), date(2026, 11, 29)), "minggu-lalu"),
        ({"periode": "minggu-lalu"}, date(2026, 12, 1), False, True, (date(2026, 11, 23), date(2026, 11, 29)), "minggu-lalu"),
        ({"periode": "minggu-ini"}, date(2026, 12, 3), True, True, (date(2026, 11, 30), date(2026, 12, 3)), "minggu-ini"),
        ({"periode": "rentang", "dari": "2026-10-01", "sampai": "2026-10-31"}, date(2026, 12, 3), True, True,
         (date(2026, 10, 1), date(2026, 10, 31)), "rentang"),
        ({"periode": "rentang", "dari": "2026-01-01", "sampai": "2026-10-31"}, date(2026, 12, 3), True, True,
         (date(2026, 11, 23), date(2026, 11, 29)), "minggu-lalu"),  # too long: refused with a note
        ({"minggu": "2026-11-11"}, date(2026, 12, 3), True, True, (date(2026, 11, 9), date(2026, 11, 15)), "minggu"),
    ],
)
def test_report_period(args, today, last_week_has, this_week_has, expected, choice) -> None:  # noqa: ANN001
    this_monday = today - timedelta(days=today.weekday())
    chosen = report_period(args, today, lambda p: this_week_has if p.start == this_monday else last_week_has)
    assert (chosen.period.start, chosen.period.end) == expected and chosen.choice == choice


@pytest.mark.parametrize(
    ("dari", "sampai", "note"),
    [
        ("2026-11-30", "2026-11-01", "Tanggal awal setelah tanggal akhir."),
        ("2026-01-01", "2026-10-31", "Rentang tanggal paling panjang 93 hari."),
        ("2026-11-01", "", "Isi tanggal awal dan tanggal akhir."),
    ],
)
def test_a_refused_report_range_says_why(dari: str, sampai: str, note: str) -> None:
    chosen = report_period({"periode": "rentang", "dari": dari, "sampai": sampai}, date(2026, 12, 3), lambda p: True)
    assert chosen.choice == "minggu-lalu" and chosen.note == f"{note} Ditampilkan minggu lalu."


@pytest.mark.parametrize("page", ["/dasbor/", "/dasbor/opd/dpubmpr", "/dasbor/isu"])
def test_the_dashboards_say_why_a_range_is_refused(client, users, page: str) -> None:  # noqa: ANN001
    login(client, "operator")
    text = client.get(f"{page}?dari=2026-11-30&sampai=2026-11-01").text
    assert "Tanggal awal setelah tanggal akhir. Ditampilkan 30 hari terakhir." in text


def test_weekly_report_early_in_the_week_shows_this_week(client, session, settings, users) -> None:  # noqa: ANN001
    make_complaint(session, settings, "terdisposisi", received_at=utcnow() - timedelta(minutes=5))
    session.commit()
    login(client, "operator")
    page = client.get("/dasbor/laporan-mingguan").text
    assert "ditampilkan minggu ini" in page or ">1</td>" in page  # this week (or, on a Monday early, the same week)
    assert re.search(r"<th>Pengaduan diterima</th><td>1</td>", page)
    empty = client.get("/dasbor/laporan-mingguan?periode=rentang&dari=2020-01-01&sampai=2020-01-31").text
    assert "Belum ada pengaduan" in empty and "<th>Pengaduan diterima</th>" not in empty
    for level in ("Sangat Puas", "Puas", "Cukup Puas", "Tidak Puas"):
        assert level in page


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium is not installed")
def test_weekly_report_pdf_has_the_same_content(client, session, settings, users) -> None:  # noqa: ANN001
    import io

    from pypdf import PdfReader

    make_complaint(session, settings, "terdisposisi", title="Jalan berlubang", received_at=utcnow() - timedelta(days=1))
    session.commit()
    login(client, "operator")
    response = client.get("/dasbor/laporan-mingguan.pdf?periode=rentang&dari=%s&sampai=%s"
                          % ((date.today() - timedelta(days=6)).isoformat(), date.today().isoformat()))
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Pengaduan per hari" in text and "Kepuasan pelapor" in text and "Isu teratas per OPD" in text


def _log_in(page, base: str) -> None:  # noqa: ANN001 - a Playwright page
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "operator")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


PAGES = ["/dasbor/?periode=30", "/dasbor/opd/dpubmpr", "/dasbor/laporan-mingguan?periode=minggu-ini", "/transparansi"]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium is not installed")
@pytest.mark.parametrize("width", [1280, 390])
def test_dashboard_pages_read_at_desk_and_phone_width(live_server, browser, session, settings, users, width: int) -> None:  # noqa: ANN001
    """No page is wider than the screen, every category bar has room for its name, and a screenshot is kept to look at."""
    for days, agency_key in ((1, "dpubmpr"), (2, "dinkes"), (3, "dpubmpr"), (4, "disdik")):
        make_complaint(session, settings, "ditindaklanjuti", agency_key=agency_key, received_at=past(days))
    session.commit()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        _log_in(page, live_server)
        for path in PAGES:
            page.goto(live_server + path)
            page.wait_for_load_state("networkidle")
            assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{path} wider than {width} px"
            for canvas in page.query_selector_all("canvas[data-chart]"):
                box = canvas.bounding_box()
                assert box and box["width"] >= min(width - 80, 300) and box["height"] >= 100, path
            name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
            page.screenshot(path=str(SHOTS / f"{width}-{name}.png"), full_page=True)
        page.goto(live_server + "/dasbor/?periode=30")
        rows = page.evaluate("JSON.parse(document.getElementById('chart-data').textContent)"
                             ".find(c => c.key === 'kepatuhan').labels.length")
        box = page.query_selector("canvas[data-chart=kepatuhan]").bounding_box()
        assert box["height"] / rows >= 30, "each agency needs a row tall enough for its name"
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium is not installed")
def test_issue_and_overdue_tables_read_on_a_phone_without_sideways_scrolling(live_server, browser, session, settings, users) -> None:  # noqa: ANN001, E501
    """At 390 px the priority issues and an agency's overdue complaints are one card per row, every value named:
    neither the page nor the table scrolls sideways, and the issue's label stays on screen."""
    from models import analytics as an

    for days, title in ((20, "Jalan rusak berlubang di dekat jembatan kecamatan"), (21, "Jalan rusak berlubang parah")):
        make_complaint(session, settings, "terdisposisi", title=title, received_at=past(days))
    session.commit()
    an.recluster(session)
    session.commit()
    page = browser.new_page(viewport={"width": 390, "height": 900})
    try:
        _log_in(page, live_server)
        for path, table in (("/dasbor/isu?periode=30", "table#issues"), ("/dasbor/opd/dpubmpr", ".overdue-card table")):
            page.goto(live_server + path)
            page.wait_for_load_state("networkidle")
            sideways = page.eval_on_selector(table, "t => t.scrollWidth - t.clientWidth")
            assert sideways <= 1, f"{path}: the table scrolls {sideways} px sideways at 390 px"
            assert page.query_selector_all(f"{table} tbody td[data-label]"), f"{path}: a row with named values"
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
            for cell in page.query_selector_all(f"{table} tbody td"):
                box = cell.bounding_box()
                assert box is None or box["x"] + box["width"] <= 391, f"{path}: a value off the screen"
    finally:
        page.close()
