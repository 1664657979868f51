"""radio show states: starting/live/stopping/finished/failed, the capturing process's heartbeat, stop requests

Revision ID: b7d41e0c2a95
Revises: 1fc4ed5dde3f
Create Date: 2026-12-01 15:30:00

Shows recorded as "running" by the old code become "live" without a heartbeat: the first process
that looks at them finds no capture behind them and marks them failed, archive kept.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b7d41e0c2a95'
down_revision = "1fc4ed5dde3f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('radio_show', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('stop_requested_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('stopped_by', sa.String(length=100), nullable=True))
    op.execute("UPDATE radio_show SET status = 'live' WHERE status = 'running'")


def downgrade() -> None:
    op.execute("UPDATE radio_show SET status = 'running' WHERE status IN ('starting', 'live', 'stopping')")
    with op.batch_alter_table('radio_show', schema=None) as batch_op:
        batch_op.drop_column('stopped_by')
        batch_op.drop_column('stop_requested_at')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('owner')
