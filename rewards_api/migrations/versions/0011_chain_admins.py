"""admin keys may belong to one chain (NULL: head office, every chain and the partner program)

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-02 07:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_staff_keys_chain_id_chains'), 'chains', ['chain_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('staff_keys', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_staff_keys_chain_id_chains'), type_='foreignkey')
        batch_op.drop_column('chain_id')
