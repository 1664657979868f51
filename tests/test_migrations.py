"""Migrations build the whole schema from an empty database, on SQLite and on a real PostgreSQL, search included."""

from __future__ import annotations

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, select, text

import models.all  # noqa: F401
from models.base import Base
from models.db import make_engine, session_factory
from models.entities import Complaint
from models.migrate import alembic_config, current, upgrade
from models.search import complaint_text_matches, include_in_schema_comparison
from models.seed import seed_all


EXPRESSION_INDEXES = {"uq_user_account_username_lower": "lower(username)"}
"""Indexes on an expression: SQLite's reflection skips them (with a warning), so there they are compared by their SQL."""


def _assert_schema_matches_models(url: str) -> None:
    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection, warnings.catch_warnings():
        if sqlite:  # SQLAlchemy and Alembic say that they leave these out there
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        context = MigrationContext.configure(connection, opts={"include_name": include_in_schema_comparison})
        diff = compare_metadata(context, Base.metadata)
        if sqlite:
            for name, expression in EXPRESSION_INDEXES.items():
                sql = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": name}).scalar()
                assert sql and expression in sql.replace('"', "") and "UNIQUE" in sql.upper(), (name, sql)
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
    _search_works_after_upgrade(engine)
    with engine.connect() as connection:  # the query's expression is the indexed one
        connection.execute(text("SET enable_seqscan = off"))
        query = select(Complaint.id).where(complaint_text_matches("jembatan kalit", "postgresql"))
        sql = query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
        plan = connection.execute(text(f"EXPLAIN {sql}")).scalars().all()
    assert any("ix_complaint_search_tsv" in line for line in plan), plan
    engine.dispose()


def _search_works_after_upgrade(engine: Engine) -> None:
    """Complaints inserted into a migrated database are found by every word, the last one as a prefix."""
    with session_factory(engine)() as session:
        kept = Complaint(title="Jembatan Kalitidu ambrol", description="warga tidak bisa menyeberang")
        gone = Complaint(title="Lampu jalan mati", description="gelap di malam hari")
        session.add_all([kept, gone])
        session.commit()
        gone.title = "Lampu taman mati"
        session.commit()

        def found(query: str) -> set[int]:
            dialect = engine.dialect.name
            return set(session.scalars(select(Complaint.id).where(complaint_text_matches(query, dialect))))

        assert found("kalitidu") == found("JEMBATAN kalit") == found("menyeberang") == {kept.id}
        assert found("jalan") == set() and found("taman") == {gone.id}
        for syntax in ('"', "NEAR(jembatan", "-jembatan*", "jembatan) OR (", "':*&|!", "\\"):
            found(syntax)  # must not raise
        session.delete(gone)
        session.commit()
        assert found("taman") == set()


def test_search_migration_on_sqlite_up_and_down(tmp_path) -> None:  # noqa: ANN001
    from alembic import command

    url = f"sqlite:///{tmp_path / 'search.sqlite3'}"
    command.upgrade(alembic_config(url), "580321c89bdf")
    engine = make_engine(url)
    with engine.begin() as connection:  # a complaint from before the index (in SQL: today's models need today's schema)
        connection.execute(text(
            "INSERT INTO complaint (status, classification, title, description, anonymous, confidential, urgent, channel, "
            "suggestions, created_at, received_at, updated_at) VALUES ('draft', 'pengaduan', 'Sampah menumpuk di Baureno', "
            "'', 0, 0, 0, 'upload', '{}', '2026-11-01 08:00:00', '2026-11-01 08:00:00', '2026-11-01 08:00:00')"
        ))  # fmt: skip
    upgrade(url)
    with session_factory(engine)() as session:
        assert len(session.scalars(select(Complaint.id).where(complaint_text_matches("baureno", "sqlite"))).all()) == 1
    _search_works_after_upgrade(engine)
    command.downgrade(alembic_config(url), "580321c89bdf")
    with engine.connect() as connection:
        left = connection.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'complaint_fts%'")).scalars().all()
    assert left == []
    engine.dispose()


def test_transcript_alternatives_migration_keeps_old_transcripts(tmp_path) -> None:  # noqa: ANN001
    from alembic import command

    from models.entities import Call, Transcript

    url = f"sqlite:///{tmp_path / 'alternatives.sqlite3'}"
    command.upgrade(alembic_config(url), "3f2a9c1d7e64")
    engine = make_engine(url)
    with engine.begin() as connection:  # a transcript made before the column existed
        connection.execute(text("INSERT INTO call (id, channel, received_at, status, attempts, meta) "
                                "VALUES (1, 'upload', '2026-11-01 08:00:00', 'transcribed', 0, '{}')"))
        connection.execute(text("INSERT INTO transcript (id, call_id, engine, model, text, words, created_at) "
                                "VALUES (1, 1, 'whisper', 'whisper-base', 'jalan rusak', '[]', '2026-11-01 08:01:00')"))
    upgrade(url)
    with session_factory(engine)() as session:
        assert session.get(Transcript, 1).alternatives == []
        session.add(Transcript(call=session.get(Call, 1), engine="whisper", model="whisper-base", text="jalan rusak",
                               alternatives=["jalan rusa", "jalan usak"]))
        session.commit()
        assert [t.alternatives for t in session.scalars(select(Transcript).order_by(Transcript.id))] == [
            [], ["jalan rusa", "jalan usak"]]
    command.downgrade(alembic_config(url), "3f2a9c1d7e64")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT text FROM transcript WHERE id = 1")).scalar() == "jalan rusak"
    engine.dispose()


def test_public_counts_migration_fills_the_rows_a_rebuild_would(tmp_path) -> None:  # noqa: ANN001
    from alembic import command

    from models import analytics as an
    from models.base import utcnow
    from tests.test_public_counts import _daily_rows

    url = f"sqlite:///{tmp_path / 'public.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        for i, (status, confidential) in enumerate([("belum_diverifikasi", False), ("belum_diverifikasi", True),
                                                   ("selesai", True), ("selesai", False), ("draft", False)]):  # fmt: skip
            session.add(Complaint(title=f"Jalan rusak {i}", description="jalan rusak", status=status, channel="phone",
                                  confidential=confidential, urgent=i % 2 == 0, rating="puas" if status == "selesai" else None,
                                  received_at=utcnow()))  # fmt: skip
        session.commit()
        stored = _daily_rows(session)
        assert any(row[1] for row in stored) and any(not row[1] for row in stored)
        public = an.public_totals(session, "semua", an.Period.last_days(3))[""]
        assert (public.complaints, public.urgent, public.closed, public.puas) == (2, 1, 1, 1)
    command.downgrade(alembic_config(url), "b7d41e0c2a95")
    command.upgrade(alembic_config(url), "head")
    with session_factory(engine)() as session:
        assert _daily_rows(session) == stored
    engine.dispose()


def test_user_names_differing_only_in_case_are_made_unique_by_the_upgrade(tmp_path) -> None:  # noqa: ANN001
    """The oldest account keeps its name; a later one that differs only in case gets its id appended."""
    from alembic import command

    url = f"sqlite:///{tmp_path / 'users.sqlite3'}"
    command.upgrade(alembic_config(url), "f3b1c7d9e204")
    engine = make_engine(url)
    with engine.begin() as connection:
        for i, name in enumerate(["budi", "BUDI", "siti", "Budi"], start=1):
            connection.execute(text("INSERT INTO user_account (id, username, name, password_hash, role, active, created_at) "
                                    "VALUES (:id, :name, :name, 'x', 'operator', 1, '2026-11-01 08:00:00')"), {"id": i, "name": name})
    upgrade(url)
    with engine.connect() as connection:
        names = connection.execute(text("SELECT username FROM user_account ORDER BY id")).scalars().all()
    assert names == ["budi", "BUDI-2", "siti", "Budi-4"]
    engine.dispose()
