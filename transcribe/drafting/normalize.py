"""Normalisation of spoken Indonesian as recognizers write it: numbers, phone digits, RT/RW, dates, fillers."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

UNITS = {
    "nol": 0, "kosong": 0, "satu": 1, "se": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5,
    "enam": 6, "tujuh": 7, "delapan": 8, "lapan": 8, "sembilan": 9,
}
"""Single-digit words (Indonesian; "kosong" is how callers say 0 in phone numbers)."""
JAVANESE_UNITS = {"siji": 1, "loro": 2, "telu": 3, "papat": 4, "limo": 5, "enem": 6, "pitu": 7, "wolu": 8, "songo": 9}
TEENS = {"sepuluh": 10, "sebelas": 11}
SCALES = {"puluh": 10, "belas": None, "ratus": 100, "ribu": 1000, "juta": 1_000_000, "miliar": 1_000_000_000}
SE_SCALES = {"seratus": 100, "seribu": 1000, "sejuta": 1_000_000, "sepuluh": 10, "sebelas": 11}

FILLERS = frozenset(
    "eee ee eh ehm emm em hmm hm mmm anu nggih ngih enggih niku nika lho loh toh tho yo to kok ki "
    "halo hallo nah gitu gini".split()
)
"""Words that carry no content in a complaint (Indonesian and Javanese hesitations, particles)."""
ADDRESS_WORDS = frozenset("pak bu mas mbak bapak ibu mbah dik kang cak ning".split())
"""Forms of address; dropped unless they introduce a name or an office ("Pak Kades", "Bu Bidan")."""
TITLE_WORDS = frozenset(
    "kades kepala lurah camat bupati wakil rt rw carik sekdes modin bidan dokter guru kasun kamituwo "
    "polisi babinsa bhabinkamtibmas kyai haji ustadz wali dinas ketua".split()
)
WRITTEN_SHORT_FORMS = {
    "yg": "yang", "tdk": "tidak", "sdh": "sudah", "udh": "sudah", "blm": "belum", "dgn": "dengan", "dg": "dengan",
    "krn": "karena", "sy": "saya", "mhn": "mohon", "tlg": "tolong", "utk": "untuk", "dr": "dari", "dlm": "dalam",
    "jg": "juga", "bgt": "banget", "skrg": "sekarang", "org": "orang", "tp": "tapi", "pd": "pada", "kpd": "kepada",
    "bs": "bisa", "hrs": "harus", "sgt": "sangat", "bnyk": "banyak", "ds": "desa", "kec": "kecamatan",
    "kel": "kelurahan", "dsn": "dusun", "kab": "kabupaten", "jl": "jalan", "jln": "jalan", "yth": "yang terhormat",
    "tks": "terima kasih", "thx": "terima kasih", "trims": "terima kasih", "trimakasih": "terima kasih",
    "pdhl": "padahal", "dpt": "dapat", "sdg": "sedang", "lg": "lagi", "lgi": "lagi", "bpk": "bapak",
    "tsb": "tersebut", "dll": "dan lain-lain", "dsb": "dan sebagainya", "spt": "seperti", "sbg": "sebagai",
    "thn": "tahun", "bln": "bulan", "tgl": "tanggal", "kmrn": "kemarin", "sj": "saja", "gmn": "bagaimana",
    "knp": "kenapa", "brp": "berapa", "msh": "masih", "sblm": "sebelum", "stlh": "setelah", "trs": "terus",
    "krg": "kurang", "bbrp": "beberapa", "sm": "sama", "kl": "kalau", "klo": "kalau", "jd": "jadi",
    "ttg": "tentang", "sampe": "sampai", "mohn": "mohon", "pak/bu": "bapak ibu", "no": "nomor",
}
"""Short forms that exist only in writing: normalised here, and said in full by a person reading aloud."""
SPOKEN_FORMS = {
    **WRITTEN_SHORT_FORMS,
    "tak": "tidak", "gak": "tidak", "ga": "tidak", "nggak": "tidak", "ndak": "tidak", "enggak": "tidak",
    "ora": "tidak", "mboten": "tidak", "boten": "tidak", "udah": "sudah", "sampun": "sudah", "dereng": "belum",
    "durung": "belum", "karna": "karena", "sya": "saya", "kulo": "saya", "kula": "saya", "aku": "saya",
    "u/": "untuk", "kalo": "kalau", "gimana": "bagaimana", "piye": "bagaimana", "pripun": "bagaimana", "opo": "apa",
    "nopo": "apa", "wonten": "ada", "onok": "ada", "enten": "ada", "dalan": "jalan", "dalane": "jalannya",
    "ratan": "jalan", "banyu": "air", "omah": "rumah", "griyo": "rumah", "sekolahan": "sekolah", "bocah": "anak",
    "larang": "mahal", "rusake": "rusaknya", "makasih": "terima kasih", "matur": "terima", "suwun": "kasih",
    "ds.": "desa", "kec.": "kecamatan", "kel.": "kelurahan", "dsn.": "dusun", "kab.": "kabupaten", "jl.": "jalan",
    "jln.": "jalan", "lap": "lapor", "pdam": "PDAM", "pln": "PLN", "bpjs": "BPJS", "ktp": "KTP", "kk": "KK",
    "pkh": "PKH", "e-ktp": "e-KTP", "ektp": "e-KTP", "saking": "dari", "teng": "di", "sanget": "sangat",
}
"""Short forms, chat spellings and common Javanese words mapped to standard Indonesian."""

MONTHS = {
    "januari": 1, "februari": 2, "pebruari": 2, "maret": 3, "april": 4, "mei": 5, "juni": 6, "juli": 7,
    "agustus": 8, "september": 9, "oktober": 10, "november": 11, "nopember": 11, "desember": 12,
}
RELATIVE_DAYS = {"kemarin": -1, "wingi": -1, "kemaren": -1, "hari ini": 0, "tadi pagi": 0, "tadi malam": 0,
                 "tadi siang": 0, "tadi sore": 0, "semalam": -1, "kemarin lusa": -2, "minggu lalu": -7,
                 "seminggu yang lalu": -7}

_TOKEN_RE = re.compile(r"\S+")
_EDGE_PUNCT_RE = re.compile(r"^([\"'(\[]*)(.*?)([.,!?;:\"')\]]*)$")


@dataclass(frozen=True)
class DateMention:
    """A date said in the transcript, resolved against the time the call was received."""

    text: str
    day: date


@dataclass(frozen=True)
class Normalized:
    """Normalised transcript text with what was resolved along the way."""

    text: str
    """Numbers as digits, RT/RW as "RT 03/RW 05", spoken forms standardised; fillers kept."""
    clean: str
    """`text` without fillers and forms of address: the description."""
    dates: list[DateMention] = field(default_factory=list)


def _split(token: str) -> tuple[str, str, str]:
    m = _EDGE_PUNCT_RE.match(token)
    return (m.group(1), m.group(2), m.group(3)) if m else ("", token, "")


def _digit_value(word: str) -> int | None:
    w = word.lower()
    if w in UNITS and w != "se":
        return UNITS[w]
    if w in JAVANESE_UNITS:
        return JAVANESE_UNITS[w]
    if len(w) == 1 and w.isdecimal():  # not isdigit(): "➊" and "²" are digits to it, but int() refuses them
        return int(w)
    return None


def _is_number_word(word: str) -> bool:
    w = word.lower()
    return (w in UNITS and w != "se") or w in SCALES or w in SE_SCALES or w in TEENS


def parse_number_words(words: list[str]) -> int | None:
    """Value of a spoken Indonesian number ("dua puluh tiga" → 23, "seratus lima puluh" → 150)."""
    total = 0
    current = 0
    seen = False
    for raw in words:
        w = raw.lower()
        if w in SE_SCALES:
            value = SE_SCALES[w]
            if value >= 1000:
                total += max(current, 1) * value if current else value
                current = 0
            else:
                current += value
        elif w in UNITS and w != "se":
            current += UNITS[w]
        elif w.isdecimal() and len(w) == 1:  # "3 juta" said with a digit
            current += int(w)
        elif w == "belas":
            current = (current or 1) + 10
        elif w == "puluh":
            current = (current % 10 or 1) * 10 + (current - current % 10)
        elif w == "ratus":
            current = (current or 1) * 100
        elif w in ("ribu", "juta", "miliar"):
            total += (current or 1) * SCALES[w]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def _number_runs(words: list[str]) -> list[str]:
    """Replace runs of number words by digits; long single-digit runs become digit strings (phones, NIK)."""
    out: list[str] = []
    i = 0
    while i < len(words):
        pre, core, post = _split(words[i])
        if not _is_number_word(core) and _digit_value(core) is None:
            out.append(words[i])
            i += 1
            continue
        # collect a run of number words not interrupted by punctuation other than a comma
        j = i
        run: list[str] = []
        trailing = ""
        while j < len(words):
            p, c, q = _split(words[j])
            if not (_is_number_word(c) or _digit_value(c) is not None) or (p and j > i):
                break
            run.append(c)
            trailing = q
            j += 1
            if q and q not in (",", "-"):
                break
        digits = [_digit_value(w) for w in run]
        if all(w.lower() in SCALE_WORDS for w in run):
            # "500 ribu", "1,5 juta": the amount written in digits before; a scale word alone stays a word
            amount = _written_amount(out[-1]) if out and not pre else None
            if amount is not None:
                scaled = amount * math.prod(SCALES[w.lower()] for w in run)
                out[-1] = f"{round(scaled)}{trailing}"
            else:
                out.extend(words[i:j])
            i = j
            continue
        if len(run) >= 3 and all(d is not None for d in digits):
            out.append(pre + "".join(str(d) for d in digits) + trailing)
        elif all(d is not None for d in digits) and len(run) == 2 and run[0].lower() in ("nol", "kosong"):
            out.append(pre + "".join(str(d) for d in digits) + trailing)
        else:
            # mixed run: split into numbers at points where a new number clearly starts
            out.extend(_mixed_numbers(run, pre, trailing))
        i = j
    return out


SCALE_WORDS = frozenset({"ribu", "juta", "miliar"})
_AMOUNT = re.compile(r"\d{1,3}(?:\.\d{3})*(?:,\d{1,3})?")


def _written_amount(token: str) -> float | None:
    """The value of an amount written in digits as Indonesians write it ("500", "1.500", "1,5"), or None."""
    if not _AMOUNT.fullmatch(token):
        return None
    return float(token.replace(".", "").replace(",", "."))


def _mixed_numbers(run: list[str], pre: str, trailing: str) -> list[str]:
    """Digits for a run like "nol delapan satu dua tiga empat lima enam tujuh" or "dua puluh tiga"."""
    groups: list[list[str]] = []
    current: list[str] = []
    for w in run:
        lw = w.lower()
        value = _digit_value(lw)
        # a digit word right after a complete unit digit starts a new number ("tiga lima" = 3 5)
        if current and value is not None and _digit_value(current[-1]) is not None and lw not in SCALES:
            groups.append(current)
            current = []
        current.append(lw)
    if current:
        groups.append(current)
    values = [parse_number_words(g) for g in groups]
    if len(groups) >= 3 and all(v is not None and v < 10 for v in values):
        return [pre + "".join(str(v) for v in values) + trailing]
    # a phone said in groups ("nol delapan satu tiga, dua dua ...") keeps the leading zero
    if run and run[0].lower() in ("nol", "kosong") and all(v is not None for v in values):
        return [pre + "".join(str(v) for v in values) + trailing]
    texts = [str(v) if v is not None else " ".join(g) for v, g in zip(values, groups)]
    texts[0] = pre + texts[0]
    texts[-1] = texts[-1] + trailing
    return texts


_PHONE_GLUE_RE = re.compile(r"(?<![\d])((?:\+?62|0)[\d]{2,4})((?:[\s.-]+\d{2,5}){1,4})(?![\d])")
_DIGIT_GLUE_RE = re.compile(r"\b(\d{3,})((?:[ ,-]+\d{3,})+)\b")
_RT_RE = re.compile(r"\b(?:rt|r\.t\.?|erte|ertes|er te|rete|ert)\s*[.:]?\s*(?:nomor\s+)?0*(\d{1,3})\b", re.I)
_RW_RE = re.compile(r"\b(?:rw|r\.w\.?|erwe|er we|erwé|rewe|erw)\s*[.:]?\s*(?:nomor\s+)?0*(\d{1,3})\b", re.I)
_RTRW_SLASH_RE = re.compile(r"\bRT 0*(\d{1,3})\s*/\s*0*(\d{1,3})\b")


def _glue_digit_groups(text: str) -> str:
    """Join digit groups that belong to one phone number or NIK ("0813 2345 6789" → "081323456789")."""
    def phone(m: re.Match[str]) -> str:
        joined = re.sub(r"\D", "", m.group(0))
        plus = "+" if m.group(0).startswith("+") else ""
        return plus + joined if 9 <= len(joined) <= 14 else m.group(0)

    text = _PHONE_GLUE_RE.sub(phone, text)

    def long_run(m: re.Match[str]) -> str:
        joined = re.sub(r"\D", "", m.group(0))
        return joined if len(joined) in (16,) or (len(joined) >= 10 and "," not in m.group(0)) else m.group(0)

    return _DIGIT_GLUE_RE.sub(long_run, text)


def _rt_rw(text: str) -> str:
    text = _RT_RE.sub(lambda m: f"RT {int(m.group(1)):02d}", text)
    text = _RW_RE.sub(lambda m: f"RW {int(m.group(1)):02d}", text)
    text = _RTRW_SLASH_RE.sub(lambda m: f"RT {int(m.group(1)):02d}/RW {int(m.group(2)):02d}", text)
    return re.sub(r"\b(RT \d{2})[\s,]+(?:dan\s+)?(RW \d{2})\b", r"\1/\2", text)


def _resolve_dates(text: str, received_at: datetime | None) -> list[DateMention]:
    if received_at is None:
        return []
    today = received_at.date()
    found: list[tuple[int, DateMention]] = []
    lower = text.lower()
    taken: list[tuple[int, int]] = []
    for phrase in sorted(RELATIVE_DAYS, key=len, reverse=True):
        for m in re.finditer(rf"\b{phrase}\b", lower):
            if any(a <= m.start() < b for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append((m.start(), DateMention(text[m.start():m.end()], today + timedelta(days=RELATIVE_DAYS[phrase]))))
    month_names = "|".join(MONTHS)
    for m in re.finditer(rf"\btanggal\s+(\d{{1,2}})(?:\s+({month_names}))?(?:\s+(\d{{4}}))?", lower):
        day = int(m.group(1))
        month = MONTHS[m.group(2)] if m.group(2) else today.month
        year = int(m.group(3)) if m.group(3) else today.year
        try:
            resolved = date(year, month, day)
        except ValueError:
            continue
        if not m.group(3) and resolved > today:
            # a day said without month/year that is still ahead means the last occurrence of it
            if m.group(2):
                resolved = date(year - 1, month, day)
            else:
                prev_month = (today.replace(day=1) - timedelta(days=1))
                try:
                    resolved = prev_month.replace(day=day)
                except ValueError:
                    continue
        found.append((m.start(), DateMention(text[m.start():m.end()], resolved)))
    return [d for _, d in sorted(found, key=lambda x: x[0])]


def _is_filler(words: list[str], i: int) -> bool:
    _, core, _ = _split(words[i])
    w = core.lower()
    if w in FILLERS or re.fullmatch(r"e+|m+|hm+|em+", w or "x"):
        return True
    if w in ADDRESS_WORDS:
        if i + 1 >= len(words):
            return True
        _, nxt, _ = _split(words[i + 1])
        if nxt.lower() in TITLE_WORDS:
            return False
        # a capitalised word after the address is a name ("Pak Darmo"), unless it starts a sentence
        prev_end = _split(words[i - 1])[2] if i > 0 else "."
        return not (nxt[:1].isupper() and not core[:1].isupper()) and not (nxt[:1].isupper() and prev_end == "")
    return False


def normalize(text: str, received_at: datetime | None = None) -> Normalized:
    """Normalise a transcript: spoken forms, numbers, phones, RT/RW, dates; `clean` also drops fillers."""
    words = _TOKEN_RE.findall(text.replace("\u2019", "'"))
    standard: list[str] = []
    for token in words:
        pre, core, post = _split(token)
        low = core.lower()
        if low in SPOKEN_FORMS:
            core = SPOKEN_FORMS[low]
        elif low + post[:1] in SPOKEN_FORMS and post[:1] == ".":
            core, post = SPOKEN_FORMS[low + "."], post[1:]
        standard.append(pre + core + post)
    # "er te" / "er we" spoken as two tokens
    joined = " ".join(_number_runs(" ".join(standard).replace(" er te ", " erte ").replace(" er we ", " erwe ").split()))
    joined = _glue_digit_groups(joined)
    joined = _rt_rw(joined)
    tokens = joined.split()
    kept = [tok for i, tok in enumerate(tokens) if not _is_filler(tokens, i)]
    clean = " ".join(kept)
    clean = re.sub(r"\s+([,.!?])", r"\1", clean)
    clean = re.sub(r"^[,.\s]+", "", clean)
    clean = re.sub(r"([,.!?])[,.]+", r"\1", clean)
    clean = re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), clean)
    return Normalized(text=joined, clean=clean, dates=_resolve_dates(joined, received_at))
