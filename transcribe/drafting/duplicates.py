"""Likely duplicates: the same problem at the same place as an open complaint."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rapidfuzz import fuzz

DEFAULT_THRESHOLD = 0.6
_STOP = frozenset(
    "yang di dan ke dari ini itu ada sudah belum tidak saya kami mohon tolong pak bu mas desa kecamatan dusun rt rw "
    "untuk dengan karena sangat sekali juga akan bisa lagi nggih niku terima kasih segera".split()
)


@dataclass(frozen=True)
class DuplicateCandidate:
    """What duplicate scoring needs of a complaint or draft."""

    id: Any
    topic: str | None
    text: str
    desa_code: str | None = None
    kecamatan_code: str | None = None
    created_at: datetime | None = None


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def _content(text: str) -> str:
    words = re.findall(r"[a-z]+", (text or "").lower())
    return " ".join(w for w in words if w not in _STOP and len(w) > 2)


def _text_of(obj: Any) -> str:
    return _get(obj, "normalized_text") or _get(obj, "text") or _get(obj, "description") or ""


SAME_SHOW_THRESHOLD = 0.75
"""Two callers of one radio show whose words are this alike are the same complaint (a caller who called
again, a segment heard twice), whatever place or topic the drafter found."""


def text_similarity(a: Any, b: Any) -> float:
    """0..1: how alike the content words of a and b are (word order and filler words aside)."""
    return round(fuzz.token_set_ratio(_content(_text_of(a)), _content(_text_of(b))) / 100.0, 3)


def duplicate_score(a: Any, b: Any) -> float:
    """0..1: how likely a and b report the same problem at the same place (dicts or objects with topic, codes, text)."""
    desa_a, desa_b = _get(a, "desa_code"), _get(b, "desa_code")
    kec_a, kec_b = _get(a, "kecamatan_code"), _get(b, "kecamatan_code")
    if desa_a and desa_b:
        place = 1.0 if desa_a == desa_b else 0.0
    elif kec_a and kec_b:
        place = 0.6 if kec_a == kec_b else 0.0
    else:
        place = 0.3
    if place == 0.0:
        return 0.0
    topic_a, topic_b = _get(a, "topic"), _get(b, "topic")
    topic = 1.0 if topic_a and topic_a == topic_b else 0.2
    text = text_similarity(a, b)
    score = place * (0.45 * topic + 0.55 * text)
    return round(min(1.0, score), 3)


def find_duplicates(draft: Any, candidates: list[Any], now: datetime, window_days: int = 30,
                    threshold: float = DEFAULT_THRESHOLD) -> list[tuple[Any, float]]:
    """(id, score) of candidates created within the window that score at least the threshold, best first."""
    since = now - timedelta(days=window_days)
    out: list[tuple[Any, float]] = []
    for cand in candidates:
        created = _get(cand, "created_at")
        if created is not None and (created < since or created > now):
            continue
        score = duplicate_score(draft, cand)
        if score >= threshold:
            out.append((_get(cand, "id"), score))
    return sorted(out, key=lambda x: -x[1])
