"""transcript alternatives: Whisper's other readings of the audio, which the router averages over

Revision ID: 9aed14f26340
Revises: 3f2a9c1d7e64
Create Date: 2026-11-30 15:34:46.009865

Existing transcripts get an empty list. A batch on the transcript table does not touch complaint's
full-text triggers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '9aed14f26340'
down_revision = '3f2a9c1d7e64'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('transcript', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alternatives', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table('transcript', schema=None) as batch_op:
        batch_op.drop_column('alternatives')
