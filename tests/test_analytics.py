"""Incremental counters (models.analytics), satisfaction, and the dashboard pages and CSV exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
import models.satisfaction  # noqa: F401 - registers the analytics, issue and rating tables (until models/all.py does)
from sqlalchemy import func, select, update

from models import analytics as an
from models import lifecycle as lc
from models import satisfaction as sat
from models.base import utcnow
from models.calendar import WorkingCalendar
from models.entities import Complaint
from tests.conftest import login
from tests.console_data import agency, make_complaint, past, user

STATIC = Path(__file__).resolve().parents[1] / "web" / "static"


def _daily(session) -> list[tuple]:  # noqa: ANN001
    columns = [getattr(an.DailyCount, m) for m in an.MEASURES]
    rows = session.execute(select(an.DailyCount.scope, an.DailyCount.dimension, an.DailyCount.day, an.DailyCount.value, *columns))
    return sorted(tuple(r) for r in rows if any(r[4:]))


def test_counters_follow_the_lifecycle_and_match_a_rebuild(session, settings, users) -> None:  # noqa: ANN001
    for status in ("draft", "belum_diverifikasi", "terdisposisi", "ditindaklanjuti", "selesai", "selesai"):
        make_complaint(session, settings, status, received_at=past(4))
    session.commit()
    period = an.Period.last_days(30)
    m = an.overall(session, period)
    assert (m.complaints, m.open, m.closed) == (5, 3, 2)  # the draft is not a complaint yet
    assert (m.dispositioned, m.dispositioned_on_time, m.answered, m.answered_on_time) == (4, 4, 3, 3)
    pu = agency(session, "dpubmpr")
    assert an.overall(session, period, scope=pu.id).complaints == 5
    assert an.totals(session, "agency", period)[str(pu.id)].complaints == 5
    assert an.totals(session, "channel", period)["phone"].complaints == 5

    incremental = _daily(session)
    an.rebuild(session, settings)
    session.commit()
    assert _daily(session) == incremental


def test_late_disposition_and_answer_are_counted_late(session, settings, users) -> None:  # noqa: ANN001
    c = make_complaint(session, settings, "terverifikasi", received_at=past(20))
    session.commit()
    operator = user(session, "operator")
    lc.disposition(session, c, agency(session, "dinkes"), by=operator, settings=settings, now=past(2))
    session.commit()
    lc.record_follow_up(session, c, "Sudah ditangani.", by=operator, settings=settings, now=utcnow())
    session.commit()
    m = an.overall(session, an.Period.last_days(30))
    assert (m.dispositioned, m.dispositioned_on_time, m.answered, m.answered_on_time) == (1, 0, 1, 1)
    # Moving to another agency moves the counts between scopes.
    dinkes = agency(session, "dinkes")
    assert an.overall(session, an.Period.last_days(30), scope=dinkes.id).complaints == 1
    assert an.overall(session, an.Period.last_days(30), scope=agency(session, "dpubmpr").id).complaints == 0


def test_direct_changes_and_deletes_are_counted(session, users) -> None:  # noqa: ANN001
    from models.entities import Complaint

    c = Complaint(status="draft", title="Lampu jalan mati", description="lampu jalan mati", channel="radio", received_at=utcnow())
    session.add(c)
    session.commit()
    assert an.overall(session, an.Period.last_days(3)).complaints == 0
    c.status, c.reference = "belum_diverifikasi", "261127048213"  # not through the lifecycle: still seen
    session.commit()
    assert an.totals(session, "channel", an.Period.last_days(3))["radio"].complaints == 1
    session.delete(c)
    session.commit()
    assert an.overall(session, an.Period.last_days(3)).complaints == 0
    assert session.scalar(select(an.ComplaintFact).where(an.ComplaintFact.complaint_id == c.id)) is None


def test_every_session_factory_keeps_the_figures_even_after_earlier_ones_are_collected(db_engine) -> None:  # noqa: ANN001
    # A long-running process (the suite, the web app over days) makes and drops session factories. SQLAlchemy keys
    # its listener registry by id(); a new factory that reused a collected one's id once looked "already listening"
    # and its sessions wrote complaints without facts, so they vanished from every figure (seen as three different
    # tests failing now and then in full runs).
    import gc

    from models.db import session_factory

    for n in range(60):
        gc.collect()
        with session_factory(db_engine)() as s:
            s.add(Complaint(status="draft", title="Lampu jalan mati", description="lampu mati", channel="radio",
                            received_at=utcnow()))
            s.commit()
            assert s.scalar(select(func.count()).select_from(an.ComplaintFact)) == n + 1, f"factory {n + 1}"


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({}, {r: None for r in an.RATINGS}),
        ({"puas": 3}, {"sangat_puas": 0, "puas": 1, "cukup_puas": 0, "tidak_puas": 0}),
        ({"sangat_puas": 1, "puas": 1, "cukup_puas": 1, "tidak_puas": 1}, {r: 0.25 for r in an.RATINGS}),
        ({"sangat_puas": 6, "tidak_puas": 2}, {"sangat_puas": 0.75, "puas": 0, "cukup_puas": 0, "tidak_puas": 0.25}),
    ],
)
def test_satisfaction_shares(counts, expected) -> None:  # noqa: ANN001
    assert an.satisfaction_shares(counts) == expected


def test_one_rating_per_complaint_changeable_within_ten_working_days(session, settings, users) -> None:  # noqa: ANN001
    calendar = WorkingCalendar.load(session)
    a, b, c = (make_complaint(session, settings, "selesai", received_at=past(15)) for _ in range(3))
    open_one = make_complaint(session, settings, "terdisposisi")
    session.commit()
    first = past(1)
    sat.rate(session, a, "tidak_puas", "phone", now=first, calendar=calendar)
    sat.rate(session, a, "puas", "callback", by=user(session, "operator"), now=first + timedelta(days=1), calendar=calendar)
    sat.rate(session, b, "sangat_puas", "public", calendar=calendar)
    sat.rate(session, c, "sangat_puas", "public", calendar=calendar)
    session.commit()
    row = sat.rating_of(session, a)
    assert (row.rating, row.source, row.changes, a.rating) == ("puas", "callback", 1, "puas")
    assert session.scalar(select(sat.SatisfactionRating.id).where(sat.SatisfactionRating.complaint_id == a.id)) == row.id
    with pytest.raises(sat.RatingLocked):
        sat.rate(session, a, "tidak_puas", "public", now=first + timedelta(days=20), calendar=calendar)
    with pytest.raises(sat.NotRateable):
        sat.rate(session, open_one, "puas", "public", calendar=calendar)
    with pytest.raises(sat.InvalidRating):
        sat.rate(session, b, "lumayan", "public", calendar=calendar)
    session.rollback()
    m = an.overall(session, an.Period.last_days(30))
    assert m.rated == 3
    assert m.satisfaction == {"sangat_puas": 2 / 3, "puas": 1 / 3, "cukup_puas": 0, "tidak_puas": 0}


def test_dashboard_charts_and_csv_for_every_chart(client, session, settings, users) -> None:  # noqa: ANN001
    make_complaint(session, settings, "selesai", received_at=past(3))
    make_complaint(session, settings, "terdisposisi", agency_key="dinkes", received_at=past(2))
    session.commit()
    login(client, "viewer")
    page = client.get("/dasbor/?periode=30")
    assert page.status_code == 200
    assert "vendor/chart.umd.min.js" in page.text and "cdn" not in page.text.lower()
    for key in ("kanal", "topik", "opd", "kecamatan-waktu", "kecamatan", "kepatuhan", "kepuasan", "isu"):
        response = client.get(f"/dasbor/data/{key}.csv?periode=30")
        assert response.status_code == 200 and response.mimetype == "text/csv", key
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows and rows[0], key
    kanal = list(csv.DictReader(io.StringIO(client.get("/dasbor/data/kanal.csv?periode=30").text)))
    assert sum(int(r["Telepon"]) for r in kanal) == 2
    assert client.get("/dasbor/data/tidak-ada.csv").status_code == 404
    assert client.get("/dasbor/isu?periode=30").status_code == 200
    assert client.get("/dasbor/laporan-mingguan").status_code == 200


def test_liaison_dashboard_is_limited_to_their_agency(client, session, settings, users) -> None:  # noqa: ANN001
    make_complaint(session, settings, "selesai", received_at=past(3))
    make_complaint(session, settings, "terdisposisi", agency_key="dinkes", received_at=past(2))
    session.commit()
    login(client, "liaison_dinkes")
    dinkes = agency(session, "dinkes")
    pu = agency(session, "dpubmpr")
    rows = list(csv.DictReader(io.StringIO(client.get(f"/dasbor/data/kepatuhan.csv?opd={pu.id}").text)))
    assert [r["opd"] for r in rows] == [dinkes.key.upper()]


def test_chart_js_is_vendored_with_its_licence() -> None:
    head = (STATIC / "vendor" / "chart.umd.min.js").read_text(encoding="utf-8")[:2000]
    assert "MIT License" in head and "Chart.js v4" in head


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium is not installed")
def test_weekly_report_pdf(client, session, settings, users) -> None:  # noqa: ANN001
    make_complaint(session, settings, "terdisposisi", received_at=past(30))
    session.commit()
    login(client, "viewer")
    response = client.get("/dasbor/laporan-mingguan.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def _waiting_past_limit(session, settings, status: str, **kwargs):  # noqa: ANN001, ANN202
    """A complaint left in `status` whose running limit passed yesterday (received long ago, never acted on)."""
    c = make_complaint(session, settings, status, received_at=past(20), **kwargs)
    session.flush()
    session.execute(update(Complaint).where(Complaint.id == c.id).values(due_at=utcnow() - timedelta(days=1)))
    return c


def test_a_complaint_past_its_limit_without_action_counts_late(session, settings, users) -> None:  # noqa: ANN001
    make_complaint(session, settings, "ditindaklanjuti", received_at=past(2))  # on time in both stages
    _waiting_past_limit(session, settings, "belum_diverifikasi")
    _waiting_past_limit(session, settings, "terdisposisi")
    session.commit()
    period, pu = an.Period.last_days(30), agency(session, "dpubmpr")
    m = an.overall(session, period)
    # stored counters are unchanged: two dispositioned (both on time), one answered (on time)
    assert (m.dispositioned, m.dispositioned_on_time, m.answered, m.answered_on_time) == (2, 2, 1, 1)
    assert (m.verify_overdue, m.answer_overdue) == (1, 1)
    assert (m.verify_share, m.answer_share) == (2 / 3, 1 / 2)
    assert an.public_totals(session, "semua", period)[""].verify_share == 2 / 3
    assert an.totals(session, "agency", period)[str(pu.id)].answer_share == 1 / 2
    assert an.overall(session, period, scope=pu.id).answer_share == 1 / 2
    # acting late replaces the waiting count by the stored late decision: the share stays what it was
    operator = user(session, "operator")
    waiting = session.scalars(select(Complaint).where(Complaint.status == "terdisposisi")).one()
    lc.record_follow_up(session, waiting, "Sudah ditangani.", by=operator, settings=settings, now=utcnow())
    session.commit()
    m = an.overall(session, period)
    assert (m.answered, m.answered_on_time, m.answer_overdue, m.answer_share) == (2, 1, 0, 1 / 2)



def test_one_read_of_the_waiting_serves_a_page_but_never_outlives_a_write(session, settings, users) -> None:  # noqa: ANN001
    make_complaint(session, settings, "ditindaklanjuti", received_at=past(2))
    _waiting_past_limit(session, settings, "belum_diverifikasi")
    session.commit()
    period, now = an.Period.last_days(30), utcnow()
    assert an.overall(session, period, now=now).verify_overdue == 1
    assert an.public_totals(session, "semua", period, now=now)[""].verify_overdue == 1  # the same read, public
    _waiting_past_limit(session, settings, "terverifikasi", confidential=True)
    session.flush()  # a write in the same transaction, read again at the same `now`
    assert an.overall(session, period, now=now).verify_overdue == 2
    assert an.public_totals(session, "semua", period, now=now)[""].verify_overdue == 1

def test_a_complaint_within_its_limit_is_not_counted_either_way(session, settings, users) -> None:  # noqa: ANN001
    make_complaint(session, settings, "ditindaklanjuti", received_at=past(2))
    make_complaint(session, settings, "belum_diverifikasi")  # received now: days left
    make_complaint(session, settings, "terdisposisi")
    session.commit()
    m = an.overall(session, an.Period.last_days(30))
    assert (m.verify_overdue, m.answer_overdue) == (0, 0)
    assert (m.verify_share, m.answer_share) == (1.0, 1.0)


def test_a_confidential_late_complaint_stays_out_of_public_shares(session, settings, users) -> None:  # noqa: ANN001
    make_complaint(session, settings, "ditindaklanjuti", received_at=past(2))
    _waiting_past_limit(session, settings, "terverifikasi", confidential=True)
    session.commit()
    period = an.Period.last_days(30)
    assert an.overall(session, period).verify_share == 1 / 2
    assert an.public_totals(session, "semua", period)[""].verify_share == 1.0


def test_dashboard_and_agency_page_count_waiting_late_complaints(client, session, settings, users) -> None:  # noqa: ANN001
    make_complaint(session, settings, "ditindaklanjuti", received_at=past(2))
    _waiting_past_limit(session, settings, "belum_diverifikasi")
    _waiting_past_limit(session, settings, "terdisposisi")
    session.commit()
    login(client, "operator")
    dashboard = client.get("/dasbor/?periode=30").text
    assert "100%</span> didisposisi" not in dashboard and "67%</span> didisposisi" in dashboard
    assert "50%</span> ditindaklanjuti" in dashboard
    assert "50%</span> ditindaklanjuti" in client.get("/dasbor/opd/dpubmpr?periode=30").text
    today = utcnow().date()
    weekly = client.get("/dasbor/laporan-mingguan", query_string={
        "periode": "rentang", "dari": (today - timedelta(days=29)).isoformat(), "sampai": today.isoformat()}).text
    assert "<td>67%</td>" in weekly and "<td>50%</td>" in weekly
    rows = list(csv.reader(io.StringIO(client.get("/dasbor/data/kepatuhan.csv?periode=30").text)))
    row = dict(zip(rows[0], rows[1]))
    assert (row["didisposisi"], row["belum_didisposisi_lewat_batas"], row["persen_disposisi_tepat"]) == ("2", "1", "66.7")
    assert (row["ditindaklanjuti"], row["belum_ditindaklanjuti_lewat_batas"], row["persen_tindak_lanjut_tepat"]) == ("1", "1", "50.0")
