"""complaint full-text search: SQLite FTS5 table with sync triggers, PostgreSQL GIN index

Revision ID: 3f2a9c1d7e64
Revises: 580321c89bdf
Create Date: 2026-11-28 09:00:00.000000

Hand-written: neither object can be described by the models' metadata, so the statements are spelled
out here (frozen, as a migration must be) and left out of the schema comparison in migrations/env.py.
models/search.py creates the same objects for databases made with create_all.

SQLite caution: a later batch migration that recreates the complaint table drops the three triggers
with it; such a revision must recreate them and run the 'rebuild' below.
"""

from __future__ import annotations

from alembic import op

revision = '3f2a9c1d7e64'
down_revision = '580321c89bdf'
branch_labels = None
depends_on = None

SQLITE_UPGRADE = (
    "CREATE VIRTUAL TABLE complaint_fts USING fts5(title, description, content='complaint', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER complaint_fts_ai AFTER INSERT ON complaint BEGIN "
    "INSERT INTO complaint_fts(rowid, title, description) VALUES (new.id, new.title, new.description); END",
    "CREATE TRIGGER complaint_fts_ad AFTER DELETE ON complaint BEGIN "
    "INSERT INTO complaint_fts(complaint_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description); END",
    "CREATE TRIGGER complaint_fts_au AFTER UPDATE OF title, description ON complaint BEGIN "
    "INSERT INTO complaint_fts(complaint_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description); "
    "INSERT INTO complaint_fts(rowid, title, description) VALUES (new.id, new.title, new.description); END",
    "INSERT INTO complaint_fts(complaint_fts) VALUES ('rebuild')",  # index the complaints already there
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS complaint_fts_au",
    "DROP TRIGGER IF EXISTS complaint_fts_ad",
    "DROP TRIGGER IF EXISTS complaint_fts_ai",
    "DROP TABLE IF EXISTS complaint_fts",
)
POSTGRESQL_UPGRADE = (
    "CREATE INDEX ix_complaint_search_tsv ON complaint USING gin (to_tsvector('simple', title || ' ' || description))",
)
POSTGRESQL_DOWNGRADE = ("DROP INDEX IF EXISTS ix_complaint_search_tsv",)


def _run(statements: dict[str, tuple[str, ...]]) -> None:
    dialect = op.get_context().dialect.name  # works offline (--sql) too
    if dialect not in statements:
        raise NotImplementedError(f"no full-text search migration for {dialect}")
    for statement in statements[dialect]:
        op.execute(statement)


def upgrade() -> None:
    _run({"sqlite": SQLITE_UPGRADE, "postgresql": POSTGRESQL_UPGRADE})


def downgrade() -> None:
    _run({"sqlite": SQLITE_DOWNGRADE, "postgresql": POSTGRESQL_DOWNGRADE})
