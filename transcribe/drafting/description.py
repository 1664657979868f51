"""The description an agency reads: what was reported, without the call's greetings, fillers and the caller's
self-introduction (those are in the reporter fields), in sentences, with places written as names."""

from __future__ import annotations

import re

from models.address import place_name_word
from transcribe.drafting.fields import HOME_PART
from transcribe.drafting.gazetteer import Gazetteer

GREETING_RE = re.compile(
    r"\b(?:assalamu'?alaikum(?:\s+warahmatullahi)?(?:\s+wabarakatuh)?|wa'?alaikumsalam|wassalamu'?alaikum\w*"
    r"|selamat\s+(?:pagi|siang|sore|malam)|sugeng\s+(?:enjing|siang|sonten|dalu)|salam\s+sejahtera|om\s+swastiastu"
    r"|halo|hallo|permisi|punten|terima\s+kasih(?:\s+banyak)?|(?:mohon\s+)?maaf\s+(?:mengganggu|sebelumnya)|sekian)\b",
    re.I,
)
HONORIFIC = r"(?:pak|bu|mas|mbak|bapak|ibu|mbah|kang|cak|dik|saudara|sdr)"
_PLACE_TAIL = rf"(?:\s*,?\s*(?:saya\s+|yang\s+)?(?:dari|warga|asal|tinggal\s+di|tinggal|dari\s+daerah)?\s*{HOME_PART})*"
"""Where the caller lives, said with the introduction ("dari desa Pejok kecamatan Kepohbaru RT 02/RW 01")."""
NUMBER_RE = re.compile(r"\b(?:nomor|nomer|no)\s+(?:hp\s+|telepon\s+|telpon\s+|wa\s+|handphone\s+)?saya\s+(?:adalah\s+|di\s+)?\+?\d{6,}", re.I)
FRAMING = [
    (re.compile(r"^(?:saya\s+)?(?:mau|ingin|hendak|akan|pengin|pengen)?\s*(?:menanyakan|bertanya|tanya)\s*(?:tentang|soal|mengenai)?\b", re.I),
     "menanyakan "),
    (re.compile(r"^(?:saya\s+)?(?:mau|ingin|hendak|akan)?\s*(?:mengusulkan|usul)\b", re.I), "mengusulkan "),
    (re.compile(r"^(?:saya\s+)?(?:mau|ingin|hendak|akan)?\s*(?:mengeluhkan|mengadukan)\b", re.I), "mengeluhkan "),
    (re.compile(r"^(?:saya\s+)?(?:mau|ingin|hendak|akan)?\s*(?:melaporkan|melapor|lapor|menyampaikan(?:\s+aspirasi)?|mengadu)"
                r"(?:\s+(?:bahwa|tentang|soal|mengenai|kalau))?\b", re.I), ""),
]
"""How callers announce what follows, at the start of a clause ("warga sudah lapor ke desa" keeps its verb):
a question or proposal keeps a verb, a report needs none."""
LEAD_WORDS = re.compile(r"^(?:(?:iya|ya|nah|jadi|begini|gini|baik|oke|ok|pak|bu|mas|mbak|nggih|anu|ini|itu|saya|nih)\b[\s,]*)+", re.I)
OPENING_TIME = re.compile(r"^\s*(?:pagi|siang|sore|malam)\b(?!\s+(?:ini|tadi|hari|kemarin|ke|sampai|jam))\s*,?", re.I)
"""What is left of "selamat pagi" when the recognizer missed "selamat" ("pagi pak, ...")."""
ACRONYMS = {w.lower(): w for w in (
    "SD SDN SMP SMPN SMA SMAN SMK SMKN MTs CPNS PNS PPPK PTSL RSUD BPBD BLT BPNT KIS KIP TKI SPBU ATM LPG "
    "Dispendukcapil Pemkab Pemdes Kades Sekdes Bupati Puskesmas Polindes Posyandu Bojonegoro".split())}
"""Words written with capitals (abbreviations, offices); "mi" and the like are left alone: they are words too."""
EMPTY_CLAUSE = re.compile(r"^(?:iya|ya|saya|pak|bu|mas|mbak|nggih|begitu|gitu|itu saja|sudah|ini|nih|mohon)?$", re.I)


def _introduction(name: str | None) -> re.Pattern[str] | None:
    """The caller's self-introduction with the name that was found, and where they live."""
    parts = [r"\bperkenalkan\b\s*,?"]
    if name:
        said = r"\s+".join(re.escape(w) for w in name.split())
        lead = (rf"(?:nama\s+(?:saya|pelapor|lengkap\s+saya)\s*(?:adalah|ialah|:)?|nama(?:\s+lengkap)?\s*:|atas\s+nama"
                rf"|(?:saya\s+)?bernama|yang\s+melapor(?:kan)?(?:\s+(?:adalah|ialah))?\s*:?|dengan|saya)?\s*(?:{HONORIFIC}\s+)?")
        parts.insert(0, rf"\b{lead}{said}\b{_PLACE_TAIL}")
    parts.append(rf"\bsaya\s+(?:warga|dari|tinggal\s+di|asal)\b{_PLACE_TAIL}")
    return re.compile("|".join(parts), re.I)


def _capitalise_places(text: str, gazetteer: Gazetteer) -> str:
    """Place names and their cue words written as names ("desa kali tidu" → "Desa Kalitidu")."""
    tokens = re.findall(r"[\w'/-]+|[^\w\s]", text)
    names = {**{k: n for k, (_, n) in gazetteer.kecamatan.items()}, **{k: ds[0].name for k, ds in gazetteer.desa_by_key.items()}}
    out: list[str] = []
    mentions = {m.start: m for m in gazetteer.mentions(tokens, tokens) if m.cue or m.score >= 0.99}
    i = 0
    while i < len(tokens):
        m = mentions.get(i)
        if m is not None and m.key in names and (m.cue or m.end - m.start > 1 or tokens[i].lower() == m.key):
            if out and out[-1].lower() in ("desa", "kelurahan", "kecamatan", "dusun", "kec", "kel"):
                out[-1] = out[-1].capitalize()
            out.append(names[m.key])
            i = m.end
            continue
        token = tokens[i]
        if out and out[-1].lower() in ("dusun", "dukuh") and place_name_word(token):
            out[-1] = out[-1].capitalize()  # dusun are not in the gazetteer: the word after the cue is the name
            token = token.capitalize()
        out.append(ACRONYMS.get(token.lower(), token))
        i += 1
    text = " ".join(out)
    return re.sub(r"\s+([,.!?;:])", r"\1", text)


def describe(clean: str, reporter_name: str | None, gazetteer: Gazetteer) -> str:
    """A readable description from the normalised transcript without fillers (`Normalized.clean`)."""
    text = OPENING_TIME.sub(" ", GREETING_RE.sub(" ", clean))
    text = NUMBER_RE.sub(" ", text)
    intro = _introduction(reporter_name)
    if intro is not None:
        text = intro.sub(" ", text)
    clauses = []
    for clause in re.split(r"(?<=[.,!?;])\s+|\s+(?=[.,!?;])", text):
        body = LEAD_WORDS.sub("", clause.strip(" .,!?;")).strip()
        for pattern, replacement in FRAMING:
            body = pattern.sub(replacement, body, count=1).strip()
        body = LEAD_WORDS.sub("", body).strip(" ,")
        if body and not EMPTY_CLAUSE.match(body):
            end = clause.strip()[-1:] if clause.strip()[-1:] in ".!?" else ""
            clauses.append((body, end))
    if not clauses:
        return ""
    sentences: list[str] = []
    current: list[str] = []
    for body, end in clauses:
        current.append(body)
        if end:
            sentences.append(", ".join(current))
            current = []
    if current:
        sentences.append(", ".join(current))
    written = " ".join(s[:1].upper() + s[1:] + "." for s in sentences if s)
    written = re.sub(r"\s{2,}", " ", written)
    return _capitalise_places(written, gazetteer)
