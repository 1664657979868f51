"""Alembic environment: the URL comes from the caller (models.migrate) or SUARA_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

import models.all  # noqa: F401  (registers every table on Base.metadata)
from models.base import Base
from models.config import Settings
from models.db import make_engine
from models.search import include_in_schema_comparison

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True,
                      include_name=include_in_schema_comparison)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # noqa: ANN001
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                      include_name=include_in_schema_comparison)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
