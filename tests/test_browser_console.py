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


WORDS_BROKEN = """t => {
  const broken = [];
  const walker = document.createTreeWalker(t, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.textContent.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (lines.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""
"""The words of an element that the browser broke over two lines."""


@pytest.mark.parametrize(
    ("who", "path"),
    [("operator", "/konsol/"), ("liaison_pu", "/konsol/opd"), ("admin", "/konsol/admin/pengguna"),
     ("operator", "/dasbor/laporan-mingguan?periode=rentang&dari={week_ago}&sampai={today}")],
)
def test_console_tables_read_on_a_phone(live_server, browser, session, settings, users, who: str, path: str) -> None:  # noqa: ANN001
    """At 390 px no table hides a column off to the right (a wide one is a card per row, every value named) and no
    word is broken in the middle ("Bojonegor o")."""
    from datetime import date, timedelta

    from sqlalchemy import select

    from models import analytics as an
    from models.entities import Place

    places = {p.name: p for p in session.scalars(select(Place).where(Place.name.in_(["Ngranggonanyar", "Bojonegoro"])))}
    for i, title in enumerate(["Lampu penerangan jalan umum mati sudah seminggu", "Saluran drainase tersumbat menyebabkan banjir"]):
        make_draft(session, settings, title=title).place = places["Ngranggonanyar" if i else "Bojonegoro"]
    for days in (1, 2, 20):
        late = make_complaint(session, settings, "terdisposisi", received_at=past(days),
                              title="Jembatan penghubung desa ambrol dan membahayakan pengguna jalan")
        late.place = places["Ngranggonanyar"]
    session.commit()
    an.recluster(session)
    session.commit()
    page = login_page(browser, live_server, who, viewport={"width": 390, "height": 900})
    try:
        page.goto(live_server + path.format(week_ago=(date.today() - timedelta(days=6)).isoformat(), today=date.today().isoformat()))
        tables = page.query_selector_all("main table")
        assert tables, path
        for table in tables:
            assert table.evaluate("t => t.scrollWidth - t.clientWidth") <= 1, f"{path}: a table scrolls sideways"
            for cell in table.query_selector_all("tbody td"):
                box = cell.bounding_box()
                assert box is None or box["x"] + box["width"] <= 391, f"{path}: a value off the screen"
            assert table.evaluate(WORDS_BROKEN) == [], f"{path}: words broken in the middle"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    finally:
        page.context.close()
