"""the shopper's consent to spend points on a checkout

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 07:45:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('checkouts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('checkouts', schema=None) as batch_op:
        batch_op.drop_column('consent')
