"""The per-agency page (/dasbor/opd/<key>) and the liaison's home: priority issues linking to their complaints, the
weekly sparkline, overdue complaints through the identity filter, satisfaction in the four levels, printable."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

import models.satisfaction as sat
from models import analytics as an
from models import issues
from models.base import utcnow
from models.entities import Complaint
from tests.conftest import login
from tests.console_data import make_complaint, past
from web.filters import due_by


def _data(session, settings):  # noqa: ANN001, ANN202
    """PU: two road complaints (one overdue, anonymous), one answered and rated; one confidential; Dinkes: one."""
    late = make_complaint(session, settings, "terdisposisi", title="Jalan rusak berlubang", anonymous=True,
                          reporter="Sukarjo Wiryo", received_at=past(20))
    late.description = "jalan rusak berlubang, nama saya Sukarjo Wiryo nomor 081233344455"
    other = make_complaint(session, settings, "terdisposisi", title="Jalan rusak berlubang", received_at=past(3))
    other.description = "jalan rusak berlubang parah"
    done = make_complaint(session, settings, "ditindaklanjuti", title="Jalan rusak berlubang", received_at=past(4))
    done.description = "jalan rusak dan berlubang"
    hidden = make_complaint(session, settings, "terdisposisi", title="Pungutan liar proyek", confidential=True,
                            received_at=past(2))
    queue = make_complaint(session, settings, "terdisposisi", agency_key="dinkes", title="Antrean puskesmas",
                           received_at=past(2))
    queue.description = "antrean di puskesmas lama sekali"  # not the default road text: the label names the queue
    session.flush()
    sat.rate(session, done, "puas", sat.RatingSource.CALLBACK)
    session.execute(update(Complaint).where(Complaint.id == late.id).values(due_at=utcnow() - timedelta(days=5)))
    session.commit()
    an.recluster(session)
    session.commit()
    return late, other, done, hidden


def test_agency_page_shows_what_the_head_acts_on(client, session, settings, users) -> None:  # noqa: ANN001
    late, *_ = _data(session, settings)
    login(client, "operator")
    page = client.get("/dasbor/opd/dpubmpr?periode=30")
    assert page.status_code == 200
    html = page.text
    assert "Dinas Pekerjaan Umum" in html or "DPUBMPR" in html.upper()
    issue_links = re.findall(r'href="/konsol/pengaduan\?isu=(\d+)"><strong>([^<]+)</strong>', html)
    assert issue_links and issue_links[0][1].startswith("Jalan rusak")
    assert "<svg class=\"sparkline\"" in html and "<polyline points=" in html
    assert f'/konsol/pengaduan/{late.id}"' in html  # in the overdue list
    for level in ("Sangat Puas", "Puas", "Cukup Puas", "Tidak Puas"):
        assert level in html
    assert "100 %" in html  # the one rating is Puas
    assert "data-print" in html
    assert "Antrean puskesmas" not in html  # another agency's complaint


def test_overdue_texts_pass_the_identity_filter_for_the_liaison(client, session, settings, users) -> None:  # noqa: ANN001
    _data(session, settings)
    login(client, "liaison_pu")
    home = client.get("/konsol/opd").text
    assert "Isu prioritas" in home and "Kepuasan pelapor" in home and "sparkline" in home
    page = client.get("/dasbor/opd/dpubmpr").text
    assert "Sukarjo" not in page and "081233344455" not in page
    assert client.get("/dasbor/opd/dinkes").status_code == 403
    assert client.get("/dasbor/opd/tidak-ada").status_code == 404


def test_viewers_do_not_see_confidential_complaints_in_agency_figures(client, session, settings, users) -> None:  # noqa: ANN001
    _data(session, settings)
    login(client, "operator")
    operator_page = client.get("/dasbor/opd/dpubmpr").text
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf-token" content="([^"]+)"', operator_page).group(1)})
    login(client, "viewer")
    viewer_page = client.get("/dasbor/opd/dpubmpr").text
    count = lambda html: int(re.search(r'<span class="big">(\d+)</span> pengaduan diterima', html).group(1))  # noqa: E731
    assert count(operator_page) == 4 and count(viewer_page) == 3
    assert "Pungutan" not in viewer_page and "pungutan" not in viewer_page.lower()


def test_an_issue_opened_before_disposition_belongs_to_the_agency_it_goes_to(client, session, settings, users) -> None:  # noqa: ANN001
    """Without a recluster: the issue a complaint opened at confirmation (no agency yet) lists on the agency's page."""
    make_complaint(session, settings, "terdisposisi", title="Jembatan ambrol", received_at=past(2))
    session.commit()
    login(client, "liaison_pu")
    page = client.get("/dasbor/opd/dpubmpr").text
    assert re.search(r'href="/konsol/pengaduan\?isu=\d+"><strong>[^<]+</strong>', page)


def test_a_liaison_does_not_read_another_agencys_issue_label(client, session, settings, users) -> None:  # noqa: ANN001
    _data(session, settings)
    dinkes_issue = session.scalars(select(issues.Issue).where(issues.Issue.label.like("Antrean%"))).first()
    login(client, "liaison_pu")
    page = client.get(f"/konsol/pengaduan?isu={dinkes_issue.id}").text
    assert dinkes_issue.label not in page and "isu tidak ditemukan" in page


def _own_and_operator_delays(session, settings):  # noqa: ANN001, ANN202
    """PU: one complaint late on the OPD's own follow-up limit; two late in verification (the operator's delay),
    whose OPD was only pre-filled; one dispositioned but not yet due. All limits expire at one local midnight."""
    due = datetime(2026, 11, 4, 17, 0)  # midnight WIB after Wednesday 4 Nov 2026: the last day is the 4th
    own = make_complaint(session, settings, "terdisposisi", title="Jalan ambles di tikungan", received_at=past(20))
    unverified = make_complaint(session, settings, "belum_diverifikasi", title="Pungutan liar proyek", confidential=True,
                                received_at=past(20))
    verified = make_complaint(session, settings, "terverifikasi", title="Talud longsor", received_at=past(20))
    not_due = make_complaint(session, settings, "terdisposisi", title="Lampu jalan padam", received_at=past(1))
    session.flush()
    for c in (own, unverified, verified):
        session.execute(update(Complaint).where(Complaint.id == c.id).values(due_at=due))
    session.execute(update(Complaint).where(Complaint.id == not_due.id).values(due_at=utcnow() + timedelta(days=3)))
    session.commit()
    assert unverified.agency.key == verified.agency.key == "dpubmpr"
    return due, own, unverified, verified


def _late_section(html: str) -> str:
    return re.search(r'<section class="card overdue-card">.*?</section>', html, re.S).group(0)


@pytest.mark.parametrize("username", ["operator", "liaison_pu"])
def test_an_agencys_overdue_are_only_those_late_on_its_own_limit(client, session, settings, users, username: str) -> None:  # noqa: ANN001
    """The regression: operator delays (Belum Diverifikasi, Terverifikasi) of complaints the OPD never received were
    listed and counted as the OPD's, and its limits read "5 Nov 2026 00.00 WIB" where every other page reads
    "s.d. Rabu, 4 Nov 2026 23.59 WIB"."""
    due, own, unverified, verified = _own_and_operator_delays(session, settings)
    login(client, username)
    html = client.get("/dasbor/opd/dpubmpr").text
    late = _late_section(html)
    assert f'/konsol/pengaduan/{own.id}"' in late
    assert f'/konsol/pengaduan/{unverified.id}"' not in late and f'/konsol/pengaduan/{verified.id}"' not in late
    assert "Pengaduan terlambat (1)" in late
    assert re.search(r'<span class="big">(\d+)</span> terlambat saat ini', html).group(1) == "1"
    assert f"s.d. {due_by(due)}" in late and due_by(due) == "Rabu, 4 Nov 2026 23.59 WIB" and "00.00" not in late
    # the list the page links to ("Semua … pengaduan terlambat") holds the same complaints
    listed = client.get(f"/konsol/pengaduan?agency={own.agency_id}&overdue=1").text
    assert f'id="complaint-{own.id}"' in listed
    assert f'id="complaint-{unverified.id}"' not in listed and f'id="complaint-{verified.id}"' not in listed
    weekly = client.get("/dasbor/laporan-mingguan").text
    if username == "liaison_pu":  # the liaison's weekly report counts the agency's own delays only
        assert "Pengaduan terlambat (1" in weekly


def test_regency_figures_count_every_delay_and_an_agencys_only_its_own(client, session, settings, users) -> None:  # noqa: ANN001
    due, own, *_ = _own_and_operator_delays(session, settings)
    login(client, "operator")
    rows = {r["opd"]: r for r in csv.DictReader(io.StringIO(client.get("/dasbor/data/kepatuhan.csv?periode=30").text.lstrip("\ufeff")))}
    assert rows["DPUBMPR"]["terlambat_sekarang"] == "1"
    weekly = client.get("/dasbor/laporan-mingguan").text
    assert "Pengaduan terlambat (3" in weekly  # regency-wide: the operator's two delays are late too
    assert an.overdue_now(session, "agency", utcnow()) == {own.agency_id: 1, 0: 2}
    assert an.overdue_now(session, "agency", utcnow(), own.agency_id) == {own.agency_id: 1}


def test_open311_gives_the_last_minute_a_limit_allows(client, session, settings, users) -> None:  # noqa: ANN001
    due, own, *_ = _own_and_operator_delays(session, settings)
    answer = client.get(f"/open311/v2/requests/{own.reference}.json").json[0]
    assert answer["expected_datetime"] == "2026-11-04"  # the last day it allows (times are WIB days), not the 5th
