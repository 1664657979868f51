"""Names and descriptions drafted from spoken-style transcripts written by us (recognizer-style lower case,
greetings, honorifics, Javanese forms, numbers as words): tests/data/spoken_reports.jsonl, which the rules
were developed on, and spoken_reports_heldout.jsonl, written afterwards.

Run `python -m tests.test_drafting_spoken` for the figures and the misses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from transcribe.drafting import Drafter

SET = Path(__file__).parent / "data" / "spoken_reports.jsonl"
HELD_OUT = Path(__file__).parent / "data" / "spoken_reports_heldout.jsonl"
"""Written after the drafter's rules were settled and never used to change them."""
NOT_IN_DESCRIPTION = re.compile(
    r"\b(selamat (pagi|siang|sore|malam)|assalamu|halo|permisi|sugeng|perkenalkan|nama saya|atas nama|wassalam|"
    r"terima kasih|(saya|dengan) (pak|bu|mas|mbak|bapak|ibu)|eee|nggih|niku|kulo)\b", re.I)
"""Greetings, self-introductions and fillers: none belongs in what the agency reads."""


@dataclass(frozen=True)
class Figures:
    reports: int
    names_right: int
    descriptions_clean: int
    misses: list[str]

    @property
    def name_rate(self) -> float:
        return self.names_right / self.reports

    @property
    def clean_rate(self) -> float:
        return self.descriptions_clean / self.reports


def description_problem(description: str, name: str | None, keep: list[str]) -> str | None:
    """Why a description is not what an agency should read, or None."""
    if NOT_IN_DESCRIPTION.search(description):
        return f"greeting/introduction: {NOT_IN_DESCRIPTION.search(description).group(0)!r}"
    if name and any(re.search(rf"\b{re.escape(w)}\b", description, re.I) for w in name.split()):
        return "the caller's name"
    missing = [w for w in keep if w.lower() not in description.lower()]
    if missing:
        return f"lost {missing}"
    if not description[:1].isupper() or not description.endswith("."):
        return "not a sentence"
    return None


def measure(drafter: Drafter, path: Path = SET) -> Figures:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    names = clean = 0
    misses = []
    for row in rows:
        draft = drafter.draft(row["text"])
        if draft.reporter_name == row["name"]:
            names += 1
        else:
            misses.append(f"{row['id']} name {draft.reporter_name!r} != {row['name']!r}")
        problem = description_problem(draft.description, row["name"], row["keep"])
        if problem is None:
            clean += 1
        else:
            misses.append(f"{row['id']} description {problem}: {draft.description!r}")
    return Figures(len(rows), names, clean, misses)


@pytest.fixture(scope="module")
def figures() -> Figures:
    return measure(Drafter())


def test_the_set_is_big_enough(figures: Figures) -> None:
    assert figures.reports >= 60


def test_held_out_reports_are_drafted_as_well() -> None:
    held_out = measure(Drafter(), HELD_OUT)
    assert held_out.name_rate >= 0.9 and held_out.clean_rate >= 0.9, held_out.misses


def test_names_after_honorifics_are_found(figures: Figures) -> None:
    assert figures.name_rate >= 0.9, figures.misses


def test_descriptions_are_free_of_greetings_and_introductions(figures: Figures) -> None:
    assert figures.clean_rate >= 0.95, figures.misses


@pytest.mark.parametrize(("text", "description"), [
    ("Selamat pagi, nama saya Slamet. mau melalui jalan di desa kamirusak, perah sekali", None),
    ("saya pak slamet dari desa kalitidu mau lapor jalan di desa kali tidu rusak parah sejak dua puluh hari",
     "Jalan di Desa Kalitidu rusak parah sejak 20 hari."),
    ("halo dengan bu sri, di dusun krajan rt tiga air pdam mati. terima kasih", "Di Dusun Krajan RT 03 air PDAM mati."),
    ("warga sudah lapor ke desa tapi jalan tetap rusak", "Warga sudah lapor ke desa tapi jalan tetap rusak."),  # verb kept mid-clause
])
def test_description_examples(text: str, description: str | None) -> None:
    drafted = Drafter().draft(text)
    assert not NOT_IN_DESCRIPTION.search(drafted.description) and "Slamet" not in drafted.description
    if description:
        assert drafted.description == description


@pytest.mark.parametrize("text", ["dengan pak kades sudah bicara tapi lampu jalan tetap mati", "saya sudah lapor ke bu bidan"])
def test_an_office_is_not_a_name(text: str) -> None:
    assert Drafter().draft(text).reporter_name is None


if __name__ == "__main__":
    drafter = Drafter()
    for path in (SET, HELD_OUT):
        result = measure(drafter, path)
        print(f"{path.name}: {result.reports} reports: names {result.names_right}/{result.reports} ({result.name_rate:.1%}), "
              f"descriptions clean {result.descriptions_clean}/{result.reports} ({result.clean_rate:.1%})")
        print("\n".join(result.misses))
