"""The spot of an issue: which road, school, puskesmas or desa of its kecamatan its complaints name, said in the
label before the kecamatan; only gazetteer names, and never what one reporter alone said."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import models.satisfaction  # noqa: F401 - registers the analytics, issue and rating tables
from models import analytics as an
from models import issue_spots, issues
from models.entities import Place
from models.seed import load_places
from tests.console_data import make_complaint, past

GAZETTEER = issue_spots.Gazetteer.of((p.kecamatan, p.desa, p.kind) for p in load_places())


def said(text: str, kecamatan: str) -> list[str]:
    return [s.written for s in issue_spots.spots_said(text, kecamatan, GAZETTEER)]


@pytest.mark.parametrize(
    ("text", "kecamatan", "expected"),
    [
        ("dalan poros Temayang ke arah Sugihwaras rusak kayak kubangan", "Temayang", ["jalan Temayang–Sugihwaras"]),
        ("Jalan kabupaten ruas Kedungadem-Megale berlubang", "Kedungadem", ["jalan Kedungadem–Megale"]),
        ("Atap ruang kelas SDN Semawot ambrol", "Sukosewu", ["SDN Semawot"]),
        ("pungutan di SMPN 1 Kapas untuk seragam", "Kapas", ["SMPN 1 Kapas"]),
        ("Ambulans Puskesmas Sekar rusak", "Sekar", ["Puskesmas Sekar"]),
        ("Kantor Desa Soko sering tutup", "Temayang", ["Kantor Desa Soko"]),
        ("bansos di Desa Kayulemah salah sasaran", "Sumberrejo", ["Desa Kayulemah"]),
        ("tanggul Bengawan Solo retak", "Kanor", ["tanggul Bengawan Solo"]),
        ("parkir liar di sekitar alun-alun, tarif mahal", "Bojonegoro", ["alun-alun"]),
        ("min parkir di sekitar alun2 bojonegoro ditarik 5rb", "Bojonegoro", ["alun-alun"]),  # as chat writes it
    ],
)
def test_a_facility_with_its_name_or_a_desa_is_a_spot(text: str, kecamatan: str, expected: list[str]) -> None:
    assert said(text, kecamatan) == expected


def test_only_gazetteer_names_are_taken() -> None:
    # a person's name after a facility word, an RT/RW, a house number: none of them is a spot
    assert said("jalan depan rumah Pak Sukarjono RT 03 RW 02 nomor 12 rusak", "Temayang") == []
    assert said("jalan Sukarjono rusak", "Temayang") == []
    # a school's number alone names no school; "SMP negeri di Balen" is some school of Balen
    assert said("SDN 2 rusak atapnya", "Balen") == []
    assert said("pungutan di SMP negeri di Balen", "Balen") == []
    # "kali" is also "times": "tiga kali di desa Belun" is no river
    assert said("sudah tiga kali di Belun banjir", "Temayang") == ["Desa Belun"]


def test_a_desa_is_one_of_the_issues_own_kecamatan_and_the_kecamatan_is_no_desa() -> None:
    assert said("banjir di Belun", "Temayang") == ["Desa Belun"]
    assert said("banjir di Belun", "Kanor") == []  # Belun is a desa of Temayang, not of Kanor
    assert said("pupuk langka di Kedungadem", "Kedungadem") == []  # the kecamatan, as said alone
    assert said("pupuk langka di desa Kedungadem", "Kedungadem") == ["Desa Kedungadem"]


def test_a_spot_of_several_complaints_is_said_by_two_and_by_half_of_them() -> None:
    texts = ["jalan rusak di Desa Belun", "jalan Belun rusak parah", "jalan berlubang", "jalan rusak, mohon diperbaiki"]
    assert issue_spots.issue_spot(texts, "Temayang", GAZETTEER, "Jalan rusak") == "Desa Belun"
    # what one reporter alone said never labels an issue
    assert issue_spots.issue_spot(texts[1:], "Temayang", GAZETTEER, "Jalan rusak") == ""
    assert issue_spots.issue_spot([texts[0], *texts[2:]], "Temayang", GAZETTEER, "Jalan rusak") == ""


def test_a_facility_wins_over_a_desa_and_its_fullest_writing_is_shown() -> None:
    texts = ["jalan Kedungadem ke Megale rusak, warga Desa Kedungrejo", "ruas Kedungadem Megale berlubang, Desa Kedungrejo",
             "jalan Kedungadem rusak"]  # fmt: skip
    assert issue_spots.issue_spot(texts, "Kedungadem", GAZETTEER, "Jalan rusak") == "jalan Kedungadem–Megale, Desa Kedungrejo"
    assert issue_spots.issue_spot(texts[1:], "Kedungadem", GAZETTEER, "Jalan rusak") == "jalan Kedungadem–Megale"


def test_the_desa_a_complaints_record_places_it_in_counts_as_said() -> None:
    # a caller's own desa is cut from the transcript with their name; the record keeps where the problem is
    texts = ["halo pak kulo badhe matur jalan rusak parah", "jalan berlubang mohon diperbaiki", "jalan rusak"]
    assert issue_spots.issue_spot(texts, "Temayang", GAZETTEER, "Jalan rusak") == ""
    located = ["Belun", "Belun", "Soko"]
    assert issue_spots.issue_spot(texts, "Temayang", GAZETTEER, "Jalan rusak", located=located) == "Desa Belun"
    assert issue_spots.issue_spot(texts[:1], "Temayang", GAZETTEER, "Jalan rusak", located=["Soko"]) == "Desa Soko"
    # placed in different desa, no desa is the issue's
    assert issue_spots.issue_spot(texts, "Temayang", GAZETTEER, "Jalan rusak", located=["Belun", "Soko", ""]) == ""


def test_one_complaints_side_remark_is_not_its_spot() -> None:
    text = "jalan di Desa Belun rusak parah, dekat SDN Belun 2 anak anak jatuh"
    assert issue_spots.issue_spot([text], "Temayang", GAZETTEER, "Jalan rusak") == "jalan Belun"
    assert issue_spots.issue_spot([text], "Temayang", GAZETTEER, "Gedung sekolah rusak") == "SDN Belun 2"


def test_recluster_and_a_new_complaint_name_the_spot_and_join_by_problem(session, settings, users) -> None:  # noqa: ANN001
    place = session.scalars(select(Place).where(Place.kind == "desa").order_by(Place.id)).first()
    kecamatan = session.get(Place, place.parent_id)
    desa = [p.name for p in session.scalars(select(Place).where(Place.parent_id == kecamatan.id).order_by(Place.id))]
    first, other = desa[0], desa[1]
    for title, description in [("Jalan rusak", f"jalan rusak berlubang di Desa {first}, nama saya Sukarjono"),
                               ("Jalan berlubang", f"jalan Desa {first} berlubang besar, jalan rusak parah"),
                               ("Jalan rusak", "mohon jalan rusak diperbaiki, jalan berlubang bahaya")]:  # fmt: skip
        complaint = make_complaint(session, settings, "terdisposisi", title=title, received_at=past(3))
        complaint.description = description
    session.commit()
    an.recluster(session)
    session.commit()
    labels = [i.label for i in session.scalars(select(issues.Issue))]
    assert labels == [f"Jalan rusak · Desa {first}, Kec. {kecamatan.name}"]
    fact = session.scalars(select(an.ComplaintFact)).first()
    # a new complaint of the same problem elsewhere in the kecamatan joins the issue: the spot is no other problem
    placed = issues.assign(session.connection(), f"Jalan rusak. jalan di Desa {other} rusak berlubang, truk lewat terus",
                           fact.topic_id, fact.kecamatan_id, 0)
    assert (placed.issue_id, placed.opened) == (fact.issue_id, False)
    # a complaint of another problem opens its issue, named with the desa its record places it in
    other_place = session.scalars(select(Place).where(Place.name == other, Place.parent_id == kecamatan.id)).one()
    lamp = issues.assign(session.connection(), "lampu penerangan jalan mati sebulan, gelap", fact.topic_id,
                         fact.kecamatan_id, 0, place_id=other_place.id)
    assert lamp.opened
    assert session.get(issues.Issue, lamp.issue_id).label == f"Lampu jalan mati · Desa {other}, Kec. {kecamatan.name}"


def test_a_desa_named_by_a_common_word_needs_desa_before_it() -> None:
    # Sudah (Malo) and Panjang (Kedungadem) are desa, and words: "Sudah diurus" is no desa
    assert said("Sertifikat PTSL belum diterima. Sudah diurus ke desa Tanggir", "Malo") == ["Desa Tanggir"]
    assert said("warga desa Sudah belum menerima sertifikat", "Malo") == ["Desa Sudah"]
    assert said("jalan panjang sekali rusaknya", "Kedungadem") == []


def test_a_spot_is_the_same_whatever_the_order_sets_iterate_in() -> None:
    # str hashing is salted per process: ties must not be broken by set or dict order, or a label flips at every
    # regrouping ("Desa Ngrowo dan Karangpacar", then "Desa Karangpacar dan Ngrowo")
    import subprocess
    import sys

    code = ("from tests.test_issue_spots import GAZETTEER; from models import issue_spots; "
            "print(issue_spots.issue_spot(['jalan rusak di Desa Soko', 'jalan rusak di Desa Belun'], "
            "'Temayang', GAZETTEER, 'Jalan rusak', located=['Belun', 'Soko']))")  # fmt: skip
    found = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={"PYTHONHASHSEED": str(seed), "PATH": ""}).stdout.strip() for seed in range(6)}  # fmt: skip
    assert found == {"Desa Belun dan Soko"}


def test_a_kelurahan_is_named_as_one() -> None:
    # the town's wards are kelurahan, not desa (read BC)
    texts = ["air PDAM mati di Ledok Kulon", "air PDAM Ledok Kulon mati lagi"]
    assert issue_spots.issue_spot(texts, "Bojonegoro", GAZETTEER, "Air PDAM tidak mengalir") == "Kel. Ledok Kulon"
    mixed = issue_spots.issue_spot(texts, "Bojonegoro", GAZETTEER, "Air PDAM tidak mengalir", located=["Sukorejo", "Sukorejo"])
    assert mixed == "Kel. Ledok Kulon dan Desa Sukorejo"


def test_a_desa_named_by_an_everyday_word_needs_a_cue() -> None:
    # "kulo soko Belun" is "I from Belun": Soko (Temayang) is a desa, and Javanese for "from". The drafter's list of
    # desa names that are everyday words (`models.address.COMMON_WORD_NAMES`) holds here too
    assert said("halo mas kulo soko Belun, dalan rusak", "Temayang") == []  # neither is said after a cue
    assert said("halo mas kulo saking Belun, dalan rusak", "Temayang") == ["Desa Belun"]
    assert said("Kantor Desa Soko sering tutup", "Temayang") == ["Kantor Desa Soko"]
    assert said("warga desa Soko minta jalan diperbaiki", "Temayang") == ["Desa Soko"]
    assert said("iki warga Talun, pupuk langka", "Sumberrejo") == ["Desa Talun"]  # a cue before it
