"""Migrations build the whole schema from an empty database, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

import models.all  # noqa: F401
from models.base import Base
from models.db import make_engine, session_factory
from models.migrate import current, upgrade
from models.seed import seed_all


def _assert_schema_matches_models(url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"


def test_upgrade_from_empty_sqlite_then_seed_twice(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    assert current(url) is None
    upgrade(url)
    assert current(url) is not None
    _assert_schema_matches_models(url)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        first = seed_all(session)
        session.commit()
        second = seed_all(session)
        session.commit()
        assert first["places"] == second["places"] == 28 + 430
        assert first["holidays"] > 50 and second["holidays"] == 0  # added once
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


@pytest.mark.slow
def test_upgrade_from_empty_postgresql(postgres_url: str) -> None:
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS suara_migrate"))
        connection.execute(text("CREATE DATABASE suara_migrate"))
    admin.dispose()
    url = postgres_url.rsplit("/", 1)[0] + "/suara_migrate"
    upgrade(url)
    _assert_schema_matches_models(url)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        assert seed_all(session)["agencies"] == 19
        session.commit()
    engine.dispose()
