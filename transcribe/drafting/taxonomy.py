"""The complaint topics and agencies of models/data/taxonomy.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Category:
    key: str
    name: str
    agency: str
    about: str


@dataclass(frozen=True)
class Taxonomy:
    categories: list[Category]
    agencies: dict[str, str]
    """Agency key → name."""

    def agency_for(self, topic: str) -> str:
        """The default agency key for a topic key (kominfo when unknown)."""
        return next((c.agency for c in self.categories if c.key == topic), "kominfo")


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """The taxonomy shipped with the `models` package."""
    data = json.loads((resources.files("models") / "data" / "taxonomy.json").read_text(encoding="utf-8"))
    cats = [Category(c["key"], c["name"], c["agency"], c.get("about", "")) for c in data["categories"]]
    return Taxonomy(cats, {a["key"]: a["name"] for a in data["agencies"]})
