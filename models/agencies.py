"""Agencies (OPD) as the admin keeps them: a short key and a name; the caller commits."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import Agency
from models.errors import SuaraError


class InvalidAgency(SuaraError):
    code = "invalid_agency"
    message_id = "Kode OPD (huruf kecil/angka) dan nama wajib diisi."
    http_status = 422


def save_agency(session: Session, key: str, name: str, *, active: bool = True) -> tuple[Agency, bool]:
    """Create the agency with this key or update its name and state; returns it and whether it is new."""
    key, name = key.strip().lower(), name.strip()
    if not re.fullmatch(r"[a-z0-9_]{2,40}", key) or not name:
        raise InvalidAgency(f"bad agency key {key!r} or empty name")
    agency = session.scalars(select(Agency).where(Agency.key == key)).first()
    created = agency is None
    if agency is None:
        agency = Agency(key=key)
        session.add(agency)
    agency.name = name[:200]
    agency.active = active
    session.flush()
    return agency, created
