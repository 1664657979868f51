"""Public tracking, rating and transparency over HTTP: no personal data, nothing for confidential complaints."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import models.satisfaction  # noqa: F401 - registers the analytics, issue and rating tables (until models/all.py does)
from sqlalchemy import select, update

from models import lifecycle as lc
from models import satisfaction as sat
from models.base import utcnow
from models.refs import format_reference
from tests.conftest import csrf_from
from tests.console_data import make_complaint, past, user

NAME, PHONE = "Siti Aminah Rahayu", "085700011122"
SECRET_TITLE = "Kepala dusun minta pungutan"


def _answered(session, settings, **kw):  # noqa: ANN001, ANN003, ANN202
    c = make_complaint(session, settings, "terdisposisi", reporter=NAME, phone=PHONE, title=SECRET_TITLE, received_at=past(5), **kw)
    lc.record_follow_up(session, c, f"Sudah kami hubungi Ibu {NAME} di 0857-0001-1122, jalan diperbaiki minggu ini.",
                        by=user(session, "liaison_pu"), settings=settings)  # fmt: skip
    session.commit()
    return c


def _assert_no_personal_data(text: str) -> None:
    for secret in (NAME, "Siti", "Aminah", "Rahayu", PHONE, "0857-0001-1122", "11122", SECRET_TITLE, "sukorejo rusak parah"):
        assert secret.lower() not in text.lower(), secret


@pytest.mark.parametrize("anonymous", [True, False])
def test_tracking_shows_status_and_answer_without_personal_data(client, session, settings, users, anonymous) -> None:  # noqa: ANN001
    c = _answered(session, settings, anonymous=anonymous)
    for typed in (c.reference, format_reference(c.reference), " ".join(format_reference(c.reference).split("-"))):
        page = client.get("/lacak", query_string={"nomor": typed})
        assert page.status_code == 200
        assert "Ditindaklanjuti" in page.text and "jalan diperbaiki minggu ini" in page.text
        assert "[nama]" in page.text or "[telepon]" in page.text
        assert page.headers["Cache-Control"] == "no-store"
        _assert_no_personal_data(page.text)


def test_confidential_complaint_shows_nothing(client, session, settings, users) -> None:  # noqa: ANN001
    c = _answered(session, settings, confidential=True)
    page = client.get("/lacak", query_string={"nomor": c.reference})
    unknown = client.get("/lacak", query_string={"nomor": "261127048211"})
    assert page.status_code == unknown.status_code == 200
    assert 'id="tidak-ada"' in page.text and 'id="hasil"' not in page.text
    _assert_no_personal_data(page.text)
    for leaked in ("Ditindaklanjuti", "diperbaiki", format_reference(c.reference), "Jalan, jembatan"):
        assert leaked not in page.text
    # Exactly what an unknown number shows.
    assert page.text.replace(c.reference, "X") == unknown.text.replace("261127048211", "X")


def test_rating_from_the_public_page_needs_csrf_and_the_phone_digits(client, session, settings, users) -> None:  # noqa: ANN001
    c = _answered(session, settings)
    page = client.get("/lacak", query_string={"nomor": c.reference})
    token = csrf_from(page.text)
    url = f"/lacak/{c.reference}/nilai"
    assert client.post(url, data={"nilai": "puas", "telepon_akhir": "1122"}).status_code == 400  # no CSRF token
    client.post(url, data={"nilai": "puas", "telepon_akhir": "9999", "csrf_token": token})
    session.expire_all()
    assert sat.rating_of(session, c) is None
    answer = client.post(url, data={"nilai": "puas", "telepon_akhir": "1122", "csrf_token": token}, follow_redirects=True)
    assert "penilaian Anda sudah disimpan" in answer.text
    client.post(url, data={"nilai": "sangat_puas", "telepon_akhir": "1122", "csrf_token": token})
    session.expire_all()
    row = sat.rating_of(session, c)
    assert (row.rating, row.source, row.changes) == ("sangat_puas", "public", 1)


def test_not_yet_answered_complaints_cannot_be_rated(client, session, settings, users) -> None:  # noqa: ANN001
    c = make_complaint(session, settings, "terdisposisi", phone=PHONE)
    session.commit()
    page = client.get("/lacak", query_string={"nomor": c.reference})
    assert 'id="nilai"' not in page.text
    answer = client.post(f"/lacak/{c.reference}/nilai", data={"nilai": "puas", "telepon_akhir": "1122", "csrf_token": csrf_from(client.get("/login").text)},
                         follow_redirects=True)  # fmt: skip
    assert "belum dapat dinilai" in answer.text


def test_failed_lookups_are_rate_limited(client, session, users) -> None:  # noqa: ANN001
    for _ in range(30):
        client.get("/lacak", query_string={"nomor": "261127048211"})
    assert client.get("/lacak", query_string={"nomor": "261127048211"}).status_code == 429


def test_transparency_page_has_regency_figures_and_no_personal_data(client, session, settings, users) -> None:  # noqa: ANN001
    c = _answered(session, settings)
    make_complaint(session, settings, "selesai", reporter=NAME, phone=PHONE, title=SECRET_TITLE, received_at=past(3))
    session.commit()
    sat.rate(session, c, "puas", "phone")
    session.commit()
    page = client.get("/transparansi")
    assert page.status_code == 200
    assert "Dinas Pekerjaan Umum" in page.text or "DPUBMPR" in page.text.upper()
    # one rating and two complaints: small cells are "< 3" and a share over fewer than 3 is withheld
    assert "Puas 100%" not in page.text and "&lt; 3" in page.text
    _assert_no_personal_data(page.text)
    assert session.scalar(select(sat.SatisfactionRating.source)) == "phone"


@pytest.mark.parametrize("typed", ["1" * 3000, "nomor saya lupa", "2611-2704-8213-2611"])
def test_a_number_that_cannot_be_a_reference_is_called_invalid(client, typed: str) -> None:  # noqa: ANN001
    page = client.get("/lacak", query_string={"nomor": typed})
    assert page.status_code == 400
    assert "Nomor pengaduan tidak valid" in page.text and "Tidak ada informasi publik" not in page.text


def test_the_tracking_form_takes_a_number_not_a_page(client) -> None:  # noqa: ANN001
    """The field stops at a length no spelling of a number needs, so the browser never sends a URL too long for
    the server (gunicorn refuses request lines over 4 094 bytes before the app sees them)."""
    field = re.search(r'<input[^>]*name="nomor"[^>]*>', client.get("/lacak").text).group(0)
    assert int(re.search(r'maxlength="(\d+)"', field).group(1)) <= 40
    assert "Tidak ada informasi publik" in client.get("/lacak", query_string={"nomor": "2611-2704-8211"}).text


def test_transparency_counts_complaints_waiting_past_their_limit_as_late(client, session, settings, users) -> None:  # noqa: ANN001
    from models.entities import Complaint

    for _ in range(3):
        make_complaint(session, settings, "ditindaklanjuti", received_at=past(2))
    waiting = [make_complaint(session, settings, "belum_diverifikasi", received_at=past(20)) for _ in range(3)]
    session.flush()
    session.execute(update(Complaint).where(Complaint.id.in_([c.id for c in waiting]))
                    .values(due_at=utcnow() - timedelta(days=1)))  # fmt: skip
    session.commit()
    page = client.get("/transparansi")
    assert '<span class="big">50%</span> diteruskan ke OPD' in page.text
    assert '<span class="big">100%</span> ditindaklanjuti OPD' in page.text
