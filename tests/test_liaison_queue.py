"""The liaison's queue comes in pages (of 100), earliest due first, with the agency summary on the first page:
a queue of hundreds rendered whole took 80 ms of CPU per request and made /konsol/opd the slowest page under load."""

from __future__ import annotations

import re
from datetime import timedelta

from models.base import utcnow
from tests.conftest import login
from tests.console_data import make_complaint
LIAISON_PAGE_SIZE = 4


def test_liaison_queue_pages_by_due_date(client, session, settings, users, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr("web.console.LIAISON_PAGE_SIZE", LIAISON_PAGE_SIZE)  # 100 in use; fewer rows to make here
    now = utcnow()
    made = []
    for n in range(LIAISON_PAGE_SIZE + 3):
        c = make_complaint(session, settings, agency_key="dpubmpr", title=f"Laporan nomor {n:03d}")
        c.due_at = now + timedelta(hours=n)
        made.append(c)
    session.commit()
    login(client, "liaison_pu")
    first = client.get("/konsol/opd").text
    ids = [int(i) for i in re.findall(r'id="complaint-(\d+)"', first)]
    assert ids == [c.id for c in made[:LIAISON_PAGE_SIZE]]
    assert "Ringkasan 30 hari terakhir" in first and 'href="/konsol/opd?halaman=2"' in first
    second = client.get("/konsol/opd?halaman=2").text
    assert [int(i) for i in re.findall(r'id="complaint-(\d+)"', second)] == [c.id for c in made[LIAISON_PAGE_SIZE:]]
    assert "Berikutnya" not in second and 'href="/konsol/opd"' in second and "Ringkasan 30 hari" not in second
    for odd in ("0", "-4", "abc", "99999999999999999999"):
        assert client.get(f"/konsol/opd?halaman={odd}").status_code == 200
