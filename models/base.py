"""Declarative base with a naming convention, and time helpers shared by all records."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Naive UTC now: every timestamp in the database is naive UTC (SQLite keeps no zone)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a row of an append-only log."""


def append_only(model: type[Base], what: str) -> None:
    """Make the ORM refuse to update or delete rows of `model` (raises AppendOnlyError at flush)."""

    def refuse(mapper, connection, target) -> None:  # noqa: ANN001 - SQLAlchemy event signature
        raise AppendOnlyError(f"{what} are append-only")

    event.listen(model, "before_update", refuse)
    event.listen(model, "before_delete", refuse)
