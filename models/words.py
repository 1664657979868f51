"""What a single Indonesian word is: how common (wordfreq), and whether it is a verb made from a known root."""

from __future__ import annotations

from functools import lru_cache

VERB_PREFIXES = ("di", "ter", "ke")
"""Prefixes of the passive and of what happened to someone ("dicoret", "terdaftar", "kecoret", "kebanjiran")."""
VERB_SUFFIXES = ("kan", "an", "i", "nya", "")
MIN_ROOT = 4
"""A shorter rest is part of a name ("Dimas", "Diah", "Kemal"), not a root."""
ROOT_ZIPF = 3.5
"""The root of a verb is at least this common ("coret" 3.6, "hapus" 4.2); names' rests are rarer ("nari" 3.5)."""
WORD_ZIPF = 3.0
"""A di-/ter- word itself this common is a verb ("tercantum", "tergenang") even when its root is not listed."""


@lru_cache(maxsize=65536)
def word_zipf(word: str) -> float:
    """How common a (lowercase) word is in Indonesian, on wordfreq's Zipf scale (0 for unknown words)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "id")


@lru_cache(maxsize=16384)
def verb_form(word: str) -> bool:
    """Whether `word` is a verb made with di-, ter- or ke- from a known root: what is said about a name ("nama saya
    dicoret") or a place ("rumah saya di dekat sungai kebanjiran"), never the name itself."""
    low = word.lower()
    for prefix in VERB_PREFIXES:
        rest = low[len(prefix):]
        if not low.startswith(prefix) or len(rest) < MIN_ROOT or not rest.isalpha():
            continue
        if prefix != "ke" and word_zipf(low) >= WORD_ZIPF:
            return True
        for suffix in VERB_SUFFIXES:
            root = rest[: len(rest) - len(suffix)] if suffix else rest
            if rest.endswith(suffix) and len(root) >= MIN_ROOT and word_zipf(root) >= ROOT_ZIPF:
                return True
    return False
