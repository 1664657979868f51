"""Hand-over to SP4N-LAPOR!: CSV and JSON exports, the round trip of LAPOR! tracking numbers, forwarding list."""

from __future__ import annotations

import csv
import io

import pytest

import models.satisfaction  # noqa: F401 - registers the analytics, issue and rating tables (until models/all.py does)
from sqlalchemy import select

from models.audit import AuditEntry
from models.entities import Complaint, Topic
from tests.conftest import csrf_from, login
from tests.console_data import make_complaint, past, tone_wav


def _data(session, settings):  # noqa: ANN001, ANN202
    made = [
        make_complaint(session, settings, "terdisposisi", title="Jalan berlubang", received_at=past(3)),
        make_complaint(session, settings, "selesai", anonymous=True, title="Lampu mati", received_at=past(4)),
        make_complaint(session, settings, "belum_diverifikasi", confidential=True, title="Pungutan liar", received_at=past(2)),
        make_complaint(session, settings, "bukan_wewenang", title="Jalan nasional rusak", received_at=past(5)),
    ]
    draft = make_complaint(session, settings, "draft", title="Masih draf")
    for c in made[:2]:
        c.call.audio_path = tone_wav(settings, f"call-{c.call_id}.wav", seconds=0.5)
    made[1].location_detail = "RT 02 RW 01"
    session.commit()
    return made, draft


def test_export_round_trip_csv_json_and_tracking_numbers(client, session, settings, users) -> None:  # noqa: ANN001
    made, draft = _data(session, settings)
    login(client, "operator")
    response = client.get("/serah-terima/ekspor.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    by_ref = {r["nomor_registrasi"]: r for r in rows}
    assert set(by_ref) == {c.reference for c in made}  # the draft is not exported
    for c in made:
        row = by_ref[c.reference]
        assert row["judul"] == c.title and row["isi"] == c.description
        assert row["anonim"] == ("ya" if c.anonymous else "tidak") and row["rahasia"] == ("ya" if c.confidential else "tidak")
        assert row["kategori"] == c.topic.name and row["kecamatan"] == c.place.parent.name and row["desa"] == c.place.name
        assert row["opd"] == c.agency.name and row["tanggal"][:4] == str(c.received_at.year)
        # a link to a recording that exists, never to the voice of an anonymous or confidential reporter
        linked = c.call.audio_path and not (c.anonymous or c.confidential)
        assert row["tautan_audio"].endswith(f"/calls/{c.call_id}/audio") if linked else row["tautan_audio"] == ""
    assert by_ref[made[1].reference]["lokasi"].startswith("RT 02 RW 01, Desa")
    for secret in ("Siti Aminah", "085700011122"):
        assert secret not in response.data.decode()

    document = client.get("/serah-terima/ekspor.json").get_json()
    assert document["jumlah"] == 4
    for item in document["pengaduan"]:
        expected = {k: ("ya" if v is True else "tidak" if v is False else v) for k, v in item.items()}
        assert expected == by_ref[item["nomor_registrasi"]]

    # The admin fills in the LAPOR! numbers of two rows and uploads the file back, twice.
    for row, number in zip(rows[:2], ("LPR-0001", "LPR-0002")):
        row["nomor_lapor"] = number
    filled = io.StringIO()
    writer = csv.DictWriter(filled, fieldnames=rows[0].keys())
    writer.writeheader()
    writer.writerows(rows)
    token = csrf_from(client.get("/serah-terima/").text)
    for expected in ("2 nomor LAPOR! dicatat", "0 nomor LAPOR! dicatat, 2 tidak berubah"):
        page = client.post("/serah-terima/impor", data={"csrf_token": token, "berkas": (io.BytesIO(filled.getvalue().encode()), "isi.csv")},
                           content_type="multipart/form-data", follow_redirects=True)  # fmt: skip
        assert expected in page.text
    session.expire_all()
    recorded = {c.reference: c.lapor_tracking_id for c in session.scalars(select(Complaint).where(Complaint.lapor_tracking_id.is_not(None)))}
    assert recorded == {rows[0]["nomor_registrasi"]: "LPR-0001", rows[1]["nomor_registrasi"]: "LPR-0002"}
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "complaint.lapor_tracking").limit(1)) is not None

    # Pending-only by default: the two recorded ones are gone from the next export.
    pending = list(csv.DictReader(io.StringIO(client.get("/serah-terima/ekspor.csv").data.decode("utf-8-sig"))))
    assert len(pending) == 2
    everything = client.get("/serah-terima/ekspor.json?semua=1").get_json()
    assert everything["jumlah"] == 4


def test_record_one_tracking_number_and_reject_bad_ones(client, session, settings, users) -> None:  # noqa: ANN001
    made, draft = _data(session, settings)
    login(client, "operator")
    token = csrf_from(client.get("/serah-terima/").text)
    ok = client.post(f"/serah-terima/{made[0].id}/lapor", data={"csrf_token": token, "nomor_lapor": "3151234"}, follow_redirects=True)
    assert "disimpan" in ok.text
    bad = client.post(f"/serah-terima/{made[0].id}/lapor", data={"csrf_token": token, "nomor_lapor": "<script>"})
    assert bad.status_code == 400
    assert client.post(f"/serah-terima/{draft.id}/lapor", data={"csrf_token": token, "nomor_lapor": "3151235"}).status_code == 400
    session.expire_all()
    assert session.get(Complaint, made[0].id).lapor_tracking_id == "3151234"


def test_out_of_remit_list_for_forwarding(client, session, settings, users) -> None:  # noqa: ANN001
    made, _ = _data(session, settings)
    other = made[0]
    other.topic = session.scalars(select(Topic).where(Topic.key == "lainnya")).one()
    session.commit()
    login(client, "operator")
    page = client.get("/serah-terima/luar-wewenang")
    assert page.status_code == 200
    assert "Jalan nasional rusak" in page.text and "Jalan berlubang" in page.text and "Lampu mati" not in page.text
    rows = client.get("/serah-terima/luar-wewenang.json").get_json()["pengaduan"]
    assert {r["nomor_registrasi"] for r in rows} == {made[0].reference, made[3].reference}


def test_handover_is_for_coordinators_only(client, session, settings, users) -> None:  # noqa: ANN001
    login(client, "liaison_pu")
    assert client.get("/serah-terima/").status_code == 403
    assert client.get("/serah-terima/ekspor.csv").status_code == 403


def _every_channel(session, settings) -> dict[str, Complaint]:  # noqa: ANN001
    """Confirmed complaints of every way in: a phone call with its recording, a WhatsApp text (no recording), and
    typed ones (social media, "lainnya" whose detail names the sender, a letter), some anonymous or confidential."""
    from models.desk import DeskIntake

    made = {}
    for key, channel, detail, reporter, flags in (
        ("phone", "phone", None, "Sri Wahyuni", {}),
        ("whatsapp", "whatsapp", None, "Agus Salim", {}),
        ("facebook", "social_media", "facebook", "Dewi Lestari", {}),
        ("other", "other", "WA pribadi Pak Slamet", "Slamet Riyadi", {}),
        ("other_anonymous", "other", "titipan Bu Warsini", "Warsini", {"anonymous": True}),
        ("letter_confidential", "letter", None, "Bambang Utomo", {"confidential": True}),
    ):
        c = make_complaint(session, settings, "terdisposisi", title=f"Jalan rusak ({channel})", reporter=reporter,
                           phone="0857000111" + str(len(made)).zfill(2), **flags)
        c.channel = channel
        if channel == "phone":
            c.call.audio_path = tone_wav(settings, "phone.wav", seconds=0.5)
        elif channel == "whatsapp":
            c.call.channel = channel  # a text message: a conversation without a recording
        else:  # typed at the desk: no call at all
            c.call = None
            session.add(DeskIntake(complaint=c, text=c.description, source_detail=detail))
        made[key] = c
    session.commit()
    return made


EXPECTED_SOURCE = {  # (without identity, with identity)
    "phone": ("Telepon", "Telepon"),
    "whatsapp": ("WhatsApp", "WhatsApp"),
    "facebook": ("Media sosial (Facebook)", "Media sosial (Facebook)"),
    "other": ("Lainnya", "Lainnya (WA pribadi Pak Slamet)"),
    "other_anonymous": ("Lainnya", "Lainnya"),
    "letter_confidential": ("Surat", "Surat"),
}


def _exported(response) -> list[dict[str, str]]:  # noqa: ANN001
    if response.mimetype == "application/json":
        return [{k: ("ya" if v is True else "tidak" if v is False else v) for k, v in row.items()}
                for row in response.get_json()["pengaduan"]]
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


@pytest.mark.parametrize("url", ["/serah-terima/ekspor.csv", "/serah-terima/ekspor.json", "/serah-terima/ekspor.csv?identitas=1",
                                 "/serah-terima/ekspor.json?identitas=1", "/serah-terima/luar-wewenang.csv?semua=1"])
def test_export_holds_complaints_of_every_channel(client, session, settings, users, url: str) -> None:  # noqa: ANN001
    """The regression: a typed complaint made the export answer 500 (the sub-sources were read into a dict wrongly)."""
    made = _every_channel(session, settings)
    login(client, "admin")
    response = client.get(url)
    assert response.status_code == 200, response.text
    rows = {r["nomor_registrasi"]: r for r in _exported(response)}
    if "luar-wewenang" in url:
        assert rows == {}  # none is outside the remit; the list still answers
        return
    with_identity = "identitas=1" in url
    assert set(rows) == {c.reference for c in made.values()}
    for key, c in made.items():
        row = rows[c.reference]
        assert row["saluran"] == EXPECTED_SOURCE[key][with_identity], key
        # a link only to a recording that exists, and never to the voice of an anonymous or confidential reporter
        assert (row["tautan_audio"] != "") == (key == "phone"), key
        if with_identity:
            ordinary = not (c.anonymous or c.confidential)
            assert row["nama_pelapor"] == (c.reporter_name if ordinary else ""), key
            assert row["telepon_pelapor"] == (c.reporter_phone if ordinary else ""), key
        else:
            assert "nama_pelapor" not in row
    if not with_identity:
        for secret in ("Slamet", "Warsini", "Sri Wahyuni", "Bambang", "08570001110"):
            assert secret not in response.data.decode()


def test_export_with_identity_is_for_admins_only(client, session, settings, users) -> None:  # noqa: ANN001
    _every_channel(session, settings)
    login(client, "operator")
    assert client.get("/serah-terima/ekspor.csv").status_code == 200
    assert client.get("/serah-terima/ekspor.csv?identitas=1").status_code == 403
