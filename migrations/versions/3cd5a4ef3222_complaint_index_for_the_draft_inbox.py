"""complaint index for the draft inbox: urgent drafts are found without reading every draft

Revision ID: 3cd5a4ef3222
Revises: c4e8a1f0d372
Create Date: 2026-12-01 18:22:53.279581
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '3cd5a4ef3222'
down_revision = 'c4e8a1f0d372'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_status_urgent_created', ['status', 'urgent', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_status_urgent_created')
