"""call code: the short number a phone caller hears instead of the call's primary key

Revision ID: c3e8a4f19d20
Revises: b7d41e0c2a95
Create Date: 2026-12-01 18:40:00

Callers of existing phone calls were told the call's id; it becomes their call's code, so the number they
wrote down keeps working. New calls get a random six-digit code.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c3e8a4f19d20'
down_revision = "b7d41e0c2a95"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a column and a unique index, no constraint: SQLite would rebuild the table for a constraint, and dropping
    # the old table cascades to its transcripts
    op.add_column('call', sa.Column('code', sa.String(length=12), nullable=True))
    op.create_index(op.f('ix_call_code'), 'call', ['code'], unique=True)
    op.execute('UPDATE "call" SET code = CAST(id AS VARCHAR(12)) WHERE channel = \'phone\'')


def downgrade() -> None:
    op.drop_index(op.f('ix_call_code'), table_name='call')
    op.execute('ALTER TABLE "call" DROP COLUMN code')  # in place (SQLite >= 3.35): no rebuild, no cascade
