"""Where in its kecamatan an issue is: the spot its complaints name ("Puskesmas Sekar", "jalan Kalitidu–Sumengko",
"Desa Kayulemah"), said in the label before the kecamatan ("Jalan rusak · jalan Temayang–Sugihwaras, Kec.
Temayang"). "Jalan rusak · Kec. Dander" leaves an agency head asking which road; the complaints mostly say it.

A spot is a facility said with a name of the regency's gazetteer ("jalan poros Temayang ke arah Sugihwaras",
"SDN Semawot", "tanggul Bengawan Solo"), and a desa of the issue's own kecamatan, said ("warga Desa Kayulemah") or
the one the complaint's record places it in (its Lokasi: a caller's own desa is cut from the transcript with their
name). Only gazetteer names are taken (the desa and kecamatan of the regency and a few landmarks), so a spot never
carries a person's name, a house number or an RT/RW. In an issue of two or more complaints a spot must be said by
at least two of them and by half of them at least, as every word of a label must (`issues.label_word`): what one
reporter alone said never labels an issue. One complaint's facility is its spot only when it is the first spot it
says, or the problem or the title names that kind of facility (a road report that passes "dekat SDN 1" after naming
its desa is about the road, not the school).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from models.address import COMMON_WORD_NAMES, LOCAL_CUES
from models.words import word_zipf

HEADS = {
    "jalan": "jalan", "dalan": "jalan", "jln": "jalan", "jl": "jalan", "ruas": "jalan", "jalur": "jalan",
    "jembatan": "jembatan", "jembatane": "jembatan", "kreteg": "jembatan", "kretek": "jembatan",
    "pasar": "Pasar", "peken": "Pasar", "puskesmas": "Puskesmas", "pkm": "Puskesmas", "pustu": "Pustu",
    "polindes": "Polindes", "ponkesdes": "Ponkesdes", "rsud": "RSUD",
    "sd": "SD", "sdn": "SDN", "mi": "MI", "smp": "SMP", "smpn": "SMPN", "mts": "MTs", "mtsn": "MTsN",
    "sma": "SMA", "sman": "SMAN", "smk": "SMK", "smkn": "SMKN",
    "tpa": "TPA", "tps": "TPS", "tpst": "TPST", "embung": "embung", "waduk": "Waduk", "bendungan": "Bendungan",
    "bendung": "Bendung", "tanggul": "tanggul", "kali": "Kali", "sungai": "Sungai", "terminal": "Terminal",
    "stasiun": "Stasiun", "lapangan": "lapangan", "kantor": "Kantor", "balai": "Balai",
}  # fmt: skip
"""Words that name a facility, as its spot writes them ("sdn" -> "SDN Semawot")."""
SCHOOLS = frozenset("SD SDN MI SMP SMPN MTs MTsN SMA SMAN SMK SMKN".split())
"""Facilities whose name may carry a number ("SMPN 1 Kapas", "SDN Kalisari 2")."""
OFFICES = {"desa": "Desa", "kecamatan": "Kecamatan", "kelurahan": "Kelurahan"}
"""What "kantor" and "balai" are of ("Kantor Desa Soko")."""
DESA_WORDS = frozenset("desa ds kelurahan kel".split())
"""Words before a desa's name that make it one ("Desa Sumberrejo" is the desa, "Sumberrejo" may be the kecamatan)."""
FILLERS = frozenset(
    """poros penghubung desa ds dusun dsn dk di antar antardesa kabupaten kab negeri raya utama umum menuju arah ke
    kecamatan kec wilayah gantung kayu beton besi rabat cor aspal makadam nasional provinsi lingkar induk""".split()
)
"""Words that may stand between a facility and its name ("jalan poros desa Belun", "SD negeri Pajeng"), MAX_FILLERS
at most."""
MAX_FILLERS = 3
SCHOOL_FILLERS = frozenset({"negeri"})
"""A school's name follows it ("SD negeri Pajeng"): "SMP negeri di Balen" is some school of Balen, no spot."""
CONNECTORS = frozenset("ke arah sampai menuju dan sama kaliyan hingga - –".split())
"""Words between the two ends of a road or bridge ("Kaliombo ke Tinumpuk", "Kedungadem-Megale")."""
TWO_ENDS = frozenset({"jalan", "jembatan"})
RIVERS = frozenset({"Kali", "Sungai"})
"""Said right before their name only ("kali" is also "times": "dua kali di desa Belun")."""
LANDMARKS = {
    "bengawan solo": "Bengawan Solo", "banyu urip": "Banyu Urip", "jambaran tiung biru": "Jambaran Tiung Biru",
    "pacal": "Pacal", "karangnongko": "Karangnongko", "kayangan api": "Kayangan Api", "alun - alun": "alun-alun",
    "alun alun": "alun-alun", "alun2": "alun-alun", "aloon - aloon": "alun-alun",
}  # fmt: skip
"""Names of the regency that are no desa or kecamatan: a river, oil fields, dams, the town square. Said alone they
are a spot too ("flare Banyu Urip", "parkir di alun-alun"), but for the dams, named with theirs ("Waduk Pacal")."""
ALONE = frozenset(LANDMARKS) - {"pacal", "karangnongko"}
COMMON_NAME_ZIPF = 3.5
"""A name of one word as frequent as an everyday word ("Sudah", "Panjang") is a facility's name only written with a
capital ("jalan panjang" is a long road). Said alone, such a name, or one of the drafter's `COMMON_WORD_NAMES`
("kulo soko Belun" is "I from Belun"), is a desa only after "desa" or a cue (`LOCAL_CUES`: "warga Talun")."""
_TOKEN = re.compile(r"[^\W_]+|[-–]")


@dataclass(frozen=True)
class Gazetteer:
    """The names a spot may carry."""

    names: Mapping[tuple[str, ...], str]
    """Every desa, kecamatan and landmark name, as lower-case words, to how it is written."""
    desa: Mapping[str, Mapping[tuple[str, ...], str]]
    """Per kecamatan (as written), its desa names (lower-case words) as written."""
    longest: int
    kelurahan: frozenset[tuple[str, str]] = frozenset()
    """(kecamatan, name) of the desa that are kelurahan (the town's wards): "Kel. Ledok Kulon"."""

    @classmethod
    def of(cls, places: Iterable[tuple[str, str, str]]) -> "Gazetteer":
        """From (kecamatan, desa, "desa" | "kelurahan") of every desa."""
        names: dict[tuple[str, ...], str] = {tuple(k.split()): v for k, v in LANDMARKS.items()}
        desa: dict[str, dict[tuple[str, ...], str]] = {}
        kelurahan = set()
        for kecamatan, village, kind in places:
            names[_words(kecamatan)] = kecamatan
            names[_words(village)] = village
            desa.setdefault(kecamatan, {})[_words(village)] = village
            if kind == "kelurahan":
                kelurahan.add((kecamatan, village))
        return cls(names, desa, max(map(len, names)), frozenset(kelurahan))

    def village(self, kecamatan: str, names: Sequence[str]) -> str:
        """Desa as a label says them, as `Place.label` does: "Desa Belun", "Desa Belun dan Soko", "Kel. Ledok Kulon
        dan Ledok Wetan"."""
        kinds = ["Kel." if (kecamatan, name) in self.kelurahan else "Desa" for name in names]
        if len(set(kinds)) == 1:
            return f"{kinds[0]} " + " dan ".join(names)
        return " dan ".join(f"{kind} {name}" for kind, name in zip(kinds, names))

    def name_at(self, words: Sequence[str], i: int) -> tuple[str, int]:
        """The longest name said at words[i] (as written) and its length in words; ("", 0) when none."""
        for n in range(min(self.longest, len(words) - i), 0, -1):
            found = self.names.get(tuple(words[i : i + n]))
            if found:
                return found, n
        return "", 0


def _words(name: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in _TOKEN.findall(name))


@dataclass(frozen=True)
class Said:
    """A spot one complaint says."""

    key: tuple[str, str]
    """(facility as written, or "Desa"; first name): what counts as one spot across complaints."""
    written: str
    desa: str = ""
    """The desa of the issue's kecamatan a facility is named after ("jalan Belun" says Desa Belun too)."""

    @classmethod
    def village(cls, name: str) -> "Said":
        return cls(("Desa", name), f"Desa {name}")

    @property
    def keys(self) -> tuple[tuple[str, str], ...]:
        """The spots it counts for: itself, and the desa it is named after."""
        return (self.key, ("Desa", self.desa)) if self.desa else (self.key,)


def spots_said(text: str, kecamatan: str, gazetteer: Gazetteer) -> list[Said]:
    """The spots one text says, in the order said."""
    raw = _TOKEN.findall(text)
    words = [w.lower() for w in raw]
    own = gazetteer.desa.get(kecamatan, {})
    found: list[Said] = []
    i = 0
    while i < len(words):
        head = HEADS.get(words[i])
        if head:
            said, end = _facility(words, raw, i, head, gazetteer)
            if said:
                named = said.key[1]
                found.append(replace(said, desa=named) if named != kecamatan and _words(named) in own else said)
                i = end
                continue
        n = next((n for n in (3, 2, 1) if " ".join(words[i : i + n]) in ALONE), 0)
        if n:
            landmark = LANDMARKS[" ".join(words[i : i + n])]
            found.append(Said((landmark, landmark), landmark))
            i += n
            continue
        name, n = _desa_at(words, raw, i, own, kecamatan)
        if name:
            found.append(Said.village(name))
            i += n
            continue
        i += 1
    return found


def _facility(
    words: Sequence[str], raw: Sequence[str], i: int, head: str, gazetteer: Gazetteer
) -> tuple[Said | None, int]:
    """The facility said at words[i] with its name ("SDN Semawot", "jalan Kalitidu–Sumengko"), and where it ends."""
    j, fillers, names, number, office = i + 1, 0, [], "", ""
    if head in ("Kantor", "Balai"):
        if i + 1 >= len(words) or words[i + 1] not in OFFICES:
            return None, i + 1
        office, j = OFFICES[words[i + 1]], i + 2
    while j < len(words) and len(names) < (2 if head in TWO_ENDS else 1):
        word = words[j]
        if head in SCHOOLS and word.isdigit() and len(word) <= 2 and not number:
            number, j = word, j + 1
            continue
        name, n = gazetteer.name_at(words, j)
        if name and not (_everyday(words[j : j + n]) and not raw[j][:1].isupper()):
            names.append(name)
            j += n
            if head in SCHOOLS and j < len(words) and words[j].isdigit() and len(words[j]) <= 2 and not number:
                number, j = words[j], j + 1
            continue
        allowed = SCHOOL_FILLERS if head in SCHOOLS else frozenset() if head in RIVERS else FILLERS
        if fillers < MAX_FILLERS and (word in allowed or (names and word in CONNECTORS)):
            fillers, j = fillers + 1, j + 1
            continue
        break
    if not names:
        return None, i + 1
    if office:
        return Said((f"{head} {office}", names[0]), f"{head} {office} {names[0]}"), j
    if head in SCHOOLS:
        written = f"{head} {number} {names[0]}" if number and words[i + 1] == number else f"{head} {names[0]} {number}"
        return Said((head, names[0]), written.strip()), j
    return Said((head, names[0]), f"{head} {'–'.join(names)}"), j


def _desa_at(words: Sequence[str], raw: Sequence[str], i: int, own: Mapping[tuple[str, ...], str],
             kecamatan: str) -> tuple[str, int]:
    """A desa of the kecamatan said at words[i] (after "desa" or alone) and the words it takes; ("", 0) when none."""
    marked = words[i] in DESA_WORDS
    at = i + 1 if marked else i
    for n in (3, 2, 1):
        name = own.get(tuple(words[at : at + n]))
        if not name or len(words[at : at + n]) < n:
            continue
        if not marked and name == kecamatan:
            return "", 0  # "Kedungadem" alone is the kecamatan more often than its desa
        said_alone = _everyday(words[at : at + n]) or (n == 1 and words[at] in COMMON_WORD_NAMES)
        if not marked and said_alone and (i == 0 or words[i - 1] not in LOCAL_CUES):
            return "", 0  # "Sudah", "kulo soko Belun": the word more often than the desa, unless "warga Talun"
        return name, at - i + n
    return "", 0


def issue_spot(texts: Sequence[str], kecamatan: str, gazetteer: Gazetteer | None, problem: str = "",
               titles: Sequence[str] = (), located: Sequence[str] = ()) -> str:
    """The spot of an issue's complaints (see the module's docstring): a facility with its name when enough of them
    say one, and the desa enough of them are in (at most two: "Desa Ledok Kulon dan Ledok Wetan"). `located`: per
    complaint, the desa its record places it in ("" when only the kecamatan is known); a caller's own desa is cut
    from a transcript with their name, the record keeps where the problem is. "" when there is none."""
    if not gazetteer or not kecamatan or not texts:
        return ""
    said = [spots_said(text, kecamatan, gazetteer) for text in texts]
    for n, desa in enumerate(located):
        if desa and n < len(said):
            said[n] = [*said[n], Said.village(desa)]
    need = 1 if len(texts) == 1 else max(2, math.ceil(len(texts) / 2))
    counts = Counter(key for found in said for key in {key for s in found for key in s.keys})
    written = Counter(s.written for found in said for s in found)
    first: dict[tuple[str, str], int] = {}
    for found in said:
        for n, s in enumerate(found):
            for key in s.keys:
                first[key] = min(first.get(key, n), n)
    kinds = set(problem.lower().split())
    if titles:
        kinds |= {_kind(s.key[0]) for title in titles for s in spots_said(title, kecamatan, gazetteer)}
    facilities = [key for key, n in counts.items() if n >= need and key[0] != "Desa"
                  and (len(texts) > 1 or first[key] == 0 or _kind(key[0]) in kinds)]  # fmt: skip
    facility = ""
    if facilities:
        key = min(facilities, key=lambda k: (-counts[k], _kind(k[0]) not in kinds, first[k], k))
        # the fullest way it is written that enough of them say ("jalan Kalitidu–Sumengko" over "jalan Kalitidu")
        ways = {s.written for found in said for s in found if s.key == key}
        facility = min(ways, key=lambda w: (written[w] < min(need, 2), -len(w), -written[w], w))
    # ties in a fixed order: a label must not change from one regrouping to the next for nothing
    desa = sorted((key for key, n in counts.items() if n >= need and key[0] == "Desa"),
                  key=lambda k: (-counts[k], first[k], k))
    names = [name for _, name in desa[:2] if name not in facility]  # "jalan Belun" says Desa Belun already
    where = gazetteer.village(kecamatan, names) if names else ""
    return ", ".join(part for part in (facility, where) if part)


def _kind(facility: str) -> str:
    """The word a problem names a facility by: "sekolah" for "SDN" ("Gedung sekolah rusak"), else its own word."""
    head = facility.split()[0]
    return "sekolah" if head in SCHOOLS else head.lower()


def _everyday(words: Sequence[str]) -> bool:
    """Whether a name is one word as frequent as an everyday word (COMMON_NAME_ZIPF)."""
    return len(words) == 1 and word_zipf(words[0]) >= COMMON_NAME_ZIPF
