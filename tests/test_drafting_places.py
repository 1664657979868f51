"""Place matching against the Bojonegoro gazetteer: splits, misspellings, ambiguous desa names."""

from __future__ import annotations

import json

import pytest

from transcribe.drafting.gazetteer import Gazetteer
from transcribe.drafting.normalize import normalize
from transcribe.drafting.router import data_path


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def test_gazetteer_size(gazetteer: Gazetteer) -> None:
    assert len(gazetteer.desas) == 430
    assert len(gazetteer.kecamatan) == 28


@pytest.mark.parametrize(("text", "kecamatan", "desa"), [
    ("jalan rusak di desa sumengko kecamatan kali tidu", "Kalitidu", "Sumengko"),
    ("saya dari ngumpak dalem mas", "Dander", "Ngumpakdalem"),
    ("desa kedung adem", "Kedungadem", "Kedungadem"),
    ("di desa Ledok Kulon kecamatan Bojonegoro", "Bojonegoro", "Ledok Kulon"),
    ("warga desa poerwoasri kecamatan sukosewu", "Sukosewu", "Purwoasri"),
    ("kulo saking desa sumberrejo kecamatan sumber rejo", "Sumberrejo", "Sumberrejo"),
    ("di kecamatan dander jalannya rusak", "Dander", None),
    ("lapor pak, di kecamatan temayang listrik padam", "Temayang", None),
    # ambiguous desa names resolved by the kecamatan said
    ("desa Sugihwaras kecamatan Kepohbaru", "Kepohbaru", "Sugihwaras"),
    ("desa sugihwaras kec ngraho", "Ngraho", "Sugihwaras"),
    ("desa bareng kecamatan sekar", "Sekar", "Bareng"),
    ("di desa sukorejo kecamatan bojonegoro banjir", "Bojonegoro", "Sukorejo"),
    # a short misheard kecamatan right after the cue; a kecamatan right after a desa
    ("di kecamatan ngrao niku pupuke langka pak", "Ngraho", None),
    ("desa simo rejo kecamatan kanur, lampu jalan padam", "Kanor", "Simorejo"),
    ("desa sendang rejo, dander, irigasi kering", "Dander", "Sendangrejo"),
    # no place at all; ordinary words that are also desa names
    ("jalan rusak sudah lama sekali", None, None),
    ("kami bareng-bareng kerja bakti di pojok gang", None, None),
    ("kunci pintu balai rusak", None, None),
])
def test_locate(gazetteer: Gazetteer, text: str, kecamatan: str | None, desa: str | None) -> None:
    place = gazetteer.locate(normalize(text).text)
    assert (place.kecamatan, place.desa) == (kecamatan, desa)


def test_ambiguous_desa_without_kecamatan_has_low_confidence(gazetteer: Gazetteer) -> None:
    place = gazetteer.locate("saya warga desa sugihwaras mau lapor")
    assert place.desa == "Sugihwaras"
    assert place.desa_confidence <= 0.5
    assert len([c for c in place.candidates if c.label == "Sugihwaras"]) == 3


def test_ambiguous_desa_uses_callers_context(gazetteer: Gazetteer) -> None:
    kepohbaru = gazetteer.kecamatan["kepohbaru"][0]
    place = gazetteer.locate("saya warga desa sugihwaras mau lapor", context_kecamatan_code=kepohbaru)
    assert place.kecamatan == "Kepohbaru"
    assert place.desa_confidence > 0.5


@pytest.mark.parametrize(("text", "dusun", "rt", "rw", "landmark"), [
    ("di dusun Krajan desa Sumengko RT 03 RW 05", "Krajan", "03", "05", None),
    ("dukuh sawin erte dua erwe satu depan SDN 1 Sumengko", "Sawin", "02", "01", "depan SDN 1 Sumengko"),
    ("jalan rusak dekat jembatan kali Gandong sudah lama", None, None, None, "dekat jembatan kali Gandong"),
    # "dusun" as part of an office or followed by a function word names no dusun
    ("Saya Pak Warsito, kepala dusun di desa Sumberrejo minta uang", None, None, None, None),
    ("kepala dusun ke rumah saya minta uang", None, None, None, None),
    ("jalan dusun yang rusak sudah lama", None, None, None, None),
    ("kepala dusun Krajan minta uang", "Krajan", None, None, None),
])
def test_dusun_rt_rw_landmark(gazetteer: Gazetteer, text: str, dusun: str | None, rt: str | None, rw: str | None,
                              landmark: str | None) -> None:
    place = gazetteer.locate(normalize(text).text)
    assert (place.dusun, place.rt, place.rw, place.landmark) == (dusun, rt, rw, landmark)


@pytest.mark.parametrize("name", ["place_test.jsonl", "place_test_handwritten.jsonl"])
def test_place_test_set_accuracy(gazetteer: Gazetteer, name: str) -> None:
    rows = [json.loads(line) for line in data_path(name).read_text(encoding="utf-8").splitlines() if line]
    assert len(rows) >= 100
    assert len({r["kecamatan"] for r in rows if "kecamatan_any" not in r} - {None}) == 28
    kec = desa = 0
    for row in rows:
        place = gazetteer.locate(normalize(row["text"]).text)
        # a desa name shared by several kecamatan, said alone: any of them is right
        kec += place.kecamatan in row.get("kecamatan_any", [row["kecamatan"]])
        desa += place.desa_code in row.get("desa_codes_any", [row["desa_code"]])
    assert kec / len(rows) >= 0.95
    assert desa / len(rows) >= 0.90
