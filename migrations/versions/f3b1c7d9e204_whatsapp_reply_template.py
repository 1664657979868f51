"""whatsapp reply template: the approved template a reply went as outside WhatsApp's 24-hour window

Revision ID: f3b1c7d9e204
Revises: e8d6c952fdc9
Create Date: 2026-12-02 01:00:00

Replies sent before this went as free text: their template stays empty. The provider's message id gets an
index, since delivery reports (Twilio's status callback, Meta's statuses) look a reply up by it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'f3b1c7d9e204'
down_revision = 'e8d6c952fdc9'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('whatsapp_reply', sa.Column('template', sa.String(length=200), nullable=True))
    op.create_index(op.f('ix_whatsapp_reply_provider_id'), 'whatsapp_reply', ['provider_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_whatsapp_reply_provider_id'), table_name='whatsapp_reply')
    op.execute('ALTER TABLE whatsapp_reply DROP COLUMN template')  # in place (SQLite >= 3.35): no rebuild
