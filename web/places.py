"""The places of the regency for forms: grouped options, lookup by code or id, and a forgiving search.

The search is what the review page's place picker asks as the operator types: "kedung adem" finds
Kedungadem, "sumberjo" finds every Sumberejo, "pejok kepohbaru" the Pejok of that kecamatan. Accents,
spaces, case and old spellings (oe, dj, tj) do not matter; a letter or two wrong still matches.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from rapidfuzz import fuzz
from sqlalchemy import select

from models.entities import Place, Role
from web.auth import role_required
from web.state import db

bp = Blueprint("places", __name__)
SEARCH_LIMIT = 12
MIN_SCORE = 72.0
"""Weakest match (0..100) still offered."""
FIND_ACTION = "cari_tempat"
"""The `action` of the "Cari lokasi" button: search the typed place text on the server (JavaScript off)."""


def search_key(text: str) -> str:
    """Letters only, accents dropped, Dutch-era spellings folded: how names are compared."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z]", "", plain).replace("oe", "u").replace("dj", "j").replace("tj", "c")


@dataclass(frozen=True)
class PlaceOption:
    id: int
    code: str
    label: str
    """"Desa Pejok, Kec. Kepohbaru", "Kel. Kadipaten, Kec. Bojonegoro" or "Kec. Dander"."""
    name: str
    kecamatan: str
    is_kecamatan: bool = False

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "code": self.code, "label": self.label, "kecamatan": self.kecamatan}


class PlaceDirectory:
    """Every kecamatan and desa/kelurahan (reference data, loaded once per app)."""

    def __init__(self, groups: list[tuple[PlaceOption, list[PlaceOption]]]):
        self.groups = groups
        self.all = [p for kec, desa in groups for p in (kec, *desa)]
        self.by_code = {p.code: p for p in self.all}
        self.by_id = {p.id: p for p in self.all}
        self._keys = [(p, search_key(p.name), search_key(p.kecamatan)) for p in self.all]

    @classmethod
    def load(cls) -> PlaceDirectory:
        rows = db().execute(select(Place.id, Place.code, Place.name, Place.kind, Place.parent_id).order_by(Place.name)).all()
        kecamatan = {r.id: r for r in rows if r.parent_id is None}
        children: dict[int, list[PlaceOption]] = {k: [] for k in kecamatan}
        for r in rows:
            if r.parent_id in kecamatan:
                kec = kecamatan[r.parent_id].name
                prefix = "Kel." if r.kind == "kelurahan" else "Desa"
                children[r.parent_id].append(PlaceOption(r.id, r.code, f"{prefix} {r.name}, Kec. {kec}", r.name, kec))
        return cls([(PlaceOption(k.id, k.code, f"Kec. {k.name}", k.name, k.name, True), children[k.id])
                    for k in kecamatan.values()])

    def search(self, query: str, limit: int = SEARCH_LIMIT) -> list[PlaceOption]:
        """Places whose name (or name and kecamatan) is like the query, best first."""
        words = [search_key(w) for w in query.split()]
        words = [w for w in words if w]
        if not words:
            return []
        whole = "".join(words)
        scored: list[tuple[float, PlaceOption]] = []
        for place, name, kec in self._keys:
            score = self._score(whole, name)
            if len(words) > 1 and not place.is_kecamatan:
                # "pejok kepohbaru": some words name the desa, the rest its kecamatan
                for cut in range(1, len(words)):
                    head, tail = "".join(words[:cut]), "".join(words[cut:])
                    score = max(score, (self._score(head, name) + self._score(tail, kec)) / 2 + 1)
            if score >= MIN_SCORE:
                # a kecamatan before its desa of the same name; shorter names before longer at equal score
                scored.append((score + (0.5 if place.is_kecamatan else 0.0), place))
        scored.sort(key=lambda item: (-item[0], item[1].name, item[1].kecamatan))
        return [place for _, place in scored[:limit]]

    @staticmethod
    def _score(query: str, name: str) -> float:
        if not query or not name:
            return 0.0
        if name == query:
            return 100.0
        if name.startswith(query):
            return 97.0 if len(query) >= 3 else 90.0
        if len(query) >= 3 and query in name:
            return 92.0
        score = fuzz.ratio(query, name)
        if len(query) >= 4 and len(name) > len(query):  # still typing: compare with the name's start
            score = max(score, fuzz.ratio(query, name[:len(query)]) * 0.95)
        return score


@dataclass(frozen=True)
class PlaceEntry:
    """What the review form's place field says: a picked place (or none), and typed text not yet picked.

    With JavaScript the picker fills the hidden `place_id`; without it the typed text (`place_q`) is searched on
    the server and the results come back as radio buttons (`place_choice`, "-" for no place). Text that does not
    name the picked place is a search still to finish, never a place silently kept.
    """

    place_id: int | str | None
    """The place to save (a raw submitted value the caller still validates)."""
    query: str | None = None
    """Typed text that is not the picked place's name."""

    @classmethod
    def from_form(cls, form: Any, places: PlaceDirectory) -> PlaceEntry:
        choice = (form.get("place_choice") or "").strip()
        if choice:
            return cls(None if choice == "-" else choice)
        raw = (form.get("place_id") or "").strip() or None
        if "place_q" not in form:  # a client that sends the id alone (the API, older pages)
            return cls(raw)
        typed = " ".join((form.get("place_q") or "").split())
        current = places.by_id.get(int(raw)) if raw and raw.isdigit() else None
        if not typed:
            return cls(None)
        if current is not None and typed == current.label:
            return cls(current.id)
        return cls(raw, typed)

    def picked(self, places: PlaceDirectory) -> PlaceOption | None:
        """The place this entry saves, when it is a known one."""
        raw = str(self.place_id or "")
        return places.by_id.get(int(raw)) if raw.isdigit() else None


@dataclass(frozen=True)
class PlaceSearch:
    """A place form answered with a search instead of a save: asked for with "Cari lokasi" (JavaScript off), or
    typed place text that was never picked, which is refused rather than dropped or replaced by the earlier pick."""

    query: str
    results: list[PlaceOption]
    asked: bool
    """The operator pressed "Cari lokasi"; otherwise the form was submitted with the text unpicked."""

    @classmethod
    def of(cls, form: Any, places: PlaceDirectory, desa_only: bool = False) -> PlaceSearch | None:
        """The search the form must show instead of being saved, or None when it can be saved."""
        entry = PlaceEntry.from_form(form, places)
        asked = form.get("action") == FIND_ACTION
        if not asked and entry.query is None:
            return None
        query = entry.query or " ".join((form.get("place_q") or "").split())
        found = places.search(query) if query else []
        return cls(query, [p for p in found if not (desa_only and p.is_kecamatan)], asked)

    @property
    def error(self) -> str | None:
        """Why nothing was saved (None for a search asked for)."""
        if self.asked:
            return None
        return f"Lokasi “{self.query}” belum dipilih: pilih salah satu hasil pencarian di kolom Lokasi."

    @property
    def http_status(self) -> int:
        return 200 if self.asked else 422


def directory() -> PlaceDirectory:
    """The app's place directory (cached: places change only when the gazetteer is re-seeded)."""
    cache = current_app.extensions.setdefault("suara_places", {})
    if "directory" not in cache:
        cache["directory"] = PlaceDirectory.load()
    return cache["directory"]


@bp.get("/konsol/tempat")
@role_required(Role.OPERATOR)
def search():
    """JSON list of places matching `q`, for the place picker."""
    query = (request.args.get("q") or "")[:80]
    return jsonify([p.to_json() for p in directory().search(query)])
