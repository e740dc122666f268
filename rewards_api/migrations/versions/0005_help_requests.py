"""help requests: shoppers who opted in ask staff on the floor for help

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-23 02:54:25.186730
"""

from alembic import op
import sqlalchemy as sa
import rewards_api.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('help_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shopper_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('visit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', rewards_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('helped_at', rewards_api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('helped_by', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['shopper_id'], ['shoppers.id'], name=op.f('fk_help_requests_shopper_id_shoppers')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_help_requests_store_id_stores')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_help_requests_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_requests'))
    )
    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_help_requests_shopper_id'), ['shopper_id'], unique=False)
        batch_op.create_index('ix_help_requests_store_id_created_at', ['store_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_help_requests_store_id_created_at')
        batch_op.drop_index(batch_op.f('ix_help_requests_shopper_id'))

    op.drop_table('help_requests')
