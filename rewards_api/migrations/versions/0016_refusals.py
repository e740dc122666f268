"""refusals: where shoppers fail (scans, checkout codes), per store, for measured success

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-02 11:20:00
"""

from alembic import op
import sqlalchemy as sa
import rewards_api.db


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new, empty table without foreign keys: nothing existing is locked.
    op.create_table('refusals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('gtin', sa.String(length=14), nullable=True),
    sa.Column('at', rewards_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refusals'))
    )
    with op.batch_alter_table('refusals', schema=None) as batch_op:
        batch_op.create_index('ix_refusals_store_id_at', ['store_id', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('refusals', schema=None) as batch_op:
        batch_op.drop_index('ix_refusals_store_id_at')
    op.drop_table('refusals')
