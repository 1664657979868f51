"""Complaints typed at the desk and Sambang Desa sessions: drafted by the same drafter, confirmed on the same review
page, refused input kept, attachments checked by content and shown only to who may have them, a session's
complaints prefilled with its desa, and its recording cut into speakers like a radio show."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import func, select

from models import lifecycle as lc
from models.attachments import Attachment, sniff
from models.base import utcnow
from models.channels import LABELS, source_label
from models.desk import DeskIntake, SambangSession
from models.entities import Call, Channel, Complaint, Place, Role, Transcript
from models.radio import RadioShow
from tests.conftest import PASSWORD, csrf_from, login
from tests.console_data import agency, user
from tests.desk_intake_data import PNG_1PX, letter_pdf, sambang_session

ROAD = "Jalan di desa Mlaten kecamatan Kalitidu rusak parah dan berlubang, sudah ada pengendara motor jatuh. Mohon segera diperbaiki."
LAMP = "Lampu penerangan jalan di dekat balai desa mati sudah dua minggu, malam hari gelap sekali dan rawan kecelakaan."


def _form(client, path: str = "/konsol/pengaduan-baru", **fields) -> dict:  # noqa: ANN001
    return {"csrf_token": csrf_from(client.get(path).text), **fields}


def _count(session, model) -> int:  # noqa: ANN001
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_every_channel_has_an_indonesian_label() -> None:
    assert set(LABELS) == {c.value for c in Channel}
    assert source_label("social_media", "facebook") == "Media sosial (Facebook)"
    assert source_label("letter", None) == "Surat"


def test_a_typed_letter_is_drafted_reviewed_and_confirmed(client, session, users) -> None:  # noqa: ANN001
    login(client, "operator")
    response = client.post("/konsol/pengaduan-baru", data=_form(
        client, channel="letter", text=ROAD, source_ref="Surat No. 005/12/2026", reporter_name="Pak Darmo",
        reporter_phone="0812-3456-7001"))
    assert response.status_code == 302
    draft_id = int(re.search(r"/konsol/draf/(\d+)", response.headers["Location"]).group(1))
    draft = session.get(Complaint, draft_id)
    assert (draft.status, draft.channel, draft.call_id) == ("draft", "letter", None)
    assert draft.topic.key == "jalan" and draft.place.name == "Mlaten"  # suggested by the drafter from the text
    assert (draft.reporter_name, draft.reporter_phone) == ("Pak Darmo", "081234567001")
    intake = session.scalars(select(DeskIntake).where(DeskIntake.complaint_id == draft_id)).one()
    assert intake.text == ROAD and intake.source_ref == "Surat No. 005/12/2026"

    page = client.get(f"/konsol/draf/{draft_id}").text
    assert "Teks pengaduan" in page and "Surat" in page and "Surat No. 005/12/2026" in page
    assert "Saran topik" in page and "Tidak ada rekaman" not in page
    assert client.get("/konsol/").text.count(f"/konsol/draf/{draft_id}") >= 1  # in the inbox like any draft

    confirm = client.post(f"/konsol/draf/{draft_id}", data={
        "csrf_token": csrf_from(page), "action": "confirm", "title": draft.title, "description": draft.description,
        "classification": "pengaduan", "topic_id": draft.topic_id, "place_id": draft.place_id, "reporter_name": "Pak Darmo",
        "reporter_phone": "081234567001"})
    assert confirm.status_code == 302
    session.expire_all()
    assert session.get(Complaint, draft_id).reference is not None


def test_the_social_media_platform_is_a_sub_source(client, session, users) -> None:  # noqa: ANN001
    login(client, "operator")
    client.post("/konsol/pengaduan-baru", data=_form(client, channel="social_media", source_detail="youtube", text=LAMP,
                                                    source_ref="https://youtube.com/watch?v=abc"))
    complaint = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
    assert complaint.channel == "social_media"
    assert session.scalars(select(DeskIntake.source_detail)).one() == "youtube"
    assert "Media sosial (YouTube)" in client.get(f"/konsol/draf/{complaint.id}").text


def test_a_letter_received_earlier_runs_its_limit_from_receipt(client, session, users) -> None:  # noqa: ANN001
    login(client, "operator")
    day = (utcnow() + timedelta(hours=7) - timedelta(days=2)).date()
    client.post("/konsol/pengaduan-baru", data=_form(client, channel="letter", text=ROAD, received_date=day.isoformat(),
                                                    received_time="09:30"))
    complaint = session.scalars(select(Complaint)).one()
    assert complaint.received_at == datetime.combine(day, time(9, 30)) - timedelta(hours=7)


BAD_INPUT = [
    ({"channel": ""}, "Pilih saluran pengaduan.", None),
    ({"channel": "phone"}, "Pilih saluran pengaduan.", None),
    ({"text": "jalan"}, "paling sedikit tiga kata", None),
    ({"channel": "social_media"}, "Pilih media sosialnya", None),
    ({"channel": "other"}, "Sebutkan saluran lainnya", None),
    ({"reporter_phone": "nomor saya"}, "Nomor telepon pelapor tidak valid", None),
    ({"received_date": "2099-01-01"}, "tidak boleh di masa depan", None),
    ({"received_date": "kemarin"}, "Tanggal/jam diterima tidak valid", None),
    ({"place_id": "999999"}, "Lokasi tidak dikenal", None),
    ({}, "bukan foto (JPEG, PNG, WebP) atau PDF", ("foto.jpg", b"MZ\x90\x00 not an image")),
    ({}, "terlalu besar", ("besar.png", PNG_1PX + b"\0" * 4096)),
]


@pytest.mark.parametrize(("change", "message", "upload"), BAD_INPUT)
def test_bad_input_is_refused_in_indonesian_and_nothing_typed_is_lost(client, session, users, change, message, upload,
                                                                     monkeypatch) -> None:  # noqa: ANN001
    # a smaller limit: Werkzeug's test client spools a 10 MB body to a temporary file it never closes
    monkeypatch.setattr("models.attachments.MAX_ATTACHMENT_BYTES", 4096)
    login(client, "operator")
    data = _form(client, **{"channel": "walk_in", "text": ROAD, "reporter_name": "Pak Darmo Wiryo", "source_ref": "loket 2", **change})
    if upload:
        data["attachments"] = (io.BytesIO(upload[1]), upload[0])
    response = client.post("/konsol/pengaduan-baru", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.text
    assert "Pak Darmo Wiryo" in response.text and "loket 2" in response.text
    if change.get("text") is None:
        assert ROAD in response.text
    assert 'aria-invalid="true"' in response.text
    assert ("Lampiran tidak ikut terkirim ulang" in response.text) == bool(upload)  # said only when files were chosen
    assert _count(session, Complaint) == 0 and _count(session, DeskIntake) == 0 and _count(session, Attachment) == 0


@pytest.mark.parametrize(("data", "kind"), [
    (PNG_1PX, "image/png"), (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"), (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
    (letter_pdf("surat"), "application/pdf"), (b"<html><script>alert(1)</script>", None), (b"GIF89a", None), (b"", None),
])
def test_attachments_are_known_by_their_content(data: bytes, kind: str | None) -> None:
    assert sniff(data) == kind


def test_attachments_are_stored_and_served_only_to_who_may_have_them(app, client, session, settings, users) -> None:  # noqa: ANN001
    login(client, "operator")
    data = _form(client, channel="walk_in", text=ROAD, anonymous="1")
    data["attachments"] = [(io.BytesIO(PNG_1PX), "jalan.png"), (io.BytesIO(letter_pdf("Surat Pak Darmo")), "foto-surat.jpg")]
    assert client.post("/konsol/pengaduan-baru", data=data, content_type="multipart/form-data").status_code == 302
    complaint = session.scalars(select(Complaint)).one()
    photo, letter = session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert (photo.content_type, letter.content_type) == ("image/png", "application/pdf")  # by content, not by name
    assert (settings.data_dir / "attachments" / letter.path).read_bytes() == letter_pdf("Surat Pak Darmo")
    review = client.get(f"/konsol/draf/{complaint.id}").text
    assert "jalan.png" in review and "foto-surat.jpg" in review

    served = client.get(f"/konsol/pengaduan/{complaint.id}/lampiran/{photo.id}")
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == PNG_1PX
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    pdf = client.get(f"/konsol/pengaduan/{complaint.id}/lampiran/{letter.id}")
    assert pdf.mimetype == "application/pdf" and pdf.headers["Content-Disposition"].startswith("attachment")
    served.close(), pdf.close()

    lc.confirm_draft(session, complaint, by=user(session, "operator"), settings=settings)
    lc.verify(session, complaint, by=user(session, "operator"))
    lc.disposition(session, complaint, agency(session, "dpubmpr"), by=user(session, "operator"), settings=settings)
    session.commit()
    url = f"/konsol/pengaduan/{complaint.id}/lampiran/{photo.id}"
    for username, anonymous, status in (("liaison_pu", True, 404), ("liaison_pu", False, 200), ("liaison_dinkes", False, 404),
                                        ("viewer", False, 404)):
        complaint.anonymous = anonymous
        session.commit()
        reader = app.test_client()
        login(reader, username)
        response = reader.get(url)
        assert response.status_code == status, (username, anonymous)
        response.close()
        page = reader.get(f"/konsol/pengaduan/{complaint.id}")
        assert ("jalan.png" in page.text) == (status == 200), (username, anonymous)


def test_a_sambang_desa_session_prefills_its_desa_and_links_its_complaints(client, session, users) -> None:  # noqa: ANN001
    login(client, "operator")
    refused = client.post("/konsol/sambang-desa", data=_form(client, "/konsol/sambang-desa", held_on="2026-11-30",
                                                             officials="Bupati\nCamat Kalitidu"))
    assert refused.status_code == 422 and "Pilih desa/kelurahan yang dikunjungi." in refused.text and "Camat Kalitidu" in refused.text
    assert _count(session, SambangSession) == 0

    desa = session.scalars(select(Place).where(Place.name == "Mlaten")).one()
    opened = client.post("/konsol/sambang-desa", data=_form(client, "/konsol/sambang-desa", held_on="2026-11-30",
                                                            place_id=str(desa.id), officials="Bupati\nCamat Kalitidu"))
    assert opened.status_code == 302
    sambang = session.scalars(select(SambangSession)).one()
    page = client.get(f"/konsol/sambang-desa/{sambang.id}").text
    assert "Desa Mlaten, Kec. Kalitidu" in page and "Bupati, Camat Kalitidu" in page

    path = f"/konsol/sambang-desa/{sambang.id}"
    first = client.post(f"{path}/pengaduan", data=_form(client, path, text=LAMP, reporter_name="Bu Sri", place_id=str(desa.id)))
    assert first.status_code == 302 and first.headers["Location"].endswith(f"{path}#pengaduan-baru")
    second = client.post(f"{path}/pengaduan", data=_form(client, path, text=LAMP.replace("dua minggu", "tiga minggu"),
                                                         place_id=str(desa.id)))
    assert second.status_code == 302
    one, two = session.scalars(select(Complaint).order_by(Complaint.id)).all()
    assert {one.channel, two.channel} == {"sambang_desa"} and one.place_id == two.place_id == desa.id
    # heard on the session's day, not when typed in
    assert (one.received_at + timedelta(hours=7)).date().isoformat() == "2026-11-30"
    assert [d["id"] for d in two.suggestions["duplicates"]] == [one.id]  # the same lamp, said twice at one sitting
    listing = client.get(path).text
    assert f"Draf #{one.id}" in listing and f"Draf #{two.id}" in listing and "Pengaduan sesi ini (2)" in listing

    refused = client.post(f"{path}/pengaduan", data=_form(client, path, text="ya", reporter_name="Pak Kasno"))
    assert refused.status_code == 422 and "Pak Kasno" in refused.text and "paling sedikit tiga kata" in refused.text


def _wav(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, 16000, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


def test_a_session_recording_is_cut_into_speakers_like_a_radio_show(client, session, settings, users) -> None:  # noqa: ANN001
    from tests.test_radio_resegment import two_callers
    from transcribe.drafting_job import build_draft

    sambang = sambang_session(session, "Mlaten", held_on=date(2026, 11, 28))  # uploaded some days later
    session.commit()
    login(client, "operator")
    path = f"/konsol/sambang-desa/{sambang.id}"
    data = _form(client, path)
    data["recording"] = (io.BytesIO(b"bukan audio sama sekali"), "rekaman.mp3")
    refused = client.post(f"{path}/rekaman", data=data, content_type="multipart/form-data")
    assert refused.status_code == 422 and "audio" in refused.text and _count(session, RadioShow) == 0

    data = _form(client, path)
    data["recording"] = (io.BytesIO(_wav(two_callers())), "sambang-mlaten.wav")
    assert client.post(f"{path}/rekaman", data=data, content_type="multipart/form-data").status_code == 302
    session.expire_all()
    show = session.get(SambangSession, sambang.id).show
    assert show.channel == "sambang_desa" and show.status == "finished"
    calls = session.scalars(select(Call).order_by(Call.id)).all()
    assert [c.channel for c in calls] == ["sambang_desa", "sambang_desa"]
    assert [round(s.start_s) for s in show.segments] == [1, 6]
    # heard at the session (noon WIB of its day), not at the upload: the verification limit runs from then
    assert [c.received_at.date() for c in calls] == [date(2026, 11, 28)] * 2
    # a speaker who names no place gets the session's desa
    session.add(Transcript(call=calls[0], engine="whisper", model="base", text=LAMP))
    session.flush()
    draft = build_draft(session, settings, calls[0], calls[0].transcript)
    assert draft.place.name == "Mlaten" and draft.channel == "sambang_desa"
    assert "2 pembicara" in client.get(path).text


@pytest.mark.parametrize("username", ["viewer", "liaison_pu"])
def test_only_operators_type_complaints(client, users, username: str) -> None:  # noqa: ANN001
    login(client, username)
    for url in ("/konsol/pengaduan-baru", "/konsol/sambang-desa"):
        assert client.get(url).status_code == 403


def test_the_stylesheet_closes_every_block() -> None:
    """An unclosed `@media (max-width: 600px) {` once put every later rule (the agency page's, the print layout's,
    the desk form's) inside it: on a desktop none of them applied."""
    from pathlib import Path

    import web

    css = re.sub(r"/\*.*?\*/", "", (Path(web.__file__).parent / "static" / "suara.css").read_text(), flags=re.S)
    depth = 0
    for ch in css:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0


# -- the place field without JavaScript: the typed text (`place_q`) is searched on the server ------------------------
def _place(session, name: str, kecamatan: str | None = None) -> Place:  # noqa: ANN001
    rows = session.scalars(select(Place).where(Place.name == name)).all()
    return next(p for p in rows if (p.parent.name if p.parent else None) == kecamatan)


def test_a_place_is_searched_and_picked_without_javascript_at_the_desk(client, session, users) -> None:  # noqa: ANN001
    login(client, "operator")
    data = _form(client, channel="walk_in", text=LAMP, reporter_name="Pak Darmo Wiryo", place_id="", place_q="pejok kepohbaru")
    found = client.post("/konsol/pengaduan-baru", data={**data, "action": "cari_tempat"})
    assert found.status_code == 200 and 'id="place-results"' in found.text and "form-error" not in found.text
    pejok = _place(session, "Pejok", "Kepohbaru")
    assert f'name="place_choice" value="{pejok.id}"' in found.text
    assert LAMP in found.text and "Pak Darmo Wiryo" in found.text and 'value="pejok kepohbaru"' in found.text
    assert _count(session, Complaint) == 0

    saved = client.post("/konsol/pengaduan-baru", data={**data, "place_choice": str(pejok.id)})
    assert saved.status_code == 302
    assert session.scalars(select(Complaint)).one().place_id == pejok.id


def test_a_client_sending_the_place_id_alone_still_chooses_the_place(client, session, users) -> None:  # noqa: ANN001
    login(client, "operator")
    pejok = _place(session, "Pejok", "Kepohbaru")
    saved = client.post("/konsol/pengaduan-baru", data=_form(client, channel="walk_in", text=LAMP, place_id=str(pejok.id)))
    assert saved.status_code == 302 and session.scalars(select(Complaint)).one().place_id == pejok.id


@pytest.mark.parametrize("picked_before", [False, True])
def test_typed_place_text_never_picked_is_refused_at_the_desk(client, session, users, picked_before) -> None:  # noqa: ANN001
    login(client, "operator")
    earlier = _place(session, "Mlaten", "Kalitidu")
    data = _form(client, channel="walk_in", text=LAMP, reporter_name="Pak Darmo Wiryo", source_ref="loket 2",
                 place_id=str(earlier.id) if picked_before else "", place_q="kedungadem")
    response = client.post("/konsol/pengaduan-baru", data=data)
    assert response.status_code == 422  # neither dropped nor the earlier pick silently kept
    assert "Lokasi “kedungadem” belum dipilih" in response.text
    assert re.search(r'id="place-search"[^>]*value="kedungadem"[^>]*aria-invalid="true"', response.text, re.S)
    assert LAMP in response.text and "Pak Darmo Wiryo" in response.text and "loket 2" in response.text
    assert 'name="place_choice"' in response.text and "Kec. Kedungadem" in response.text
    assert _count(session, Complaint) == 0 and _count(session, DeskIntake) == 0


def test_a_sambang_desa_session_is_opened_without_javascript(client, session, users) -> None:  # noqa: ANN001
    login(client, "operator")
    path = "/konsol/sambang-desa"
    data = _form(client, path, held_on="2026-11-30", place_id="", place_q="kalitidu", officials="Bupati\nCamat Kalitidu")
    found = client.post(path, data={**data, "action": "cari_tempat"})
    assert found.status_code == 200 and "Camat Kalitidu" in found.text
    assert "> Kec. Kalitidu</label>" not in found.text and "Desa Kalitidu, Kec. Kalitidu</label>" in found.text  # a session is held in a desa, not a kecamatan
    assert 'value="-"' not in found.text  # nor without one
    unpicked = client.post(path, data=data)
    assert unpicked.status_code == 422 and "Lokasi “kalitidu” belum dipilih" in unpicked.text
    assert _count(session, SambangSession) == 0

    desa = _place(session, "Mlaten", "Kalitidu")
    opened = client.post(path, data={**data, "place_q": "mlaten", "place_choice": str(desa.id)})
    assert opened.status_code == 302
    sambang = session.scalars(select(SambangSession)).one()
    assert sambang.place_id == desa.id

    # its complaints start at its desa; typed over and never picked, they are refused like at the desk
    session_path = f"{path}/{sambang.id}"
    page = client.get(session_path).text
    assert re.search(r'id="place-search"[^>]*value="Desa Mlaten, Kec. Kalitidu"', page, re.S)
    refused = client.post(f"{session_path}/pengaduan", data=_form(client, session_path, text=LAMP, place_id=str(desa.id),
                                                                 place_q="pejok"))
    assert refused.status_code == 422 and "Lokasi “pejok” belum dipilih" in refused.text and LAMP in refused.text
    kept = client.post(f"{session_path}/pengaduan", data=_form(client, session_path, text=LAMP, place_id=str(desa.id),
                                                              place_q="Desa Mlaten, Kec. Kalitidu"))
    assert kept.status_code == 302 and session.scalars(select(Complaint)).one().place_id == desa.id


SUPARMI = ("Nama: Suparmi. Alamat: Dusun Krajan RT 01 RW 02 Desa Ngasem. Bantuan BPNT saya tidak cair tiga bulan, kata "
           "pendamping nama saya dicoret.")


def test_an_anonymous_letter_reaches_the_agency_without_its_writer(app, client, session, settings, users) -> None:  # noqa: ANN001
    """A letter typed with Anonim ticked and no name: the agency reads what happened, not who wrote or where they live."""
    from web.auth import create_user

    create_user(session, "liaison_dinsos", PASSWORD, Role.LIAISON, agency_key="dinsos")
    session.commit()
    login(client, "operator")
    response = client.post("/konsol/pengaduan-baru", data=_form(client, channel="letter", text=SUPARMI, anonymous="1"))
    draft_id = int(re.search(r"/konsol/draf/(\d+)", response.headers["Location"]).group(1))
    draft = session.get(Complaint, draft_id)
    assert draft.anonymous and draft.location_detail is None  # the writer's home is not where the problem is
    page = client.get(f"/konsol/draf/{draft_id}").text
    confirm = client.post(f"/konsol/draf/{draft_id}", data={
        "csrf_token": csrf_from(page), "action": "confirm", "title": draft.title, "description": draft.description,
        "classification": "pengaduan", "topic_id": draft.topic_id, "place_id": draft.place_id, "reporter_name": "",
        "location_detail": "Dusun Krajan, RT 01/RW 02", "anonymous": "1"})  # an operator copying the home by hand
    assert confirm.status_code == 302
    session.expire_all()
    complaint = session.get(Complaint, draft_id)
    lc.verify(session, complaint, by=user(session, "operator"))
    lc.disposition(session, complaint, agency(session, "dinsos"), by=user(session, "operator"), settings=settings)
    session.commit()

    liaison = app.test_client()
    login(liaison, "liaison_dinsos")
    pages = [liaison.get("/konsol/opd").text, liaison.get(f"/konsol/pengaduan/{draft_id}").text]
    admin = app.test_client()
    login(admin, "admin")
    pages.append(admin.get("/serah-terima/ekspor.csv?semua=1").text)
    for page in pages:
        assert "BPNT" in page
        for identity in ("Suparmi", "Krajan", "RT 01"):
            assert identity not in page
    assert "nama saya dicoret" in pages[1]


def test_a_letter_naming_its_writer_after_bernama_and_asking_not_to_be_named(client, session, users) -> None:  # noqa: ANN001
    """The name said with "bernama" is the reporter's; the request marks the draft anonymous for the operator to
    confirm, and the description starts with what happened, not with the rest of the introduction."""
    login(client, "operator")
    text = ("Saya warga desa Ngasem bernama Sutrisno, bantuan PKH saya dipotong kepala dusun. "
            "Tolong nama saya dirahasiakan.")
    response = client.post("/konsol/pengaduan-baru", data=_form(client, channel="letter", text=text))
    draft = session.get(Complaint, int(re.search(r"/konsol/draf/(\d+)", response.headers["Location"]).group(1)))
    assert draft.anonymous and draft.reporter_name == "Sutrisno"
    assert draft.description.startswith("Bantuan PKH saya dipotong kepala dusun.")
    assert "minta namanya dirahasiakan" in client.get(f"/konsol/draf/{draft.id}").text


@pytest.mark.parametrize("text", [
    "Tolong nama saya dirahasiakan. Bantuan BPNT saya tidak cair tiga bulan di desa Ngasem.",
    "Bantuan BPNT saya tidak cair tiga bulan, jangan sebut nama saya ya.",
])
def test_a_reporter_asking_not_to_be_named_gets_a_draft_marked_anonymous(client, session, users, text: str) -> None:  # noqa: ANN001
    login(client, "operator")
    response = client.post("/konsol/pengaduan-baru", data=_form(client, channel="sms", text=text))
    draft = session.get(Complaint, int(re.search(r"/konsol/draf/(\d+)", response.headers["Location"]).group(1)))
    assert draft.anonymous and draft.reporter_name is None
    assert "BPNT" in draft.description
    assert "minta namanya dirahasiakan" in client.get(f"/konsol/draf/{draft.id}").text
