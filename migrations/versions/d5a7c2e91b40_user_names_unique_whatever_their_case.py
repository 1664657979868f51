"""user names unique whatever their case

Revision ID: d5a7c2e91b40
Revises: f3b1c7d9e204
Create Date: 2026-12-02 10:00:00

"budi" and "BUDI" could both exist; now a user name is unique under the database's lower(), which login and every
look-up use too. Accounts made before whose names differ only in case keep working: the oldest keeps its name, each
later one gets its id appended ("BUDI" -> "BUDI-7") and is logged, so an admin can tell its owner.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "d5a7c2e91b40"
down_revision = "f3b1c7d9e204"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
NAME_LENGTH = 80


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, username, lower(username) FROM user_account ORDER BY id")).all()
    taken = {folded for _, _, folded in rows}
    seen: set[str] = set()
    for ident, name, folded in rows:
        if folded not in seen:
            seen.add(folded)
            continue
        suffix = f"-{ident}"
        renamed = name[: NAME_LENGTH - len(suffix)] + suffix
        folded_new = connection.execute(sa.text("SELECT lower(:name)"), {"name": renamed}).scalar()
        if folded_new in taken:  # "budi-7" already someone's: the id alone is free
            renamed = f"user-{ident}"
            folded_new = connection.execute(sa.text("SELECT lower(:name)"), {"name": renamed}).scalar()
        connection.execute(sa.text("UPDATE user_account SET username = :name WHERE id = :id"), {"name": renamed, "id": ident})
        taken.add(folded_new)
        seen.add(folded_new)
        log.warning("user %s: name %r differs from an older one only in case, renamed %r", ident, name, renamed)
    op.create_index("uq_user_account_username_lower", "user_account", [sa.text("lower(username)")], unique=True)


def downgrade() -> None:
    op.drop_index("uq_user_account_username_lower", table_name="user_account")
