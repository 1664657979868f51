"""The identity filter on written and spoken forms, and the audiences' rules."""

from __future__ import annotations

from datetime import datetime

import pytest

from models.identity import ADDRESS, EMAIL, NAME, NIK, PHONE, IdentityFilter, anonymised, introduced_names
from models.visibility import PUBLIC, Audience, Kind, public_count, public_share

BARE = IdentityFilter()


@pytest.mark.parametrize("text, expected", [
    # phone numbers, written
    ("nomor saya 0812-3456-7890 ya", f"nomor saya {PHONE} ya"),
    ("hubungi +62 812 3456 7890.", f"hubungi {PHONE}."),
    ("wa 6281234567890", f"wa {PHONE}"),
    ("kantor (0353) 881234", f"kantor {PHONE}"),
    ("hp 0812.3456.7890", f"hp {PHONE}"),
    # said, as a recognizer writes them
    ("nomor hp saya nol delapan satu dua tiga empat lima enam tujuh delapan sembilan", f"nomor hp saya {PHONE}"),
    ("plus enam dua delapan satu tiga lima lima lima satu dua tiga", PHONE),
    ("kosong delapan lima dua, tiga tiga empat, lima enam tujuh", PHONE),
    # heard in part, misheard, or in Javanese
    ("nomor 5 tuju, 123456 tuju berapa", f"nomor {PHONE} berapa"),
    ("Namosaya-nol Bahasa Satu-dua 3456 Tutu-nol-nol 1", f"Namosaya-nol Bahasa {PHONE}"),
    ("nomer kulo nol wolu siji loro telu papat limo enem", f"nomer kulo {PHONE}"),
    ("hubungi saya (0857 1234 5678) ya", f"hubungi saya ({PHONE}) ya"),
    # NIK and e-mail
    ("NIK saya 3522011203850001", f"NIK saya {NIK}"),
    ("no ktp 3522 0112 0385 0001", f"no ktp {NIK}"),
    ("email ahmad.f@gmail.com", f"email {EMAIL}"),
    ("email ahmad at gmail dot com", f"email {EMAIL}"),
    # self-introductions, also with the name field empty
    ("Selamat pagi, nama saya Bu Siti Aminah dari Kalitidu", f"Selamat pagi, nama saya Bu {NAME} dari Kalitidu"),
    ("saya pak slamet dari desa kalitidu mau lapor", f"saya pak {NAME} dari desa kalitidu mau lapor"),
    ("dengan Pak Slamet, warga Baureno", f"dengan Pak {NAME}, warga Baureno"),
    ("Saya Ahmad, warga Kedungadem", f"Saya {NAME}, warga Kedungadem"),
    ("saya budi santoso dari dander", f"saya {NAME} dari dander"),
    ("atas nama Ahmad Fauzi", f"atas nama {NAME}"),
    # left as they are
    ("saya mau lapor lampu mati", "saya mau lapor lampu mati"),
    ("Saya mau melaporkan jalan rusak", "Saya mau melaporkan jalan rusak"),
    ("saya sendiri dari desa sukorejo", "saya sendiri dari desa sukorejo"),
    ("koordinasi dengan Dinas Kesehatan dan dengan Pak Camat", "koordinasi dengan Dinas Kesehatan dan dengan Pak Camat"),
    ("tanggal 12-05-2024 bayar Rp 15.000.000 untuk dua puluh lima rumah", "tanggal 12-05-2024 bayar Rp 15.000.000 untuk dua puluh lima rumah"),
    ("RT 03 RW 05 nomor 12", "RT 03 RW 05 nomor 12"),
    ("sudah rusak sejak 2019-2024, ada tiga ratus dua puluh lima rumah", "sudah rusak sejak 2019-2024, ada tiga ratus dua puluh lima rumah"),
    ("biaya 150.000 rupiah dan 2.500.000,- per bulan", "biaya 150.000 rupiah dan 2.500.000,- per bulan"),
    ("anggaran Rp 1.500.000.000 untuk jembatan", "anggaran Rp 1.500.000.000 untuk jembatan"),
    # a phone number behind "Rp" is still a phone number (found by tests/test_fuzz.py)
    ("transfer Rp081234567890 ke saya", f"transfer Rp{PHONE} ke saya"),
])  # fmt: skip
def test_the_filter_replaces_identity_in_written_and_spoken_forms(text: str, expected: str) -> None:
    assert BARE.redact(text) == expected


def test_recorded_names_are_replaced_whole_and_in_parts() -> None:
    f = IdentityFilter(("Pak Ahmad Fauzi",))
    assert f.redact("Fauzi bilang jalannya rusak, kata AHMAD fauzi") == f"{NAME} bilang jalannya rusak, kata {NAME}"
    assert f.redact("") == "" and f.redact(None) == ""
    assert introduced_names("nama saya Bu Siti Aminah dari desa") == ["Siti Aminah"]
    assert anonymised("nama saya Siti, hp 081234567890. Jalan rusak") == "nama saya  , hp  . Jalan rusak"


def test_audiences() -> None:
    from models.entities import Complaint

    def complaint(**kw: object) -> Complaint:
        values = dict(status="terdisposisi", reference="261201000001", agency_id=1, anonymous=False, confidential=False,
                      reporter_name="Ahmad", description="Saya Ahmad, hp 081234567890",
                      dispositioned_at=datetime(2026, 12, 1, 2, 0))  # fmt: skip
        return Complaint(**(values | kw))

    class User:
        def __init__(self, role: str, agency_id: int | None = None) -> None:
            self.role, self.agency_id, self.is_authenticated = role, agency_id, True

    own, other = Audience.of(User("liaison", 1)), Audience.of(User("liaison", 2))
    assert Audience.of(User("operator")).kind is Kind.COORDINATOR and Audience.of(None) is PUBLIC
    ordinary, anonymous, secret = complaint(), complaint(anonymous=True), complaint(confidential=True)
    assert own.may_see(anonymous) and own.may_see(secret) and not other.may_see(ordinary)
    # the OPD of a complaint not yet dispositioned is a guess: not the liaison's to see
    assert not own.may_see(complaint(status="terverifikasi", dispositioned_at=None))
    assert own.text(ordinary, ordinary.description) == ordinary.description
    assert own.text(anonymous, anonymous.description) == f"Saya {NAME}, hp {PHONE}"
    assert not own.may_hear(anonymous) and own.may_hear(ordinary) and not other.may_hear(ordinary)
    viewer = Audience.of(User("viewer"))
    assert viewer.may_see(ordinary) and not viewer.may_see(secret) and not viewer.sees_identity(ordinary)
    assert not PUBLIC.may_see(complaint(status="ditolak")) and not PUBLIC.may_see(complaint(status="draft", reference=None))
    assert not viewer.text_matches(ordinary, ["ahmad"]) and viewer.text_matches(ordinary, ["hp"])
    assert [public_count(n) for n in (0, 1, 2, 3, None)] == ["0", "< 3", "< 3", "3", "–"]
    assert public_share(1.0, 2) is None and public_share(0.5, 4) == 0.5


def test_issue_labels_take_no_names_and_no_single_reporter_words() -> None:
    from models.issues import issue_text, keywords

    texts = [issue_text("Jalan berlubang", "Nama saya Aminah, jalan berlubang kata budisantos, hp 081234567890", "Aminah"),
             issue_text("Jalan berlubang", "Jalan di desa berlubang dan rusak", None)]
    words = keywords(texts, limit=10)
    assert "jalan" in words and "berlubang" in words
    assert not {"aminah", "budisantos", "081234567890", "nama"} & set(words)


@pytest.mark.parametrize("text, expected", [
    # a letter's form fields, and introductions that are not "nama saya …"
    ("Nama: Suparmi. Alamat: Desa Ngasem.", f"Nama: {NAME}. Alamat: Desa Ngasem."),
    ("Nama lengkap : Siti Aminah", f"Nama lengkap : {NAME}"),
    ("Saya bernama Suparmi dari Ngasem", f"Saya bernama {NAME} dari Ngasem"),
    ("halo ini Bu Suparmi mau lapor", f"halo ini Bu {NAME} mau lapor"),
    ("ini bu suparmi mau lapor", f"ini bu {NAME} mau lapor"),
    ("Yang melapor Bu Suparmi, warga Ngasem", f"Yang melapor Bu {NAME}, warga Ngasem"),
    ("yang melapor pak bambang dari kanor", f"yang melapor pak {NAME} dari kanor"),
    ("saya bambang dari desa ngasem", f"saya {NAME} dari desa ngasem"),
    ("kulo bambang saking kanor", f"kulo {NAME} saking kanor"),
    # what is said about a name is not one
    ("kata pendamping nama saya dicoret.", "kata pendamping nama saya dicoret."),
    ("Tolong nama saya dirahasiakan.", "Tolong nama saya dirahasiakan."),
    ("nama saya tidak tercantum di DTKS", "nama saya tidak tercantum di DTKS"),
    ("nama saya kecoret dari daftar", "nama saya kecoret dari daftar"),
    # "ini pak" and "yang melapor" before what is not a name
    ("jalan ini pak rusak parah", "jalan ini pak rusak parah"),
    ("yang melapor banyak sekali", "yang melapor banyak sekali"),
])  # fmt: skip
def test_the_filter_knows_more_ways_of_giving_a_name(text: str, expected: str) -> None:
    assert BARE.redact(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Alamat: Dusun Krajan RT 01 RW 02 Desa Ngasem. Bantuan BPNT saya tidak cair.",
     f"Alamat: {ADDRESS}. Bantuan BPNT saya tidak cair."),
    ("alamat saya dusun krajan rt 01/rw 02, jalan di RT 03 rusak", f"alamat saya {ADDRESS}, jalan di RT 03 rusak"),
    ("rumah saya di depan masjid Al Ikhlas RT 02, lampu jalan mati", f"rumah saya di {ADDRESS}, lampu jalan mati"),
    ("jalan di RT 03 rusak, saya tinggal di RT 01 dusun krajan", f"jalan di RT 03 rusak, saya tinggal di {ADDRESS}"),
    ("saya pak slamet dari dusun krajan RT 02, jalan rusak", f"saya pak {NAME} dari {ADDRESS}, jalan rusak"),
    ("saya pak wagiman RT 01/RW 04 desa prayungan, rumah saya kebanjiran",
     f"saya pak {NAME} {ADDRESS}, rumah saya kebanjiran"),
    # the problem's place, a desa alone and a house in trouble are kept
    ("jalan di RT 03 rusak", "jalan di RT 03 rusak"),
    ("saya warga desa Ngasem, jalan di dusun Krajan RT 03 rusak", "saya warga desa Ngasem, jalan di dusun Krajan RT 03 rusak"),
    ("rumah saya kebanjiran sampai lutut", "rumah saya kebanjiran sampai lutut"),
    ("rumah saya di dekat sungai kebanjiran", f"rumah saya di {ADDRESS} kebanjiran"),
])  # fmt: skip
def test_the_filter_masks_a_home_said_as_the_reporters_own(text: str, expected: str) -> None:
    assert BARE.redact(text) == expected


def test_a_complaints_filter_keeps_what_its_text_says_of_the_reporter_after_the_name_is_cleared() -> None:
    """An anonymous reporter's name field is often cleared: the name and home said in the text still identify them,
    wherever the drafter copied them (the location detail, a later mention)."""
    from models.entities import Complaint
    from models.identity import filter_for

    said = "Nama: Suparmi. Alamat: Dusun Krajan RT 01/RW 02 Desa Ngasem. Bantuan BPNT saya tidak cair."
    complaint = Complaint(reporter_name=None, anonymous=True,
                          suggestions={"normalized_text": said, "reporter_name": "Bagus"})
    redact = filter_for(complaint).redact
    assert redact("Dusun Krajan, RT 01/RW 02") == ADDRESS
    assert redact("kata pendamping Suparmi tidak berhak, mas bagus juga") == f"kata pendamping {NAME} tidak berhak, mas {NAME} juga"
    assert redact("Jalan di RT 03 rusak") == "Jalan di RT 03 rusak"


def test_a_home_that_is_also_where_the_problem_is_stays_where_the_problem_is() -> None:
    from models.entities import Complaint
    from models.identity import filter_for

    said = "Jalan di dusun Krajan rusak parah, saya warga dusun Krajan RT 04."
    redact = filter_for(Complaint(suggestions={"normalized_text": said})).redact
    assert redact("Dusun Krajan") == "Dusun Krajan" and redact("RT 04") == ADDRESS
