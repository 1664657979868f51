"""user session version and forced password change

Revision ID: 1fc4ed5dde3f
Revises: 9aed14f26340
Create Date: 2026-12-01 15:05:20.738580

Every session and remember cookie carries the user's session version; bumping it (logout, password
or role change, deactivation) signs the user out everywhere. Existing users start at version 1, so
sessions made before the upgrade (which carry no version) are signed out once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '1fc4ed5dde3f'
down_revision = '9aed14f26340'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('session_version')
