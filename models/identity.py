"""The identity filter: a reporter's name, home, phone numbers, NIK and e-mail addresses found in any text and replaced.

One filter serves every output that must not identify a reporter (the visibility rules in
`models.visibility` decide who gets filtered text). It finds:
- the names recorded for the complaint (the reporter field, and each longer part of it), and for a complaint
  also the names and home its own text gives, so that they stay masked when the name field was cleared;
- self-introductions, also when the name field is empty: "nama saya Bu Siti", "saya pak slamet dari …",
  "dengan Pak Slamet", "atas nama Ahmad", "Saya Ahmad, warga …", "Nama: Suparmi", "saya bernama …",
  "ini Bu Siti", "yang melapor Pak Slamet"; what is said about a name ("nama saya dicoret") is not one;
- a home said as the reporter's own ("Alamat: Dusun Krajan RT 01/RW 02", "rumah saya di depan masjid …",
  "saya tinggal di RT 01", "saya pak Slamet dari dusun Krajan RT 02") when it narrows down to a few houses
  (a dusun, RT, RW, street, house number or landmark: `models.address`); a desa alone is where the complaint is;
- phone numbers written any way (0812-3456-7890, +62 812 3456 7890, (0353) 881234, 0812.3456.7890) or said
  ("nol delapan satu dua …", "plus enam dua delapan …"), and any other run of eight or more digits;
- NIK (16 digits, or a digit run after "NIK"/"KTP") and e-mail addresses (also "ahmad at gmail dot com").

Replacements are `[nama]`, `[alamat]`, `[telepon]`, `[NIK]` and `[email]`. Everything is regular expressions compiled
once; a 2,000-word transcript takes about a millisecond (tests/test_identity.py measures it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from models.address import address_run, fine_parts
from models.words import verb_form, word_zipf

NAME, PHONE, NIK, EMAIL, ADDRESS = "[nama]", "[telepon]", "[NIK]", "[email]", "[alamat]"
PLACEHOLDERS = (NAME, PHONE, NIK, EMAIL, ADDRESS)
PLACEHOLDER_RE = re.compile(r"\[(?:nama|telepon|NIK|email|alamat)\]")

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
    sendiri juga cuma hanya telepon nelpon menelepon bilang tanya bertanya bu pak saking asli""".split()
)
"""Words that end a name."""
NOT_A_NAME = frozenset(
    """tidak tak gak nggak enggak ndak ora mboten belum sudah salah hilang kosong ganda dobel sama beda berbeda masuk
    keluar ada rahasia rahasiakan jangan tolong mohon minta dicatut""".split()
)
"""Words said about a name in the place of one ("nama saya tidak ada", "nama saya dobel"), besides verbs made
from a known root ("dicoret", "dirahasiakan", "terdaftar": `models.words.verb_form`)."""
COMMON_ZIPF = 5.0
"""A lowercase word after a bare "saya" is taken for a name only when rarer than this in Indonesian (wordfreq):
names score 3.3-4.9 ("sutrisno", "ahmad"), the words that follow "saya" in speech 5.5-6.6 ("mau", "sudah")."""
CAPITAL_ZIPF = 5.3
"""The same test for a capitalised word after a bare "saya"/"dengan" (capitals are weaker evidence in
recognised speech than in typed text)."""

_WORD = r"[A-Za-z][A-Za-z'\-]*"
_INTRO_STRONG = (
    r"nama\s+(?:lengkap\s+)?(?:saya|kulo|kula|aku|pelapor)(?:\s+(?:adalah|ialah))?\s*:?|nama(?:\s+lengkap)?\s*:"
    r"|pelapor\s*:|atas\s+nama|a\.\s?n\.|bernama|namaku"
)
_INTRO_REPORTER = r"yang\s+melapor(?:kan)?(?:\s+(?:adalah|ialah|ini))?\s*:?"
"""Who is reporting, said of oneself: with a form of address a name follows; without, only a name-like word."""
_INTRO_WEAK = r"saya|kulo|kula|aku|dengan"
_INTRO_VOCATIVE = r"ini"
""""ini Bu Siti": only with a form of address ("jalan ini pak, rusak" is no introduction)."""
INTRO_RE = re.compile(
    # the lookahead lists the cues' first letters: the engine passes every other position at once (2x faster)
    rf"(?=[npabyskdi])\b(?:(?P<strong>{_INTRO_STRONG})|(?P<reporter>{_INTRO_REPORTER})|(?P<weak>{_INTRO_WEAK})|(?P<vocative>{_INTRO_VOCATIVE}))"
    rf"\s+(?P<hon>(?:{'|'.join(sorted(HONORIFICS))})\.?\s+)?(?P<name>{_WORD}(?:\s+{_WORD}){{0,2}})",
    re.IGNORECASE,
)

_CUE_RE = re.compile(
    r"(?:,|dari\b|warga\b|asal\b|asli\b|saking\b|tinggal\b|di\b|rt\b|alamat\b|selaku\b|mau\b|ingin\b)", re.IGNORECASE
)
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


def is_name_word(word: str) -> bool:
    """Whether `word` may be (part of) a name after an introduction: not a word that ends one, not an office, not
    what is said about a name."""
    low = word.lower()
    return not (low in STOP or low in TITLES or low in HONORIFICS or low in NOT_A_NAME or verb_form(low))


def _name_words(match: re.Match[str], text: str) -> list[str]:
    """The words of a self-introduction that are the name, or [] when what follows is not a name."""
    words = match.group("name").split()
    addressed = match.group("hon") is not None
    if match.group("vocative") is not None and not addressed:
        return []
    strong = match.group("strong") is not None or (addressed and match.group("vocative") is None)
    name: list[str] = []
    for word in words:
        low = word.lower()
        if not is_name_word(word):
            break
        capital = word[:1].isupper() and not word.isupper()
        if name and not (capital or (word_zipf(low) < COMMON_ZIPF and (strong or not name[0][:1].isupper()))):
            break
        name.append(word)
    if not name or strong:
        return name
    # a bare "saya"/"dengan"/"yang melapor", or "ini Bu …": a capitalised rare word, or rare words followed by
    # where the caller is from
    first = name[0]
    if first[:1].isupper() and not first.isupper():
        return name if word_zipf(first.lower()) < CAPITAL_ZIPF else []
    if (match.group("weak") or "").lower() == "dengan":
        return []
    while name and word_zipf(name[-1].lower()) >= COMMON_ZIPF:
        name.pop()
    if not name or any(word_zipf(w.lower()) >= COMMON_ZIPF for w in name):
        return []
    after = text[match.start("name") + len(" ".join(match.group("name").split()[: len(name)])):]
    return name if _CUE_RE.match(after.lstrip()) else []


def _introductions(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """(start, end, words) of each name a speaker gives for themself. A cue that introduces no name is passed,
    not skipped with what follows it ("saya bernama Siti": "saya" gives none, "bernama" gives Siti)."""
    at = 0
    while (match := INTRO_RE.search(text, at)) is not None:
        words = _name_words(match, text)
        if not words:
            at = match.start("hon") if match.group("hon") else match.start("name")
            continue
        start = match.start("name")
        end = start + [m.end() for m in re.finditer(r"\S+", match.group("name"))][len(words) - 1]
        yield start, end, words
        at = end


def introduced_names(text: str) -> list[str]:
    """Names the speaker gives for themself in `text` ("nama saya Bu Siti Aminah" -> ["Siti Aminah"])."""
    return [" ".join(words) for _, _, words in _introductions(text)]


_HOME_CUE_RE = re.compile(
    r"(?=[arogsktd])\b(?:alamat(?:\s+(?:saya|kami|kulo|pelapor|lengkap|rumah(?:\s+saya)?))?\s*:?"
    r"|(?:rumah|omah|griya)\s+(?:saya|kami|kulo|kula|aku)(?:\s+(?:ada|berada|yang))?(?:\s+(?:di|ning|teng|ing))?"
    r"|(?:saya|kami|kulo|kula|aku)\s+(?:(?:ber)?tempat\s+tinggal|tinggal|berdomisili|domisili|beralamat|warga|dari|asal|asli"
    r"|saking)(?:\s+(?:di|ning|teng|ing))?"
    r"|tempat\s+tinggal(?:\s+saya)?\s*:?|domisili\s*:?)\s*",
    re.IGNORECASE,
)
"""What says that the place after it is the speaker's home."""
_AFTER_NAME_RE = re.compile(r"\s*,?\s*(?:(?:dari|warga|asal|asli|saking|yang\s+tinggal\s+di|tinggal\s+di)\s+)?", re.IGNORECASE)
"""Between a self-introduction's name and the home said with it ("saya pak Slamet, dari dusun Krajan RT 02")."""


def home_spans(text: str, introductions: Iterable[tuple[int, int, list[str]]] | None = None) -> list[tuple[int, int]]:
    """(start, end) of each home said as the speaker's own that narrows down to a few houses; `introductions`
    are those of `text` when already found."""
    starts = [cue.end() for cue in _HOME_CUE_RE.finditer(text)]
    found = _introductions(text) if introductions is None else introductions
    starts += [_AFTER_NAME_RE.match(text, end).end() for _, end, _ in found]
    spans: list[tuple[int, int]] = []
    for start in sorted(set(starts)):
        end, fine = address_run(text, start)
        if fine and not (spans and start < spans[-1][1]):
            spans.append((start, end))
    return spans


_RT_RW_RE = re.compile(r"\b(RT|RW|erte|erwe)\b\.?\s*0*(\d{1,3})\b", re.IGNORECASE)
_MERGED_ADDRESS_RE = re.compile(r"\[alamat\](?:[\s,/]*\[alamat\])+")


def _home_parts(texts: Iterable[str]) -> dict[str, str]:
    """Key -> pattern of each fine part said in `texts`, as it is written anywhere else ("RT 01" also as "RT 1";
    "RT 01/RW 02" is two parts)."""
    out: dict[str, str] = {}
    for text in texts:
        for part in fine_parts(text or ""):
            numbers = _RT_RW_RE.findall(part)
            for kind, n in numbers:
                kind = "RT" if kind.lower() in ("rt", "erte") else "RW"
                out[f"{kind} {int(n)}"] = rf"{kind}\.?\s*0*{int(n)}"
            if not numbers:
                out[" ".join(part.lower().split())] = r"\s+".join(re.escape(w) for w in part.split())
    return out


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
    """Replaces identity in text: the `names` given (and each longer part), the fine parts of the `homes` given
    (but those also said as where the problem is, in `problem_places`), introductions and homes said as one's own,
    numbers, e-mail."""

    names: tuple[str, ...] = ()
    homes: tuple[str, ...] = ()
    problem_places: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        variants = _name_variants(self.names)
        pattern = re.compile(r"\b(?:" + "|".join(re.escape(v) for v in variants) + r")\b", re.IGNORECASE) if variants else None
        object.__setattr__(self, "_names_re", pattern)
        kept = _home_parts(self.problem_places)
        places = sorted((p for key, p in _home_parts(self.homes).items() if key not in kept), key=len, reverse=True)
        pattern = re.compile(r"\b(?:" + "|".join(places) + r")\b", re.IGNORECASE) if places else None
        object.__setattr__(self, "_homes_re", pattern)

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
        introductions = list(_introductions(text))
        spans = [(start, end, NAME) for start, end, _ in introductions]
        spans += [(start, end, ADDRESS) for start, end in home_spans(text, introductions)]
        for start, end, placeholder in sorted(spans, reverse=True):
            text = text[:start] + placeholder + text[end:]
        if self._names_re is not None:  # type: ignore[attr-defined]
            text = self._names_re.sub(NAME, text)  # type: ignore[attr-defined]
        if self._homes_re is not None:  # type: ignore[attr-defined]
            text = self._homes_re.sub(ADDRESS, text)  # type: ignore[attr-defined]
        if ADDRESS in text:
            text = _MERGED_ADDRESS_RE.sub(ADDRESS, text)
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
    """The filter for one complaint: its recorded reporter name, the name the drafter suggested, and the names and
    home that its drafted text and its description give (an anonymous reporter's name field is often cleared, and
    the drafter copies a home into the location detail, away from the words that say it is the reporter's)."""
    suggestions = complaint.suggestions if isinstance(complaint.suggestions, dict) else {}
    suggested, drafted = suggestions.get("reporter_name"), suggestions.get("normalized_text")
    return _complaint_filter(complaint.reporter_name or "", suggested if isinstance(suggested, str) else "",
                             drafted if isinstance(drafted, str) else "", complaint.description or "")


@lru_cache(maxsize=1024)
def _complaint_filter(recorded: str, suggested: str, *said: str) -> IdentityFilter:
    """One filter per complaint and text: a list page asks for each row's texts, and reading the texts costs more
    than filtering one."""
    names = [recorded, suggested, *(name for text in said for name in introduced_names(text))]
    homes: list[str] = []
    elsewhere: list[str] = []
    for text in said:
        at = 0
        for start, end in home_spans(text):
            homes.append(text[start:end])
            elsewhere.append(text[at:start])
            at = end
        elsewhere.append(text[at:])
    return IdentityFilter(tuple(n for n in names if n.strip()), tuple(homes), tuple(elsewhere))


def anonymised(text: str, names: Iterable[str | None] = ()) -> str:
    """`text` with identity removed altogether (no placeholders): for statistics over words, such as issue labels."""
    return strip_placeholders(IdentityFilter(tuple(n for n in names if n)).redact(text))


def strip_placeholders(text: str) -> str:
    """Text without the placeholders (for statistics over words: a placeholder is not a word of the problem)."""
    return PLACEHOLDER_RE.sub(" ", text)
