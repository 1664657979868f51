"""Write a new Alembic revision by comparing the models with a database migrated to head.

usage: .venv/bin/python scripts/new_migration.py "message"
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from models.migrate import alembic_config, upgrade


def main() -> None:
    message = sys.argv[1] if len(sys.argv) > 1 else "schema change"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.sqlite3'}"
        upgrade(url)
        command.revision(alembic_config(url), message=message, autogenerate=True)


if __name__ == "__main__":
    main()
