"""Reference data shipped with the project: agencies, topics and the places of Kabupaten Bojonegoro."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import Agency, Place, Topic


def load_taxonomy() -> dict[str, Any]:
    """The topic/agency taxonomy (models/data/taxonomy.json)."""
    return json.loads(resources.files("models.data").joinpath("taxonomy.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class PlaceRow:
    kecamatan_code: str
    kecamatan: str
    desa_code: str
    desa: str
    kind: str
    """desa or kelurahan."""


def load_places() -> list[PlaceRow]:
    """The 430 desa/kelurahan of Bojonegoro with their kecamatan (models/data/bojonegoro_wilayah.csv)."""
    text = resources.files("models.data").joinpath("bojonegoro_wilayah.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return [
        PlaceRow(r["kode_kecamatan"], r["kecamatan"], r["kode_desa"], r["desa_kelurahan"], r["jenis"])
        for r in rows
    ]


@dataclass(frozen=True)
class SeedCounts:
    agencies: int
    topics: int
    places: int


def seed_reference_data(session: Session) -> SeedCounts:
    """Insert or update agencies, topics and places; safe to run again (keys and codes are stable)."""
    taxonomy = load_taxonomy()
    agencies = {a.key: a for a in session.scalars(select(Agency))}
    for item in taxonomy["agencies"]:
        agency = agencies.get(item["key"]) or Agency(key=item["key"])
        agency.name, agency.role = item["name"], item.get("role")
        session.add(agency)
        agencies[item["key"]] = agency
    session.flush()

    topics = {t.key: t for t in session.scalars(select(Topic))}
    for item in taxonomy["categories"]:
        topic = topics.get(item["key"]) or Topic(key=item["key"])
        topic.name, topic.about = item["name"], item.get("about")
        topic.agency_id = agencies[item["agency"]].id
        session.add(topic)

    places = {p.code: p for p in session.scalars(select(Place))}
    for row in load_places():
        kec = places.get(row.kecamatan_code)
        if kec is None:
            kec = places[row.kecamatan_code] = Place(code=row.kecamatan_code, kind="kecamatan")
        kec.name = row.kecamatan
        session.add(kec)
        desa = places.get(row.desa_code)
        if desa is None:
            desa = places[row.desa_code] = Place(code=row.desa_code)
        desa.name, desa.kind, desa.parent = row.desa, row.kind, kec
        session.add(desa)
    session.flush()
    return SeedCounts(len(taxonomy["agencies"]), len(taxonomy["categories"]), len(places))


def seed_all(session: Session) -> dict[str, int]:
    """Every piece of reference data the app needs; safe to run again."""
    counts = seed_reference_data(session)
    result = {"agencies": counts.agencies, "topics": counts.topics, "places": counts.places}
    from models.calendar import seed_holidays

    result["holidays"] = seed_holidays(session)
    return result
