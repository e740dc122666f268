"""agents report the events the API refused and they set aside

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 08:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refused_events', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_refusal_code', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_column('last_refusal_code')
        batch_op.drop_column('refused_events')
