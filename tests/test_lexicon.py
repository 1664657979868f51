"""Spelling repair of recognised Indonesian (transcribe/lexicon.py)."""

from __future__ import annotations

import pytest

from transcribe.lexicon import Lexicon, load_lexicon


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon()


@pytest.mark.parametrize(
    ("heard", "said"),
    [
        ("atif", "aktif"),
        ("hatap", "harap"),
        ("masyarakt", "masyarakat"),
        ("perbaikin", "perbaikan"),
        ("jalan", "jalan"),  # frequent words stay
        ("puskesmas", "puskesmas"),
        ("kalitidu", "kalitidu"),  # a place of Bojonegoro is right as it is
        ("ngumpakdalem", "ngumpakdalem"),
        ("rt", "rt"),  # too short to judge
    ],
)
def test_repair_word(lexicon: Lexicon, heard: str, said: str) -> None:
    assert lexicon.repair_word(heard) == said


def test_repair_keeps_names_punctuation_and_case(lexicon: Lexicon) -> None:
    text = "Hatap dibantu, jalan di Kali Tidu rusak, BPJS atif. Atif sekarang?"
    assert lexicon.repair(text) == "Harap dibantu, jalan di Kali Tidu rusak, BPJS aktif. Aktif sekarang?"
    assert lexicon.repair("") == ""
    assert lexicon.repair("nomor 0812 3456 rt 03") == "nomor 0812 3456 rt 03"


def test_repair_is_deterministic_and_cached(lexicon: Lexicon) -> None:
    words = ["pencailan", "makrakat", "ternyakan", "mandir", "xqzvw"]
    first = [lexicon.repair_word(w) for w in words]
    assert first == [lexicon.repair_word(w) for w in words]
    assert lexicon.repair_word("xqzvw") == "xqzvw"  # nothing near: left as heard
