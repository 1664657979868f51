"""Lifecycle actions on the complaint page: a refused action answers on the same page, with what was typed."""

from __future__ import annotations

import re

from tests.conftest import csrf_from, login
from tests.console_data import make_complaint


def _refused(client, session, settings, status: str, action: str, data: dict):  # noqa: ANN001, ANN202
    """An operator runs `action` on a complaint in `status`; the answer must be a refusal on the page."""
    c = make_complaint(session, settings, status)
    session.commit()
    login(client, "operator")
    token = csrf_from(client.get(f"/konsol/pengaduan/{c.id}").text)
    response = client.post(f"/konsol/pengaduan/{c.id}/{action}", data={"csrf_token": token, **data})
    assert response.status_code == 422
    session.expire_all()
    assert session.get(type(c), c.id).status == status
    return response


def _form(page: str, action: str) -> str:
    """The markup of one action's form."""
    match = re.search(rf'<form[^>]*class="act act-{action}[^"]*".*?</form>', page, re.S)
    assert match, f"no form for {action}"
    return match.group(0)


def test_a_pause_without_a_reason_answers_on_the_page_with_the_field_marked(client, session, settings, users) -> None:  # noqa: ANN001
    response = _refused(client, session, settings, "terdisposisi", "tunda", {"note": "   "})
    form = _form(response.text, "tunda")
    assert re.search(r'<input[^>]*name="note"[^>]*aria-invalid="true"', form)
    assert "Alasan atau isi wajib diisi." in form
    assert "aria-invalid" not in _form(response.text, "bukan-wewenang")  # the same field of another action is not marked


def test_a_refused_disposition_keeps_the_typed_note_and_marks_the_agency(client, session, settings, users) -> None:  # noqa: ANN001
    response = _refused(client, session, settings, "terverifikasi", "disposisi", {"agency_id": "", "note": "Mohon dicek sebelum Jumat"})
    form = _form(response.text, "disposisi")
    assert 'value="Mohon dicek sebelum Jumat"' in form
    assert re.search(r'<select[^>]*name="agency_id"[^>]*aria-invalid="true"', form)
    assert "Pilih OPD tujuan." in form


def test_a_refused_follow_up_keeps_its_text(client, session, settings, users) -> None:  # noqa: ANN001
    # the complaint was closed in another tab: the answer typed here must not be lost
    response = _refused(client, session, settings, "selesai", "tindak-lanjut", {"text": "Jalan sudah ditambal pada 3 Desember."})
    assert "Jalan sudah ditambal pada 3 Desember." in response.text
