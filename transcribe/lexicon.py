"""Spelling repair of recognised Indonesian against a word-frequency lexicon.

Whisper base hears telephone Indonesian mostly right but writes many words one or two letters off
("pencailan" for pencairan, "atif" for aktif, "mandir" for mandiri). A word that is rare in Indonesian is
replaced by the most frequent lexicon word within a small edit distance, each letter changed costing
one Zipf unit of frequency. Measured with the Whisper engine (scripts/bench_engines.py, 33 speech_dev
sentences): WER 0.588 -> 0.539 at telephone quality, 0.684 -> 0.632 at radio quality; on the 379 spoken
first sentences of routing_dev.jsonl (scripts/make_asr_training.py --reports): 0.696 -> 0.650.

The lexicon is wordfreq's Indonesian list (a dependency: its data is CC BY-SA, not copied here) plus
our own domain words (Bojonegoro's places, the taxonomy and our labelled phrases), which are never
"repaired" into something else.
"""

from __future__ import annotations

import csv
import functools
import json
import re
import threading
from importlib import resources

KEEP_ZIPF = 3.0
"""A word at least this frequent (Zipf scale: 3 = once per million words) is left as heard."""
MIN_CANDIDATE_ZIPF = 3.0
"""Only words at least this frequent are offered as repairs."""
LETTER_COST = 1.0
"""Zipf units a candidate loses per edited letter."""
MIN_LENGTH = 4
"""Shorter words (and numbers, acronyms in capitals) are left alone: too many near neighbours."""

_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


class Lexicon:
    """Frequencies of repair candidates, and the words that are always right. Thread-safe."""

    def __init__(self, candidates: dict[str, float], known: frozenset[str]) -> None:
        self.candidates = candidates
        self.known = known
        self._words = list(candidates)
        self._repaired: dict[str, str] = {}
        self._lock = threading.Lock()

    def repair_word(self, word: str) -> str:
        """The word as it was probably said (lower case in, lower case out)."""
        if len(word) < MIN_LENGTH or word in self.known or _zipf(word) >= KEEP_ZIPF:
            return word
        if word in self._repaired:
            return self._repaired[word]
        from rapidfuzz import distance, process

        max_edits = 1 if len(word) <= 5 else 2
        best, best_score = word, float("-inf")
        for candidate, edits, _ in process.extract(
            word, self._words, scorer=distance.Levenshtein.distance, limit=10, score_cutoff=max_edits
        ):
            score = self.candidates[candidate] - LETTER_COST * edits
            if score > best_score:
                best, best_score = candidate, score
        with self._lock:
            self._repaired[word] = best
        return best

    def repair(self, text: str) -> str:
        """`text` with its rare words repaired; punctuation, spacing and capitals kept.

        Names are left as heard: acronyms (BPJS), and capitalised words inside a sentence, which is how
        Whisper writes people and places ("Nur Solihim", "Kali Tidu": the gazetteer matches those)."""

        def one(match: re.Match[str]) -> str:
            token = match.group(0)
            if token[:1].isupper() and (token.isupper() or not _starts_sentence(text, match.start())):
                return token
            return _same_case(token, self.repair_word(token.lower()))

        return _TOKEN.sub(one, text)


def _starts_sentence(text: str, position: int) -> bool:
    before = text[:position].rstrip()
    return not before or before[-1] in ".!?"


def _same_case(original: str, repaired: str) -> str:
    if repaired == original.lower():
        return original
    if original[:1].isupper():
        return repaired[:1].upper() + repaired[1:]
    return repaired


@functools.lru_cache(maxsize=200_000)
def _zipf(word: str) -> float:
    import wordfreq

    return wordfreq.zipf_frequency(word, "id")


def _domain_words() -> set[str]:
    """Words of our own data: places of Bojonegoro, taxonomy keywords, labelled topic phrases."""
    texts: list[str] = []
    wilayah = resources.files("models.data").joinpath("bojonegoro_wilayah.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(wilayah.splitlines()):
        texts += [row["kecamatan"], row["desa_kelurahan"]]
    texts.append(resources.files("models.data").joinpath("taxonomy.json").read_text(encoding="utf-8"))
    drafting = resources.files("transcribe.drafting").joinpath("data")
    texts.append(json.dumps(json.loads(drafting.joinpath("keywords.json").read_text(encoding="utf-8")), ensure_ascii=False))
    texts.append(drafting.joinpath("topic_phrases.txt").read_text(encoding="utf-8"))
    return {w.lower() for text in texts for w in _TOKEN.findall(text) if len(w) >= MIN_LENGTH}


@functools.lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """The Indonesian lexicon (built once per process: about 1.4 s)."""
    import wordfreq

    candidates = {}
    for word in wordfreq.top_n_list("id", 40_000):
        if word.isalpha() and len(word) >= 3:
            zipf = wordfreq.zipf_frequency(word, "id")
            if zipf >= MIN_CANDIDATE_ZIPF:
                candidates[word] = zipf
    return Lexicon(candidates, frozenset(_domain_words()))
