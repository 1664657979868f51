"""What drafting suggests for an operator to check, as stored in `Complaint.suggestions` (JSON).

One typed shape crosses the boundary between the drafter that writes it and the review page that reads
it. `from_json` also reads the shapes stored before this module existed (rows in existing databases):
topics as `[key, score]`, place candidates as `[code, "Name, Kec. X", score]` under `place_candidates`,
duplicates as `[id, score]`, confidences under `confidences`. Anything unreadable is skipped, never fatal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

VERSION = 2
TIE_MARGIN = 0.05
"""Two place candidates closer than this are a tie the operator must decide."""
CHECK_BELOW = 0.8
"""A place candidate scored under this is highlighted for checking."""


def _score(value: Any) -> float | None:
    try:
        score = float(value)
    except (TypeError, ValueError):
        return None
    return score if 0.0 <= score <= 1.0 else None


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, int)) and str(value).strip() else None


@dataclass(frozen=True)
class TopicAlternative:
    """A topic the router proposes."""

    key: str
    score: float
    """0..1, the router's probability."""

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "score": round(self.score, 3)}

    @classmethod
    def from_json(cls, raw: Any) -> TopicAlternative | None:
        if isinstance(raw, (list, tuple)) and len(raw) >= 2:
            key, score = _text(raw[0]), _score(raw[1])
        elif isinstance(raw, Mapping):
            key, score = _text(raw.get("key") or raw.get("topic")), _score(raw.get("score"))
        else:
            return None
        return cls(key, score) if key and score is not None else None


@dataclass(frozen=True)
class PlaceCandidate:
    """A desa/kelurahan (or kecamatan) the transcript may be about."""

    code: str
    """Kemendagri code of the place (as `Place.code`)."""
    label: str
    """The place's own name ("Pejok")."""
    kecamatan: str | None
    """Name of its kecamatan; None for a kecamatan itself."""
    score: float
    """0..1, how strongly the transcript points at it."""

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "kecamatan": self.kecamatan, "score": round(self.score, 3)}

    @classmethod
    def from_json(cls, raw: Any) -> PlaceCandidate | None:
        if isinstance(raw, (list, tuple)) and len(raw) >= 3:  # stored before version 2: [code, "Name, Kec. X", score]
            code, label, score = _text(raw[0]), _text(raw[1]), _score(raw[2])
            kecamatan = None
            if label and ", Kec. " in label:
                label, kecamatan = label.split(", Kec. ", 1)
        elif isinstance(raw, Mapping):
            code, label, score = _text(raw.get("code")), _text(raw.get("label")), _score(raw.get("score"))
            kecamatan = _text(raw.get("kecamatan"))
        else:
            return None
        if not code or score is None:
            return None
        return cls(code, label or code, kecamatan, score)


@dataclass(frozen=True)
class DuplicateSuggestion:
    """An open complaint that may report the same problem at the same place."""

    id: int
    """`Complaint.id` of the earlier complaint."""
    score: float
    reference: str | None = None
    title: str = ""
    status: str = ""
    """Values when the draft was made; the page shows the complaint as it is now."""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "reference": self.reference, "title": self.title, "score": round(self.score, 3),
                "status": self.status}

    @classmethod
    def from_json(cls, raw: Any) -> DuplicateSuggestion | None:
        if isinstance(raw, (list, tuple)) and len(raw) >= 2:  # stored before version 2: [id, score]
            ident, score, rest = raw[0], _score(raw[1]), {}
        elif isinstance(raw, Mapping):
            ident, score, rest = raw.get("id"), _score(raw.get("score")), raw
        else:
            return None
        if not isinstance(ident, int) or isinstance(ident, bool) or score is None:
            return None
        return cls(ident, score, _text(rest.get("reference")), str(rest.get("title") or ""), str(rest.get("status") or ""))


@dataclass(frozen=True)
class DraftSuggestions:
    """Everything drafting proposes beside the fields it filled in."""

    topics: tuple[TopicAlternative, ...] = ()
    places: tuple[PlaceCandidate, ...] = ()
    """Best first."""
    duplicates: tuple[DuplicateSuggestion, ...] = ()
    """Best first."""
    confidences: Mapping[str, float] = field(default_factory=dict)
    """Field name → 0..1, how sure the drafter is of the value it filled in."""
    normalized_text: str = ""
    urgency_reason: str | None = None
    sensitive: tuple[tuple[str, int, int], ...] = ()
    """(kind, start, end) of NIK and bank account numbers in `normalized_text`."""
    incident_dates: tuple[tuple[str, str], ...] = ()
    """(words said, ISO date)."""
    no_speech: bool = False
    """The audio held no speech: the call was not drafted."""
    reporter_name: str | None = None
    """The name the drafter found: the identity filter masks it also after an operator cleared the name field."""
    privacy_request: str | None = None
    """The words with which the reporter asked not to be named: the draft is marked anonymous for the operator."""

    @property
    def place_tie(self) -> bool:
        """Two candidates score (almost) alike: the operator must choose."""
        return len(self.places) > 1 and self.places[0].score - self.places[1].score < TIE_MARGIN

    def place_needs_check(self, candidate: PlaceCandidate) -> bool:
        """Highlight: part of a tie at the top, or scored under CHECK_BELOW."""
        tied = self.place_tie and candidate.score >= self.places[0].score - TIE_MARGIN
        return tied or candidate.score < CHECK_BELOW

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "topics": [t.to_json() for t in self.topics],
            "places": [p.to_json() for p in self.places],
            "duplicates": [d.to_json() for d in self.duplicates],
            "confidences": {k: round(float(v), 3) for k, v in self.confidences.items()},
            "normalized_text": self.normalized_text,
            "urgency_reason": self.urgency_reason,
            "sensitive": [{"kind": k, "span": [a, b]} for k, a, b in self.sensitive],
            "incident_dates": [list(d) for d in self.incident_dates],
            "no_speech": self.no_speech,
            "reporter_name": self.reporter_name,
            "privacy_request": self.privacy_request,
        }

    @classmethod
    def from_json(cls, raw: Any) -> DraftSuggestions:
        """Read any stored version; what cannot be read is left out."""
        if not isinstance(raw, Mapping):
            return cls()

        def items(*names: str) -> list[Any]:
            for name in names:
                value = raw.get(name)
                if isinstance(value, list):
                    return value
            return []

        def parsed(kind: Any, *names: str) -> tuple[Any, ...]:
            return tuple(x for x in (kind.from_json(item) for item in items(*names)) if x is not None)

        confidences = raw.get("confidences", raw.get("confidence"))
        sensitive = []
        for item in items("sensitive"):
            span = item.get("span") if isinstance(item, Mapping) else None
            if isinstance(span, list) and len(span) == 2 and all(isinstance(x, int) for x in span):
                sensitive.append((str(item.get("kind", "")), span[0], span[1]))
        return cls(
            topics=parsed(TopicAlternative, "topics"),
            places=parsed(PlaceCandidate, "places", "place_candidates"),
            duplicates=parsed(DuplicateSuggestion, "duplicates"),
            confidences={str(k): float(v) for k, v in confidences.items()
                         if isinstance(v, (int, float)) and not isinstance(v, bool)}
            if isinstance(confidences, Mapping) else {},
            normalized_text=str(raw.get("normalized_text") or ""),
            urgency_reason=_text(raw.get("urgency_reason")),
            sensitive=tuple(sensitive),
            incident_dates=tuple((str(d[0]), str(d[1])) for d in items("incident_dates")
                                 if isinstance(d, (list, tuple)) and len(d) == 2),
            no_speech=raw.get("no_speech") is True,
            reporter_name=_text(raw.get("reporter_name")),
            privacy_request=_text(raw.get("privacy_request")),
        )
