"""What the review page shows beside the draft's fields: the drafter's suggestions joined with the records
they point at, and the operator's own input kept when a submit is refused."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session, joinedload

from models.entities import Complaint, Place, Topic
from transcribe.drafting.suggestions import DraftSuggestions
from web.places import PlaceDirectory

MAX_PLACE_CHIPS = 5
MAX_DUPLICATES = 5


@dataclass(frozen=True)
class Chip:
    """One suggestion the operator can pick with a click."""

    ident: int
    """Id of the Topic or Place it fills in."""
    label: str
    score: float | None
    check: bool = False
    """Highlighted: a tie or a weak score the operator should look at."""


@dataclass(frozen=True)
class DuplicateRow:
    complaint: Complaint
    score: float


def topic_chips(suggestions: DraftSuggestions, topics: Mapping[str, Topic]) -> list[Chip]:
    return [Chip(topics[t.key].id, topics[t.key].name, t.score) for t in suggestions.topics if t.key in topics][:3]


def place_chips(suggestions: DraftSuggestions, places: PlaceDirectory) -> list[Chip]:
    """Place candidates that exist in the directory, with ties and weak scores marked."""
    chips = []
    for candidate in suggestions.places:
        place = places.by_code.get(candidate.code)
        if place is not None:
            chips.append(Chip(place.id, place.label, candidate.score, suggestions.place_needs_check(candidate)))
    return chips[:MAX_PLACE_CHIPS]


def duplicate_rows(session: Session, suggestions: DraftSuggestions, complaint: Complaint,
                   visible: Select[tuple[Complaint]]) -> list[DuplicateRow]:
    """The suggested duplicates as they are now (title, date, status, place), among those the user may see."""
    scores = {d.id: d.score for d in suggestions.duplicates if d.id != complaint.id}
    if not scores:
        return []
    rows = session.scalars(visible.where(Complaint.id.in_(scores))
                           .options(joinedload(Complaint.place).joinedload(Place.parent))).unique().all()
    found = {c.id: c for c in rows}
    return [DuplicateRow(found[i], s) for i, s in scores.items() if i in found][:MAX_DUPLICATES]


class FormValues:
    """The values a field shows: what the operator submitted when the submit was refused, else the record's."""

    def __init__(self, form: Mapping[str, Any] | None = None):
        self.form = form

    def get(self, name: str, default: Any = "") -> Any:
        if self.form is None:
            return "" if default is None else default
        return self.form.get(name, "")

    def checked(self, name: str, default: bool) -> bool:
        if self.form is None:
            return bool(default)
        return self.form.get(name) in ("1", "on", "true", "y")

    def id(self, name: str, default: int | None) -> int | None:
        """A submitted id field (empty: None)."""
        if self.form is None:
            return default
        raw = self.form.get(name) or ""
        return int(raw) if raw.isdigit() else None


@dataclass(frozen=True)
class Refusal:
    """A lifecycle action the domain refused: the complaint page shows its form again with what was typed."""

    action: str
    """The action's URL name ("tunda")."""
    operation: str
    """The lifecycle operation it runs ("pause"): its form is on the page only while the operation is allowed."""
    values: FormValues
    message: str
    field: str | None = None
    """The field at fault, marked on the form."""

    def shown_in(self, operations: list[str]) -> bool:
        return self.operation in operations

    @property
    def typed(self) -> str:
        """What the person wrote, for when the form itself is no longer offered."""
        return str(self.values.get("text") or self.values.get("note") or "").strip()
