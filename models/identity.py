"""The identity filter: a reporter's name, phone numbers, NIK and e-mail addresses found in any text and replaced.

One filter serves every output that must not identify a reporter (the visibility rules in
`models.visibility` decide who gets filtered text). It finds:
- the names recorded for the complaint (the reporter field, and each longer part of it);
- self-introductions, also when the name field is empty: "nama saya Bu Siti", "saya pak slamet dari …",
  "dengan Pak Slamet", "atas nama Ahmad", "Saya Ahmad, warga …";
- phone numbers written any way (0812-3456-7890, +62 812 3456 7890, (0353) 881234, 0812.3456.7890) or said
  ("nol delapan satu dua …", "plus enam dua delapan …"), and any other run of eight or more digits;
- NIK (16 digits, or a digit run after "NIK"/"KTP") and e-mail addresses (also "ahmad at gmail dot com").

Replacements are `[nama]`, `[telepon]`, `[NIK]` and `[email]`. Everything is regular expressions compiled
once; a 2,000-word transcript takes about a millisecond (tests/test_identity.py measures it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

NAME, PHONE, NIK, EMAIL = "[nama]", "[telepon]", "[NIK]", "[email]"
PLACEHOLDERS = (NAME, PHONE, NIK, EMAIL)
PLACEHOLDER_RE = re.compile(r"\[(?:nama|telepon|NIK|email)\]")

HONORIFICS = frozenset("pak bu bapak ibu mas mbak mbah cak ning kak bang sdr saudara saudari haji hj".split())
TITLES = frozenset(
    """bupati wakil camat kades lurah kepala rt rw sekdes carik kamituwo modin dokter dr bidan mantri perawat guru
    polisi kapolsek danramil babinsa kyai ustadz ustad direktur kadis sekda dewan anggota dinas pemerintah pemkab
    puskesmas rsud desa kecamatan kabupaten pln pdam bpjs""".split()
)
"""Words after an introduction that name an office or an institution, not the reporter."""
STOP = frozenset(
    """dari di ke warga asal mau ingin tinggal alamat dan yang rt rw desa dusun kecamatan nomor no mohon ini itu
    lapor melapor melaporkan menyampaikan sudah akan ya nggih sebagai selaku mengadu minta adalah ialah bernama
    sendiri juga cuma hanya telepon nelpon menelepon bilang tanya bertanya bu pak""".split()
)
"""Words that end a name."""
COMMON_ZIPF = 5.0
"""A lowercase word after a bare "saya" is taken for a name only when rarer than this in Indonesian (wordfreq):
names score 3.3-4.9 ("sutrisno", "ahmad"), the words that follow "saya" in speech 5.5-6.6 ("mau", "sudah")."""
CAPITAL_ZIPF = 5.3
"""The same test for a capitalised word after a bare "saya"/"dengan" (capitals are weaker evidence in
recognised speech than in typed text)."""

_WORD = r"[A-Za-z][A-Za-z'\-]*"
_INTRO_STRONG = r"nama\s+(?:saya|kulo|kula|aku|pelapor)(?:\s+(?:adalah|ialah))?\s*:?|atas\s+nama|a\.\s?n\.|bernama|namaku"
_INTRO_WEAK = r"saya|kulo|kula|aku|dengan"
INTRO_RE = re.compile(
    rf"\b(?:(?P<strong>{_INTRO_STRONG})|(?P<weak>{_INTRO_WEAK}))\s+(?P<hon>(?:{'|'.join(sorted(HONORIFICS))})\.?\s+)?"
    rf"(?P<name>{_WORD}(?:\s+{_WORD}){{0,2}})",
    re.IGNORECASE,
)

_CUE_RE = re.compile(r"(?:,|dari\b|warga\b|asal\b|tinggal\b|di\b|rt\b|alamat\b|selaku\b|mau\b|ingin\b)", re.IGNORECASE)
"""What follows a bare "saya <name>": where the caller is from, or what they want."""

_DIGIT_WORDS = (
    "nol kosong satu dua tiga empat lima enam tujuh delapan sembilan"  # Indonesian
    " nul null tuju tutu lapan sembilang"  # as recognizers mishear them
    " siji loro telu papat limo enem pitu wolu songo"  # Javanese, as callers in Bojonegoro count
).split()
_MULTIPLIERS = {"puluh": 1, "belas": 1, "ratus": 2, "sepuluh": 2, "sebelas": 2, "seratus": 3}
_NUMERIC = {word: 1 for word in _DIGIT_WORDS} | _MULTIPLIERS
"""Digits each number word stands for (an estimate for spoken tens and hundreds)."""
_TOKEN_RE = re.compile(r"\d+|[A-Za-z]+|\+")
_GAP_RE = re.compile(r"[\s.\-/(),]*(?:\s(?:strip|setrip)\s)?[\s.\-/(),]*\Z", re.IGNORECASE)
_DATE_RE = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|(?:19|20)\d\d\s*[-/]\s*(?:19|20)\d\d")
"""Dates and year ranges, which are not identity."""
_MONEY_BEFORE = re.compile(r"(?:rp\.?|rupiah|idr)\s*$", re.IGNORECASE)
_MONEY_AFTER = re.compile(r"\s*(?:rupiah|ribu|juta|rb|jt|,-)", re.IGNORECASE)
_NIK_BEFORE = re.compile(r"\b(?:nik|ktp|nomor induk(?: kependudukan)?|kk|kartu keluarga)\b[\s:.]*(?:saya\s+)?$", re.IGNORECASE)
EMAIL_RE = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
SPOKEN_EMAIL_RE = re.compile(
    r"[\w.]+\s+(?:at|et|add)\s+\w+\s+(?:dot|titik)\s+(?:com|co\s+(?:dot|titik)\s+id|id|net|org)\b", re.IGNORECASE
)
_SPOKEN_EMAIL_CUE = re.compile(r"\s(?:dot|titik)\s", re.IGNORECASE)
MIN_DIGITS = 6
"""A run of at least this many digits (written or said) is (part of) a phone number, NIK or account number, never
shown: a recognizer often hears only part of a number ("5 tuju, 123456"), and six digits in order narrow a phone
number down to a handful of people."""
MIN_DIGITS_SPOKEN_TENS = 8
"""With tens or hundreds said ("tiga ratus dua puluh lima" counts 6), a run must stand for more to be a number."""
MAX_AMOUNT_DIGITS = 10
"""Beside "Rp" or "rupiah" a run is an amount and kept, unless it has this many digits and is not written in
thousands ("Rp 1.500.000.000" stays; "Rp081234567890" is a phone number behind a typo)."""
_AMOUNT_RE = re.compile(r"\d{1,3}(?:[.,]\d{3})+(?:,\d{1,2})?")


def number_runs(text: str) -> list[tuple[int, int, int]]:
    """(start, end, digits) of each run of written or spoken number tokens ("0812-3456", "nol delapan satu …",
    "plus enam dua …") joined by spaces, dots, dashes, slashes, commas or brackets. A scan of tokens: about twice
    as fast as one regular expression over the text."""
    runs: list[tuple[int, int, int]] = []
    start = end = -1
    digits = 0
    for match in _TOKEN_RE.finditer(text):
        token = match.group()
        n = len(token) if token[0].isdigit() else _NUMERIC.get(token.lower(), -1 if token.lower() in ("plus", "+") else 0)
        if n > 0 and start >= 0 and _GAP_RE.match(text, end, match.start()):
            digits += n
            end = match.end()
            continue
        if digits:
            runs.append(_bracketed(text, start, end, digits))
        start, end, digits = (match.start(), match.end(), max(n, 0)) if n else (-1, -1, 0)
    if digits:
        runs.append(_bracketed(text, start, end, digits))
    return runs


def _bracketed(text: str, start: int, end: int, digits: int) -> tuple[int, int, int]:
    """A run with the bracket of an area code around its start ("(0353) 881234") taken in; a bracket around the
    whole number ("(0857 1234 5678)") is left to the text."""
    if start > 0 and text[start - 1] == "(" and ")" in text[start:end]:
        start -= 1
    return start, end, digits


@lru_cache(maxsize=65536)
def word_zipf(word: str) -> float:
    """How common a (lowercase) word is in Indonesian, on wordfreq's Zipf scale (0 for unknown words)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "id")


def _name_words(match: re.Match[str], text: str) -> list[str]:
    """The words of a self-introduction that are the name, or [] when what follows is not a name."""
    words = match.group("name").split()
    strong = match.group("strong") is not None or match.group("hon") is not None
    name: list[str] = []
    for word in words:
        low = word.lower()
        if low in STOP or low in TITLES or low in HONORIFICS:
            break
        capital = word[:1].isupper() and not word.isupper()
        if name and not (capital or (word_zipf(low) < COMMON_ZIPF and (strong or not name[0][:1].isupper()))):
            break
        name.append(word)
    if not name or strong:
        return name
    # a bare "saya"/"dengan": a capitalised rare word, or rare words followed by where the caller is from
    first = name[0]
    if first[:1].isupper() and not first.isupper():
        return name if word_zipf(first.lower()) < CAPITAL_ZIPF else []
    if match.group("weak").lower() == "dengan":
        return []
    while name and word_zipf(name[-1].lower()) >= COMMON_ZIPF:
        name.pop()
    if not name or any(word_zipf(w.lower()) >= COMMON_ZIPF for w in name):
        return []
    after = text[match.start("name") + len(" ".join(match.group("name").split()[: len(name)])):]
    return name if _CUE_RE.match(after.lstrip()) else []


def introduced_names(text: str) -> list[str]:
    """Names the speaker gives for themself in `text` ("nama saya Bu Siti Aminah" -> ["Siti Aminah"])."""
    names: list[str] = []
    for match in INTRO_RE.finditer(text):
        words = _name_words(match, text)
        if words:
            names.append(" ".join(words))
    return names


def _name_variants(names: Iterable[str]) -> list[str]:
    out: set[str] = set()
    for name in names:
        words = [w for w in re.findall(_WORD, name or "") if w.lower() not in HONORIFICS]
        if not words:
            continue
        out.add(" ".join(words))
        out.update(w for w in words if len(w) >= 3 and w.lower() not in STOP)
    return sorted(out, key=len, reverse=True)


@dataclass(frozen=True)
class IdentityFilter:
    """Replaces identity in text: the `names` given (and each longer part), introductions, numbers, e-mail."""

    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        variants = _name_variants(self.names)
        pattern = re.compile(r"\b(?:" + "|".join(re.escape(v) for v in variants) + r")\b", re.IGNORECASE) if variants else None
        object.__setattr__(self, "_names_re", pattern)

    def redact(self, text: str | None) -> str:
        """`text` with every identity part replaced by its placeholder."""
        if not text:
            return text or ""
        if "@" in text:
            text = EMAIL_RE.sub(EMAIL, text)
        if _SPOKEN_EMAIL_CUE.search(text):
            text = SPOKEN_EMAIL_RE.sub(EMAIL, text)
        for start, end, digits in reversed(number_runs(text)):
            text = text[:start] + self._number(text, start, end, digits) + text[end:]
        for match in reversed(list(INTRO_RE.finditer(text))):
            words = _name_words(match, text)
            if words:
                start = match.start("name")
                end = start + [m.end() for m in re.finditer(r"\S+", match.group("name"))][len(words) - 1]
                text = text[:start] + NAME + text[end:]
        if self._names_re is not None:  # type: ignore[attr-defined]
            text = self._names_re.sub(NAME, text)  # type: ignore[attr-defined]
        return text

    @staticmethod
    def _number(text: str, start: int, end: int, digits: int) -> str:
        """The placeholder for the number run text[start:end], or the run itself (short, a date, money)."""
        run = text[start:end]
        spoken_tens = any(word.lower() in _MULTIPLIERS for word in re.findall(r"[A-Za-z]+", run))
        if digits < (MIN_DIGITS_SPOKEN_TENS if spoken_tens else MIN_DIGITS) or _DATE_RE.fullmatch(run.strip("() ")):
            return run
        before = text[max(0, start - 30):start]
        money = _MONEY_BEFORE.search(before) or _MONEY_AFTER.match(text, end)
        if money and (digits < MAX_AMOUNT_DIGITS or _AMOUNT_RE.fullmatch(run.strip())):
            return run
        bare = re.sub(r"\D", "", run)
        if _NIK_BEFORE.search(before) or (len(bare) == 16 and digits == 16 and not bare.startswith(("08", "628"))):
            return NIK
        return PHONE


def filter_for(complaint: Any) -> IdentityFilter:
    """The filter for one complaint: its recorded reporter name and the names the drafter suggested."""
    names = [complaint.reporter_name or ""]
    suggested = (complaint.suggestions or {}).get("reporter_name") if isinstance(complaint.suggestions, dict) else None
    if isinstance(suggested, str):
        names.append(suggested)
    return IdentityFilter(tuple(n for n in names if n.strip()))


def anonymised(text: str, names: Iterable[str | None] = ()) -> str:
    """`text` with identity removed altogether (no placeholders): for statistics over words, such as issue labels."""
    return strip_placeholders(IdentityFilter(tuple(n for n in names if n)).redact(text))


def strip_placeholders(text: str) -> str:
    """Text without the placeholders (for statistics over words: a placeholder is not a word of the problem)."""
    return PLACEHOLDER_RE.sub(" ", text)
