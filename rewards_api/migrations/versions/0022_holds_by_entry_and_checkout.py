"""holds by entry and checkout: a hold's checkout as data, both links indexed

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 21:10:00

The history names a redemption's reward through its hold and the hold's checkout. It
found the hold by parsing ``hold:<id>`` out of the entry's reference and the checkout
by parsing ``checkout:<id>`` out of the hold's; now it joins ``holds.entry_id`` (set by
every capture since the first migration) and the new ``holds.checkout_id``, both indexed.

Hot-table rules (docs/operations.md, upgrades): a nullable column, the foreign key NOT
VALID then validated under a lock writers pass, the indexes built CONCURRENTLY. Holds
written before this revision get their checkout from their reference here, once.
"""

from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkout_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_holds_checkout_id_checkouts'), 'checkouts',
                                    ['checkout_id'], ['id'], postgresql_not_valid=True)
    holds = sa.table('holds', sa.column('checkout_id', sa.BigInteger), sa.column('reference', sa.String))
    op.get_bind().execute(
        holds.update().where(holds.c.reference.like('checkout:%'), holds.c.checkout_id.is_(None))
        .values(checkout_id=sa.cast(sa.func.substr(holds.c.reference, 10), sa.BigInteger)))
    if op.get_bind().dialect.name == 'postgresql':  # checked under a lock writers pass
        op.execute('ALTER TABLE holds VALIDATE CONSTRAINT fk_holds_checkout_id_checkouts')
    with op.get_context().autocommit_block():
        op.create_index('ix_holds_entry_id', 'holds', ['entry_id'], unique=False,
                        postgresql_concurrently=True)
        op.create_index('ix_holds_checkout_id', 'holds', ['checkout_id'], unique=False,
                        postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index('ix_holds_checkout_id', table_name='holds', postgresql_concurrently=True)
        op.drop_index('ix_holds_entry_id', table_name='holds', postgresql_concurrently=True)
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_holds_checkout_id_checkouts'), type_='foreignkey')
        batch_op.drop_column('checkout_id')
