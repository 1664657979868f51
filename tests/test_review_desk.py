"""The operator's desk over HTTP: every suggestion shown, no edit lost, forms that answer on the same page."""

from __future__ import annotations

import io
import re
from datetime import datetime

import numpy as np
import pytest
from sqlalchemy import select

from models import lifecycle as lc
from models.entities import Agency, Call, CallStatus, Channel, Complaint, Place, Topic, Transcript, User
from tests.conftest import csrf_from, login
from tests.console_data import make_complaint, make_draft, user
from tests.desk_data import NGUMPAK, NGUMPAK_AGAIN, PEJOK_TIE, drafted
from transcribe.audio import write_wav


def _post(client, url: str, data: dict, page: str):  # noqa: ANN001, ANN202
    return client.post(url, data={"csrf_token": csrf_from(client.get(page).text), **data})


# -- 1: place candidates and duplicates ----------------------------------------------------------------
def test_place_tie_from_the_drafter_is_shown_as_two_highlighted_chips(client, session, settings, users) -> None:  # noqa: ANN001
    draft = drafted(session, settings, PEJOK_TIE)
    session.commit()
    login(client, "operator")
    page = client.get(f"/konsol/draf/{draft.id}").text
    chips = re.findall(r'<button type="button" class="chip check" data-fill="place"[^>]*>([^<]+)<', page)
    assert [c.strip() for c in chips] == ["Desa Pejok, Kec. Kedungadem", "Desa Pejok, Kec. Kepohbaru"]
    assert "seimbang" in page and "67%" in page


def test_rows_stored_in_the_old_list_shapes_show_their_candidates_and_duplicates(client, session, settings, users) -> None:  # noqa: ANN001
    earlier = make_complaint(session, settings, "terverifikasi", title="Jalan Pejok berlubang")
    draft = make_draft(session, settings, suggestions={
        "topics": [["jalan", 0.7], ["sumber_daya_air", 0.2], ["lainnya", 0.1]],
        "place_candidates": [["35.22.08.2002", "Pejok, Kec. Kedungadem", 0.667], ["35.22.09.2001", "Pejok, Kec. Kepohbaru", 0.667]],
        "duplicates": [[earlier.id, 0.83]],
    })
    session.commit()
    login(client, "operator")
    page = client.get(f"/konsol/draf/{draft.id}").text
    assert "Desa Pejok, Kec. Kedungadem" in page and "Desa Pejok, Kec. Kepohbaru" in page
    dup = page[page.index(f'id="dup-{earlier.id}"'):]
    assert "Jalan Pejok berlubang" in dup and "83%" in dup and "Terverifikasi" in dup and earlier.place.label in dup


def test_a_duplicate_found_by_the_drafter_is_shown_and_merged(client, session, settings, users) -> None:  # noqa: ANN001
    first = drafted(session, settings, NGUMPAK)
    lc.confirm_draft(session, first, by=user(session, "operator"), settings=settings)
    second = drafted(session, settings, NGUMPAK_AGAIN)
    session.commit()
    login(client, "operator")
    page = client.get(f"/konsol/draf/{second.id}").text
    assert f'id="dup-{first.id}"' in page and "Desa Ngumpakdalem, Kec. Dander" in page
    response = _post(client, f"/konsol/pengaduan/{second.id}/gabung", {"into_id": str(first.id)}, f"/konsol/draf/{second.id}")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Complaint, second.id).duplicate_of_id == first.id


def test_sekarang_is_not_desa_sekaran(session, settings, users) -> None:  # noqa: ANN001
    from transcribe.drafting.suggestions import DraftSuggestions

    draft = drafted(session, settings, "nama saya budi, sekarang lampu jalan mati di kedungadem")
    assert draft.place is not None and draft.place.label == "Desa Kedungadem, Kec. Kedungadem"
    assert [p.label for p in DraftSuggestions.from_json(draft.suggestions).places] == ["Kedungadem"]
    assert drafted(session, settings, "sekarang jalan rusak parah").place is None


# -- 2: a refused submit keeps every edit --------------------------------------------------------------
def test_bad_phone_keeps_every_other_edit(client, session, settings, users) -> None:  # noqa: ANN001
    draft = drafted(session, settings, PEJOK_TIE)
    session.commit()
    login(client, "operator")
    kepohbaru = session.scalars(select(Place).where(Place.code == "35.22.09.2001")).one()
    edits = {"title": "Jalan Pejok berlubang", "description": "Jalan berlubang di depan balai desa.", "reporter_name": "Slamet Riyadi",
             "location_detail": "Dusun Krajan RT 02", "reporter_phone": "abc-xyz", "place_id": str(kepohbaru.id),
             "transcript": "jalan di desa pejok kepohbaru rusak", "urgent": "1", "action": "save"}
    response = _post(client, f"/konsol/draf/{draft.id}", edits, f"/konsol/draf/{draft.id}")
    assert response.status_code == 422
    page = response.text
    assert "Nomor telepon pelapor tidak valid" in page and 'role="alert"' in page
    for value in ("Jalan Pejok berlubang", "Jalan berlubang di depan balai desa.", "Slamet Riyadi", "Dusun Krajan RT 02",
                  "abc-xyz", "jalan di desa pejok kepohbaru rusak", "Desa Pejok, Kec. Kepohbaru"):
        assert value in page, value
    assert re.search(r'name="urgent" value="1"\s+checked', page)
    session.expire_all()
    assert session.get(Complaint, draft.id).reporter_name != "Slamet Riyadi"  # nothing saved


# -- 2b: the agency follows the topic --------------------------------------------------------------------
def _sent(page: str, name: str) -> str:
    """What a browser without JavaScript sends for the select `name`: its selected option, else its first."""
    select_html = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    options = re.findall(r'<option value="([^"]*)"([^>]*)>', select_html)
    return next((value for value, rest in options if "selected" in rest), options[0][0])


def _key(model: type, session, ident: int | None) -> str | None:  # noqa: ANN001
    return session.get(model, ident).key if ident else None


@pytest.mark.parametrize(("chosen_agency", "expected"), [(None, "dinkes"), ("dlh", "dlh")])
def test_the_agency_follows_the_confirmed_topic_unless_the_operator_chose_one(client, session, settings, users,
                                                                               chosen_agency, expected) -> None:  # noqa: ANN001
    """A road drafted for Dinas PU, confirmed as Kesehatan: without JavaScript the page sends what it shows."""
    draft = drafted(session, settings, PEJOK_TIE)
    assert draft.agency.key == "dpubmpr"
    health = session.scalars(select(Topic).where(Topic.key == "kesehatan")).one()
    session.commit()
    login(client, "operator")
    url = f"/konsol/draf/{draft.id}"
    page = client.get(url).text
    agency_id = _sent(page, "agency_id")
    if chosen_agency:
        agency_id = str(session.scalars(select(Agency).where(Agency.key == chosen_agency)).one().id)
    response = _post(client, url, {"title": draft.title, "topic_id": str(health.id), "agency_id": agency_id,
                                   "classification": _sent(page, "classification"), "action": "confirm"}, url)
    assert response.status_code == 302
    session.expire_all()
    confirmed = session.get(Complaint, draft.id)
    assert (confirmed.status, _key(Topic, session, confirmed.topic_id)) == ("belum_diverifikasi", "kesehatan")
    assert _key(Agency, session, confirmed.agency_id) == expected


def test_the_review_page_names_the_agency_the_topic_gives(client, session, settings, users) -> None:  # noqa: ANN001
    draft = drafted(session, settings, PEJOK_TIE)
    session.commit()
    login(client, "operator")
    page = client.get(f"/konsol/draf/{draft.id}").text
    assert _sent(page, "agency_id") == ""  # follows the topic until the operator chooses
    assert re.search(r'<option value=""[^>]* selected>Sesuai topik: Dinas Pekerjaan Umum', page)


# -- 3: the disposition form ---------------------------------------------------------------------------
def test_disposition_form_has_a_note_field_not_its_html(client, session, settings, users) -> None:  # noqa: ANN001
    c = make_complaint(session, settings, "terverifikasi")
    session.commit()
    login(client, "operator")
    page = client.get(f"/konsol/pengaduan/{c.id}").text
    form = page[page.index('class="act act-disposisi"'):]
    form = form[:form.index("</form>")]
    assert "&lt;input" not in page and '<input type="text" name="note"' in form


# -- 4: upload -----------------------------------------------------------------------------------------
def _wav(tmp_path) -> bytes:  # noqa: ANN001
    t = np.arange(16000) / 16000
    return write_wav(tmp_path / "a.wav", (np.sin(2 * np.pi * 300 * t) * 6000).astype(np.int16)).read_bytes()


def test_upload_refuses_a_caller_number_that_is_not_indonesian_on_the_same_form(client, session, users, tmp_path) -> None:  # noqa: ANN001
    login(client, "operator")
    for bad in ("abc-xyz", "12345", "+1 415 555 0100"):
        response = client.post("/calls/upload", content_type="multipart/form-data", data={
            "audio": (io.BytesIO(_wav(tmp_path)), "a.wav"), "caller_number": bad, "csrf_token": csrf_from(client.get("/").text)})
        assert response.status_code == 422
        form = response.text[response.text.index('class="upload"'):]
        assert "Nomor penelepon harus nomor telepon Indonesia" in form and f'value="{bad}"' in form
        assert "<title>422" not in response.text
    assert session.scalar(select(Call.id)) is None
    ok = client.post("/calls/upload", content_type="multipart/form-data", data={
        "audio": (io.BytesIO(_wav(tmp_path)), "a.wav"), "caller_number": "+62 812-3456-7890", "csrf_token": csrf_from(client.get("/").text)})
    assert ok.status_code == 302 and session.scalar(select(Call.caller_number)) == "081234567890"


def test_upload_of_garbage_answers_on_the_form(client, users) -> None:  # noqa: ANN001
    login(client, "operator")
    response = client.post("/calls/upload", content_type="multipart/form-data", data={
        "audio": (io.BytesIO(b"bukan audio" * 50), "x.wav"), "csrf_token": csrf_from(client.get("/").text)})
    assert response.status_code == 422 and 'id="upload-error"' in response.text and "Panggilan dan draf" in response.text


# -- 6, 7: the verification clock and how limits read ---------------------------------------------------
def test_inbox_and_review_show_the_verification_limit_from_receipt(client, session, settings, users) -> None:  # noqa: ANN001
    # received Tuesday 1 Dec 2026 10.00 WIB: 3 working days → the end of Friday 4 Dec
    draft = make_draft(session, settings, received_at=datetime(2026, 12, 1, 3, 0))
    session.commit()
    login(client, "operator")
    row = client.get("/konsol/draf/baris").text
    assert "s.d. Jumat, 4 Des 2026 23.59 WIB" in row
    assert "s.d. Jumat, 4 Des 2026 23.59 WIB" in client.get(f"/konsol/draf/{draft.id}").text


def test_a_limit_reads_as_its_last_day_and_minute() -> None:
    from web.filters import due_by

    midnight_after_friday = datetime(2026, 12, 4, 17, 0)  # 5 Dec 00.00 WIB as naive UTC
    assert due_by(midnight_after_friday) == "Jumat, 4 Des 2026 23.59 WIB"
    assert due_by(None) == "–"


def test_complaint_list_shows_limits_the_same_way(client, session, settings, users) -> None:  # noqa: ANN001
    c = make_complaint(session, settings, "belum_diverifikasi", received_at=datetime(2026, 12, 1, 3, 0))
    session.commit()
    login(client, "operator")
    assert "s.d. Jumat, 4 Des 2026 23.59 WIB" in client.get("/konsol/pengaduan").text
    assert "s.d. Jumat, 4 Des 2026 23.59 WIB" in client.get(f"/konsol/pengaduan/{c.id}").text


# -- 8: one reference format ---------------------------------------------------------------------------
def test_confirmation_message_and_page_show_the_same_reference(client, session, settings, users) -> None:  # noqa: ANN001
    draft = make_draft(session, settings)
    session.commit()
    login(client, "operator")
    response = _post(client, f"/konsol/draf/{draft.id}", {"title": "Jalan rusak", "action": "confirm"}, f"/konsol/draf/{draft.id}")
    page = client.get(response.headers["Location"]).text
    shown = re.search(r'id="reference">([^<]+)<', page).group(1)
    assert re.fullmatch(r"\d{4}-\d{4}-\d{4}", shown)
    assert f"nomor {shown}." in page


# -- 9: the user form ----------------------------------------------------------------------------------
def test_user_form_keeps_values_after_an_error_and_defaults_to_operator(client, session, users) -> None:  # noqa: ANN001
    login(client, "admin")
    page = client.get("/konsol/admin/pengguna").text
    assert re.search(r'<option value="operator"\s+selected', page) and not re.search(r'<option value="admin"\s+selected', page)
    response = _post(client, "/konsol/admin/pengguna", {"username": "siti", "name": "Siti Aminah", "password": "pendek",
                                                        "role": "viewer"}, "/konsol/admin/pengguna")
    assert response.status_code == 422
    assert "Kata sandi minimal 10 karakter" in response.text and 'value="siti"' in response.text and 'value="Siti Aminah"' in response.text
    assert re.search(r'<option value="viewer"\s+selected', response.text)
    assert session.scalar(select(User.id).where(User.username == "siti")) is None


# -- 10: no speech -------------------------------------------------------------------------------------
def test_a_tone_makes_a_call_marked_no_speech_not_a_draft(session, settings, db_engine, tmp_path) -> None:  # noqa: ANN001
    from transcribe.jobs import JobQueue
    from voice.intake import IncomingAudio, accept_upload

    # two seconds: long enough to pass the cheap silence check and reach the recognizer (a 0.2 s blip is `silent`)
    t = np.arange(int(16000 * 2.0)) / 16000
    tone = write_wav(tmp_path / "tone.wav", (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)).read_bytes()
    call, _ = accept_upload(session, settings, IncomingAudio(tone, Channel.UPLOAD, filename="tone.wav"))
    session.commit()
    JobQueue(settings, engine=db_engine, immediate=True).enqueue_call(call.id)  # the real Whisper engine
    session.expire_all()
    call = session.get(Call, call.id)
    assert call.status == CallStatus.NO_SPEECH.value and call.error is None
    assert session.scalar(select(Complaint.id).where(Complaint.call_id == call.id)) is None
    assert session.scalar(select(Transcript.text).where(Transcript.call_id == call.id)).strip() == ""


def test_greetings_alone_are_no_speech() -> None:
    from transcribe.pipeline import has_speech

    def said(text: str) -> bool:
        return has_speech(Transcript(text=text))

    assert not said("") and not said(" . ") and not said("Terima kasih.") and not said("Halo, halo. Eee")
    assert said("Halo, jalan rusak.") and said("lampu mati")


# -- 13: small things ----------------------------------------------------------------------------------
def test_every_page_links_an_icon_that_exists(client, users) -> None:  # noqa: ANN001
    login(client, "operator")
    icon = re.search(r'<link rel="icon" href="([^"]+)"', client.get("/konsol/").text).group(1)
    with client.get(icon) as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"


def test_shortcut_hint_matches_the_readme(client, session, settings, users) -> None:  # noqa: ANN001
    from pathlib import Path

    draft = make_draft(session, settings)
    session.commit()
    login(client, "operator")
    hint = re.sub(r"<[^>]+>", "", re.search(r'<p class="keys[^>]*>(.*?)</p>', client.get(f"/konsol/draf/{draft.id}").text).group(1))
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    readme_hint = re.search(r"review page plays the audio beside a clickable transcript \(([^)]*)\)", readme).group(1)
    for key in ("K", "J", "Alt+K", "Ctrl+Enter"):
        assert key in hint, key
        assert key.lower() in readme_hint.lower(), key


def test_csv_answers_name_their_charset_once(client, users) -> None:  # noqa: ANN001
    login(client, "admin")
    for url in ("/dasbor/data/kanal.csv?periode=30", "/serah-terima/ekspor.csv"):
        assert client.get(url).headers["Content-Type"] == "text/csv; charset=utf-8", url


# -- the place picker's search ---------------------------------------------------------------------------
def test_place_search_forgives_spaces_accents_and_typos(client, users) -> None:  # noqa: ANN001
    login(client, "operator")

    def labels(q: str) -> list[str]:
        return [p["label"] for p in client.get("/konsol/tempat", query_string={"q": q}).json]

    assert labels("kedung adem")[:2] == ["Kec. Kedungadem", "Desa Kedungadem, Kec. Kedungadem"]
    assert {"Desa Sumberejo, Kec. Malo", "Desa Sumberejo, Kec. Trucuk"} <= set(labels("Sumberejo"))
    assert "Desa Sumberejo, Kec. Malo" in labels("sumberjo")          # a letter missing
    assert "Desa Sumberejo, Kec. Malo" in labels("Sumbérejo")         # an accent
    assert labels("pejok kepohbaru")[0] == "Desa Pejok, Kec. Kepohbaru"
    assert "Kel. Kadipaten, Kec. Bojonegoro" in labels("kadipaten")
    assert labels("zzzz") == [] and labels("") == []
