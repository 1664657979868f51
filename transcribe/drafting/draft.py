"""The Draft of a complaint and the Drafter that builds it from a transcript."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from models.identity import home_spans
from transcribe.drafting.description import describe
from transcribe.drafting.fields import (
    classify, find_phones, find_privacy_request, find_reporter_name, find_sensitive, find_urgency, make_title,
)
from transcribe.drafting.gazetteer import Gazetteer, PlaceDetail
from transcribe.drafting.normalize import normalize
from transcribe.drafting.router import LOW_CONFIDENCE_WORD, Router, load_keywords, load_router, router_text
from transcribe.drafting.suggestions import DraftSuggestions, DuplicateSuggestion, PlaceCandidate, TopicAlternative
from transcribe.drafting.taxonomy import load_taxonomy

log = logging.getLogger(__name__)
MIN_CONTENT_WORDS = 3
"""Fewer content words than this and the topic is `lainnya` (nothing to route)."""
LAINNYA_MIN_SCORE = 0.2
"""A top topic score below this (a flat distribution) routes to `lainnya`."""


@dataclass(frozen=True)
class Draft:
    """A complaint drafted from one transcript; every extracted field has a confidence in `confidences`."""

    text: str
    """Verbatim transcript."""
    normalized_text: str
    classification: str
    """pengaduan | aspirasi | permintaan_informasi"""
    topic: str
    topics: list[tuple[str, float]]
    agency: str
    title: str
    description: str
    reporter_name: str | None = None
    phones: list[str] = field(default_factory=list)
    kecamatan: str | None = None
    kecamatan_code: str | None = None
    desa: str | None = None
    desa_code: str | None = None
    dusun: str | None = None
    rt: str | None = None
    rw: str | None = None
    landmark: str | None = None
    """Dusun, RT, RW and landmark of where the problem is."""
    reporter_home: str | None = None
    """Where the reporter said they live ("Dusun Krajan, RT 01/RW 02")."""
    privacy_request: str | None = None
    """The words with which the reporter asked not to be named ("tolong nama saya dirahasiakan")."""
    place_candidates: list[PlaceCandidate] = field(default_factory=list)
    urgent: bool = False
    urgency_reason: str | None = None
    sensitive: list[dict] = field(default_factory=list)
    """{"kind": "nik"|"bank_account", "span": [start, end]}; spans index `normalized_text`."""
    incident_dates: list[tuple[str, str]] = field(default_factory=list)
    """(words said, ISO date) resolved against the time the call was received."""
    confidences: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["topics"] = [[k, s] for k, s in self.topics]
        data["place_candidates"] = [c.to_json() for c in self.place_candidates]
        data["incident_dates"] = [list(d) for d in self.incident_dates]
        return data

    def location_detail(self, private: bool = False) -> str | None:
        """Where the problem is within the desa. When nothing is said of it, an ordinary complaint's is the
        reporter's home (a flooded house, an aid recipient); an anonymous or confidential one's is left empty."""
        detail = PlaceDetail(self.dusun, self.rt, self.rw, self.landmark).label
        return detail or (None if private else self.reporter_home)

    def suggestions(self, duplicates: Sequence[DuplicateSuggestion] = ()) -> DraftSuggestions:
        """What the operator should check, as stored with the draft complaint."""
        return DraftSuggestions(
            topics=tuple(TopicAlternative(k, s) for k, s in self.topics),
            places=tuple(self.place_candidates),
            duplicates=tuple(duplicates),
            confidences=dict(self.confidences),
            normalized_text=self.normalized_text,
            urgency_reason=self.urgency_reason,
            sensitive=tuple((str(s["kind"]), int(s["span"][0]), int(s["span"][1])) for s in self.sensitive),
            incident_dates=tuple(self.incident_dates),
            reporter_name=self.reporter_name,
            privacy_request=self.privacy_request,
        )

    def to_cli_dict(self, id: Any) -> dict[str, Any]:  # noqa: A002 - the CLI field is called id
        """One output line of `suara draft --jsonl`."""
        return {
            "id": id, "classification": self.classification, "topic": self.topic,
            "topics": [[k, s] for k, s in self.topics], "agency": self.agency, "title": self.title,
            "reporter_name": self.reporter_name, "phones": list(self.phones), "kecamatan": self.kecamatan,
            "desa": self.desa, "rt": self.rt, "rw": self.rw, "urgent": self.urgent,
            "sensitive": [dict(s) for s in self.sensitive],
        }


TYPED_PLACE_SURE = 0.9
"""A place typed beside a caller's name is taken only when the gazetteer is at least this sure of it."""


@dataclass(frozen=True)
class TypedReporter:
    """The reporter as an operator typed them beside a caller: "Pak Bambang, Kalitidu"."""

    name: str | None
    place_code: str | None = None
    """The desa (or kecamatan) typed after the comma, when it names exactly one; else None."""


class Drafter:
    """Builds Drafts; the gazetteer and router are loaded on first use and shared (thread-safe)."""

    def __init__(self, router: Router | None = None, gazetteer: Gazetteer | None = None):
        self._router = router
        self._gazetteer = gazetteer
        self._lock = threading.Lock()
        self._keywords: dict | None = None

    def _load(self) -> tuple[Router, Gazetteer, dict]:
        if self._router is None or self._gazetteer is None or self._keywords is None:
            with self._lock:
                if self._gazetteer is None:
                    self._gazetteer = Gazetteer.load()
                if self._router is None:
                    self._router = load_router()
                    log.info("router loaded")
                if self._keywords is None:
                    self._keywords = load_keywords()
        return self._router, self._gazetteer, self._keywords  # type: ignore[return-value]

    def warm_up(self) -> None:
        """Load the models now rather than on the first draft."""
        self.draft("jalan rusak di desa Sumengko")

    def route(self, text: str, words: list[dict] | None = None, *, recognised: bool | None = None,
              alternatives: Sequence[str] = ()) -> list[tuple[str, float]]:
        """Top-3 (topic, score) for a text; low-confidence recognizer words do not count as keywords.

        `recognised` (default: words were given) says the text comes from a recognizer: its scores are flat
        because it is garbled, so a flat distribution keeps its best topic (with its low score for the
        operator) instead of falling back to `lainnya`. `alternatives` are the recognizer's other readings
        of the same audio (normalised like `text`): the router averages over all of them.
        """
        router, _, _ = self._load()
        unsure = frozenset(
            w for item in (words or []) if float(item.get("conf", 1.0)) < LOW_CONFIDENCE_WORD
            for w in router_text(str(item.get("word", ""))).split()
        )
        if len(router_text(text).split()) < MIN_CONTENT_WORDS:
            return [("lainnya", 1.0)]
        topics = router.predict(text, unsure, alternatives=alternatives)
        # In typed text a flat distribution means nothing fits, unless a domain word of the top topic is there.
        # Recognised text is flat because it is garbled: its best guess is still better than `lainnya`.
        if recognised is None:
            recognised = words is not None
        if (topics[0][1] < LAINNYA_MIN_SCORE and not recognised
                and not router.keyword_evidence(text, topics[0][0], unsure)):
            topics = [("lainnya", topics[0][1])] + [t for t in topics if t[0] != "lainnya"][:2]
        return topics

    def typed_reporter(self, typed: str) -> TypedReporter:
        """Split what an operator typed for a caller into the name and the place after the comma ("name, desa").

        A place that could be one of several (two desa called Kauman) is not guessed; when what follows the comma
        names no place at all, everything typed is the name.
        """
        typed = " ".join(typed.split())
        name, comma, rest = typed.partition(",")
        if not comma:
            return TypedReporter(typed or None)
        _, gazetteer, _ = self._load()
        # "Kec. Kapas": a full stop would end the sentence before the name for the gazetteer
        place = gazetteer.locate(normalize(rest.replace(".", " ")).text)
        if not (place.desa_code or place.kecamatan_code or place.candidates):
            return TypedReporter(typed)
        if place.desa_code and place.desa_confidence >= TYPED_PLACE_SURE:
            code = place.desa_code
        elif place.kecamatan_code and not place.desa_code and place.kecamatan_confidence >= TYPED_PLACE_SURE:
            code = place.kecamatan_code
        else:
            code = None
        return TypedReporter(name.strip() or None, code)

    def draft(self, text: str, *, caller_number: str | None = None, words: list[dict] | None = None,
              received_at: datetime | None = None, context_kecamatan_code: str | None = None,
              alternatives: Sequence[str] = ()) -> Draft:
        """Draft a complaint from a transcript and the call's metadata; `alternatives` are the recognizer's
        other readings of the audio, used for routing only."""
        _, gazetteer, keywords = self._load()
        norm = normalize(text, received_at)
        place = gazetteer.locate(norm.text, context_kecamatan_code, home=home_spans(norm.text))
        topics = self.route(norm.text, words, alternatives=[normalize(a, received_at).text for a in alternatives])
        topic = topics[0][0]
        taxonomy = load_taxonomy()
        classification, class_conf = classify(norm.text)
        urgent, reason = find_urgency(norm.text)
        desa_kind = gazetteer.by_code[place.desa_code].kind if place.desa_code else None
        title = make_title(norm.text, topic, keywords, place.desa, place.kecamatan, desa_kind)
        name = find_reporter_name(norm.text)
        phones = find_phones(norm.text, caller_number)
        description = describe(norm.clean, name, gazetteer)
        confidences = {
            "topic": topics[0][1],
            "classification": round(class_conf, 3),
            "kecamatan": place.kecamatan_confidence,
            "desa": place.desa_confidence,
            "reporter_name": 0.7 if name else 0.0,
            "phones": 1.0 if caller_number and phones else (0.8 if phones else 0.0),
            "rt": 0.9 if place.rt else 0.0,
            "rw": 0.9 if place.rw else 0.0,
            "urgent": 0.8 if urgent else 0.6,
            "title": title.confidence,
        }
        return Draft(
            text=text, normalized_text=norm.text, classification=classification, topic=topic, topics=topics,
            agency=taxonomy.agency_for(topic), title=title.text, description=description, reporter_name=name,
            phones=phones, kecamatan=place.kecamatan, kecamatan_code=place.kecamatan_code, desa=place.desa,
            desa_code=place.desa_code, dusun=place.dusun, rt=place.rt, rw=place.rw, landmark=place.landmark,
            reporter_home=place.home.label, privacy_request=find_privacy_request(norm.text),
            place_candidates=place.candidates, urgent=urgent, urgency_reason=reason,
            sensitive=find_sensitive(norm.text),
            incident_dates=[(d.text, d.day.isoformat()) for d in norm.dates], confidences=confidences,
        )
