"""Places of Kabupaten Bojonegoro found in a transcript: kecamatan, desa/kelurahan, dusun, RT/RW, landmark."""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources

from rapidfuzz import fuzz, process

from models.address import COMMON_WORD_NAMES, LOCAL_CUES, PLACE_WORD, find_landmark
from transcribe.drafting.suggestions import PlaceCandidate

KECAMATAN_CUES = frozenset("kecamatan kec camat".split())
DESA_CUES = frozenset("desa kelurahan kel ds deso dusun dukuh kampung".split())
FUZZY_MIN_LEN = 6
FUZZY_CUTOFF = 84.0
CUED_KECAMATAN_CUTOFF = 80.0
"""Cutoff for a short name right after "kecamatan" ("kecamatan ngrao", "kecamatan kanur"): the cue makes it safe."""
EVERYDAY_ZIPF = 3.5
"""Words at least this frequent in Indonesian (Zipf scale) are not read as a misheard place name without a cue."""
LOCAL_FUZZY_CUTOFF = 72.0
"""Cutoff when looking for a desa only among those of the kecamatan already found."""
DUSUN_RE = re.compile(rf"\b(?:dusun|dukuh|dsn\.?)\s+({PLACE_WORD}(?:\s+(?:kulon|wetan|lor|kidul|tengah|baru))?)", re.I)
"""A dusun said by its name; "kepala dusun di desa …" names none (`models.address.PLACE_WORD`)."""
RT_RE = re.compile(r"\bRT (\d{2})\b")
RW_RE = re.compile(r"\bRW (\d{2})\b")


def _key(name: str) -> str:
    """Letters only, old Dutch-era spellings folded ("Poerwoasri" → purwoasri, "Djono" → jono)."""
    key = re.sub(r"[^a-z]", "", name.lower())
    return key.replace("oe", "u").replace("dj", "j").replace("tj", "c")


@functools.lru_cache(maxsize=20_000)
def _everyday_word(token: str) -> bool:
    """A frequent Indonesian word (wordfreq), so a near miss of a place name is far likelier the word itself."""
    import wordfreq

    return wordfreq.zipf_frequency(token.lower(), "id") >= EVERYDAY_ZIPF


@dataclass(frozen=True)
class Desa:
    code: str
    name: str
    kecamatan_code: str
    kecamatan: str
    kind: str
    """"desa" or "kelurahan"."""


@dataclass(frozen=True)
class Mention:
    """A name of the gazetteer found in the text."""

    key: str
    start: int
    """Index of the first token."""
    end: int
    score: float
    """0..1: how closely the words match the name."""
    cue: str | None
    """"kecamatan" or "desa" when a cue word precedes the name."""


@dataclass(frozen=True)
class PlaceDetail:
    """Where within a desa: dusun, RT/RW and a landmark."""

    dusun: str | None = None
    rt: str | None = None
    rw: str | None = None
    landmark: str | None = None

    @classmethod
    def said(cls, text: str) -> PlaceDetail:
        """The first dusun, RT, RW and landmark said in a normalised text."""
        dusun = DUSUN_RE.search(text)
        rt, rw = RT_RE.search(text), RW_RE.search(text)
        dusun_name = dusun.group(1).strip().title() if dusun else None
        return cls(dusun_name, rt.group(1) if rt else None, rw.group(1) if rw else None, find_landmark(text))

    @property
    def label(self) -> str | None:
        """"Dusun Krajan, RT 01/RW 02, depan masjid Al Ikhlas", or None when nothing was said."""
        parts = [f"Dusun {self.dusun}"] if self.dusun else []
        if self.rt or self.rw:
            parts.append("/".join(p for p in (f"RT {self.rt}" if self.rt else "", f"RW {self.rw}" if self.rw else "") if p))
        if self.landmark:
            parts.append(self.landmark)
        return ", ".join(parts) or None


@dataclass(frozen=True)
class Place:
    """The place a complaint is about, with a confidence for each part."""

    kecamatan: str | None = None
    kecamatan_code: str | None = None
    desa: str | None = None
    desa_code: str | None = None
    dusun: str | None = None
    rt: str | None = None
    rw: str | None = None
    landmark: str | None = None
    """Dusun, RT, RW and landmark: where the problem is, said outside the reporter's home."""
    candidates: list[PlaceCandidate] = field(default_factory=list)
    """Desa/kelurahan considered, best first."""
    kecamatan_confidence: float = 0.0
    desa_confidence: float = 0.0
    home: PlaceDetail = field(default_factory=PlaceDetail)
    """Where the reporter said they live (not the problem's place, though it may be the same)."""


def explicit_kec_desa_conflict(options: list, kec_code: str) -> bool:
    """True when a desa was heard clearly but lies in another kecamatan (do not guess a local one then)."""
    return any(o[2].score >= 0.99 and o[2].cue == "desa" for o in options)


class Gazetteer:
    """The kecamatan and desa of Bojonegoro with fuzzy lookup that survives recognizer splits and misspellings."""

    def __init__(self, desas: list[Desa], aliases: dict[str, str] | None = None):
        self.desas = desas
        self.aliases = dict(aliases or {})
        """Misheard form's key → the name's key, learned from operators' place corrections (learning.learn_aliases)."""
        self.by_code = {d.code: d for d in desas}
        self.kecamatan: dict[str, tuple[str, str]] = {}
        for d in desas:
            self.kecamatan[_key(d.kecamatan)] = (d.kecamatan_code, d.kecamatan)
        self.desa_by_key: dict[str, list[Desa]] = {}
        for d in desas:
            self.desa_by_key.setdefault(_key(d.name), []).append(d)
        self.keys = sorted(set(self.kecamatan) | set(self.desa_by_key))
        self.fuzzy_keys = [k for k in self.keys if len(k) >= FUZZY_MIN_LEN]

    @classmethod
    def load(cls) -> Gazetteer:
        """The gazetteer shipped with the `models` package."""
        path = resources.files("models") / "data" / "bojonegoro_wilayah.csv"
        with path.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        return cls([Desa(r["kode_desa"], r["desa_kelurahan"], r["kode_kecamatan"], r["kecamatan"], r["jenis"]) for r in rows])

    def with_aliases(self, aliases: dict[str, str]) -> Gazetteer:
        """This gazetteer also knowing these misheard forms (key → name key); unknown targets are ignored."""
        known = {k: v for k, v in aliases.items() if v in self.kecamatan or v in self.desa_by_key}
        return Gazetteer(self.desas, {**self.aliases, **known})

    def mentions(self, tokens: list[str], raw_tokens: list[str] | None = None) -> list[Mention]:
        """Gazetteer names in a token list, joining up to 3 tokens ("kali tidu" → kalitidu)."""
        raw_tokens = raw_tokens or tokens
        keys = [_key(t) for t in tokens]
        found: list[Mention] = []
        windows: list[tuple[int, int, str]] = []
        for i in range(len(keys)):
            if not keys[i] or keys[i] in KECAMATAN_CUES or keys[i] in DESA_CUES:
                continue
            joined = ""
            for j in range(i, min(i + 3, len(keys))):
                if not keys[j] or (j > i and (keys[j] in KECAMATAN_CUES or keys[j] in DESA_CUES)):
                    break
                joined += keys[j]
                windows.append((i, j + 1, self.aliases.get(joined, joined)))
        fuzzy_queries = []
        for i, j, joined in windows:
            cue = self._cue(keys, i)
            if joined in self.kecamatan or joined in self.desa_by_key:
                if (joined in COMMON_WORD_NAMES and cue is None and not self._capitalised(raw_tokens, i)
                        and not (joined in self.kecamatan and self._follows_desa(found, raw_tokens, i))):
                    continue
                found.append(Mention(joined, i, j, 1.0, cue))
            elif len(joined) >= FUZZY_MIN_LEN:
                fuzzy_queries.append((i, j, joined, cue))
            elif cue == "kecamatan" and len(joined) >= 4 and j - i <= 2:
                match = process.extractOne(joined, list(self.kecamatan), scorer=fuzz.ratio,
                                           score_cutoff=CUED_KECAMATAN_CUTOFF)
                if match:
                    found.append(Mention(match[0], i, j, match[1] / 100 * 0.9, cue))
        if fuzzy_queries:
            scores = process.cdist([q[2] for q in fuzzy_queries], self.fuzzy_keys, scorer=fuzz.ratio,
                                   score_cutoff=FUZZY_CUTOFF, workers=1)
            for (i, j, joined, cue), row in zip(fuzzy_queries, scores):
                best = int(row.argmax())
                score = float(row[best])
                if score <= 0:
                    continue
                key = self.fuzzy_keys[best]
                # a near miss needs a cue or must not be an ordinary word glued to its neighbour
                if key in COMMON_WORD_NAMES and cue is None:
                    continue
                if cue is None and score < 90 and j - i == 1:
                    continue
                # "sekarang" is not Desa Sekaran: an everyday word is a place only after a cue
                if cue is None and j - i == 1 and _everyday_word(raw_tokens[i]):
                    continue
                found.append(Mention(key, i, j, score / 100 * 0.95, cue))
        # keep the best mention per overlapping span
        found.sort(key=lambda m: (-m.score, -(m.end - m.start)))
        chosen: list[Mention] = []
        for m in found:
            if all(m.end <= c.start or m.start >= c.end for c in chosen):
                chosen.append(m)
        return sorted(chosen, key=lambda m: m.start)

    @staticmethod
    def _cue(keys: list[str], i: int) -> str | None:
        for back in (1, 2):
            if i - back < 0:
                return None
            k = keys[i - back]
            if k in KECAMATAN_CUES:
                return "kecamatan"
            if k in DESA_CUES:
                return "desa"
            if k not in ("di", "ing", "neng", "dari", "wilayah", "daerah", "nomor"):
                return None
        return None

    @staticmethod
    def _follows_desa(found: list[Mention], raw_tokens: list[str], i: int) -> bool:
        """True when token i comes right after a desa name ("desa sendang rejo, dander"): a kecamatan then."""
        before = i - 1 if i > 0 and raw_tokens[i - 1] == "," else i
        return any(m.end == before and m.cue == "desa" for m in found)

    @staticmethod
    def _capitalised(raw_tokens: list[str], i: int) -> bool:
        tok = raw_tokens[i]
        prev = raw_tokens[i - 1] if i > 0 else "."
        return tok[:1].isupper() and not prev.endswith((".", "!", "?"))

    def _local_desa(self, tokens: list[str], kec_code: str) -> tuple[Desa, float] | None:
        """A desa of the given kecamatan said right after a cue, matched loosely (short or badly heard names)."""
        names = [d for d in self.desas if d.kecamatan_code == kec_code]
        keys = [_key(d.name) for d in names]
        best: tuple[Desa, float] | None = None
        for i, tok in enumerate(tokens[:-1]):
            if tok.lower() not in LOCAL_CUES:
                continue
            for width in (1, 2):
                window = "".join(_key(t) for t in tokens[i + 1:i + 1 + width])
                if len(window) < 3 or (width == 2 and _key(tokens[i + 1]) in self.kecamatan):
                    continue
                match = process.extractOne(window, keys, scorer=fuzz.ratio, score_cutoff=LOCAL_FUZZY_CUTOFF)
                if match and (best is None or match[1] / 100 * 0.8 > best[1]):
                    best = (names[match[2]], round(match[1] / 100 * 0.8, 3))
        return best

    def locate(self, text: str, context_kecamatan_code: str | None = None, home: Sequence[tuple[int, int]] = ()) -> Place:
        """The place of a normalised transcript; `context_kecamatan_code` (e.g. the caller's earlier reports) breaks ties.
        `home` are the spans of the text that say where the reporter lives: their dusun, RT/RW and landmark are the
        place's `home`, not where the problem is."""
        raw_tokens = re.findall(r"[\w'-]+|[.,!?]", text)
        mentions = self.mentions(raw_tokens, raw_tokens)
        kec_votes: dict[str, float] = {}
        desa_options: list[tuple[Desa, float, Mention]] = []
        for m in mentions:
            is_kec = m.key in self.kecamatan
            is_desa = m.key in self.desa_by_key
            if is_kec and (m.cue == "kecamatan" or not is_desa or m.cue is None):
                code = self.kecamatan[m.key][0]
                weight = m.score * (1.5 if m.cue == "kecamatan" else (0.6 if is_desa else 1.0))
                kec_votes[code] = max(kec_votes.get(code, 0.0), weight)
            if is_desa and m.cue != "kecamatan":
                for d in self.desa_by_key[m.key]:
                    weight = m.score * (1.2 if m.cue == "desa" else (0.7 if is_kec else 1.0))
                    desa_options.append((d, weight, m))
        kec_code = max(kec_votes, key=kec_votes.get) if kec_votes else None
        explicit_kec = kec_code is not None and any(
            m.cue == "kecamatan" or (m.key in self.kecamatan and m.key not in self.desa_by_key) for m in mentions
        )

        def rank(option: tuple[Desa, float, Mention]) -> float:
            d, weight, m = option
            bonus = 0.0
            if kec_code and d.kecamatan_code == kec_code:
                bonus += 0.6
            elif context_kecamatan_code and d.kecamatan_code == context_kecamatan_code:
                bonus += 0.3
            if kec_code and explicit_kec and d.kecamatan_code != kec_code:
                bonus -= 0.5
            # a desa named like its own kecamatan is weaker evidence than another desa named in the text
            if m.key in self.kecamatan and any(o[2] is not m for o in desa_options):
                bonus -= 0.3
            return weight + bonus

        desa_options.sort(key=rank, reverse=True)
        candidates: list[PlaceCandidate] = []
        seen: set[str] = set()
        for d, _w, _m in desa_options:
            if d.code not in seen:
                seen.add(d.code)
                candidates.append(PlaceCandidate(d.code, d.name, d.kecamatan, round(max(0.0, min(1.0, rank((d, _w, _m)) / 1.8)), 3)))
        best: Desa | None = desa_options[0][0] if desa_options else None
        desa_conf = 0.0
        if best is not None:
            same_name = [o for o in desa_options if _key(o[0].name) == _key(best.name)]
            ambiguous = len({o[0].code for o in same_name}) > 1
            resolved = kec_code == best.kecamatan_code or context_kecamatan_code == best.kecamatan_code
            desa_conf = desa_options[0][2].score * (0.5 if ambiguous and not resolved else 1.0)
            if not kec_code or (not explicit_kec and kec_code != best.kecamatan_code):
                kec_code = best.kecamatan_code
            elif explicit_kec and kec_code != best.kecamatan_code:
                # the named kecamatan wins; the desa stays a candidate only
                best = None
                desa_conf = 0.0
        if best is None and kec_code and not explicit_kec_desa_conflict(desa_options, kec_code):
            local = self._local_desa(raw_tokens, kec_code)
            if local is not None:
                best, desa_conf = local
                candidates.insert(0, PlaceCandidate(best.code, best.name, best.kecamatan, round(desa_conf, 3)))
        kec_name = next((name for code, name in self.kecamatan.values() if code == kec_code), None)
        kec_conf = 0.0
        if kec_code:
            kec_conf = min(1.0, kec_votes.get(kec_code, 0.0)) if kec_code in kec_votes else desa_conf * 0.9
            if best is not None and best.kecamatan_code == kec_code and kec_code in kec_votes:
                kec_conf = min(1.0, kec_conf + 0.1)
        outside = text
        for start, end in home:
            outside = outside[:start] + " " * (end - start) + outside[end:]
        problem = PlaceDetail.said(outside)
        return Place(
            kecamatan=kec_name,
            kecamatan_code=kec_code,
            desa=best.name if best else None,
            desa_code=best.code if best else None,
            dusun=problem.dusun,
            rt=problem.rt,
            rw=problem.rw,
            landmark=problem.landmark,
            candidates=candidates[:5],
            kecamatan_confidence=round(kec_conf, 3),
            desa_confidence=round(desa_conf, 3),
            home=PlaceDetail.said(" . ".join(text[start:end] for start, end in home)),
        )
