"""admin keys may belong to one chain (NULL: head office, every chain and the partner
program); product codes stored in the checkout tables take their 14-digit GTIN form

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02 07:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def _gtin14(code):
    # Codes were checked as 8 to 14 digits only: pad them as rewards_api.products.gtin does.
    return code.zfill(14) if isinstance(code, str) else code


def _lines14(lines):
    return [dict(line, gtin=_gtin14(line.get('gtin'))) for line in lines or []]


def _rewrite(table, column, change):
    """Rewrite one column row by row, through typed Core so JSON works on both databases."""
    conn = op.get_bind()
    rows = sa.table(table, sa.column('id'), column)
    for row_id, value in conn.execute(sa.select(rows.c.id, rows.c[column.name])).all():
        if value is not None and change(value) != value:
            conn.execute(rows.update().where(rows.c.id == row_id)
                         .values({column.name: change(value)}))


def _normalize_earn_rules():
    """A product's rule under both spellings: the 14-digit one wins, the other goes."""
    conn = op.get_bind()
    rules = sa.table('earn_rules', sa.column('id'), sa.column('program_id'), sa.column('gtin'))
    rows = conn.execute(sa.select(rules.c.id, rules.c.program_id, rules.c.gtin)
                        .where(rules.c.gtin.is_not(None))).all()
    taken = {(program_id, gtin) for _, program_id, gtin in rows}
    for rule_id, program_id, gtin in rows:
        if gtin == _gtin14(gtin):
            continue
        if (program_id, _gtin14(gtin)) in taken:
            conn.execute(rules.delete().where(rules.c.id == rule_id))
        else:
            taken.add((program_id, _gtin14(gtin)))
            conn.execute(rules.update().where(rules.c.id == rule_id).values(gtin=_gtin14(gtin)))


def upgrade() -> None:
    with op.batch_alter_table('staff_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_staff_keys_chain_id_chains'), 'chains',
                                    ['chain_id'], ['id'], postgresql_not_valid=True)
    if op.get_bind().dialect.name == 'postgresql':  # checked under a lock writers pass
        op.execute('ALTER TABLE staff_keys VALIDATE CONSTRAINT fk_staff_keys_chain_id_chains')
    _normalize_earn_rules()
    _rewrite('rewards', sa.column('product_gtin', sa.String), _gtin14)
    _rewrite('rewards', sa.column('eligible_gtins', sa.JSON), lambda codes: [_gtin14(c) for c in codes])
    _rewrite('checkouts', sa.column('basket', sa.JSON), _lines14)
    _rewrite('checkout_returns', sa.column('lines', sa.JSON), _lines14)


def downgrade() -> None:
    with op.batch_alter_table('staff_keys', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_staff_keys_chain_id_chains'), type_='foreignkey')
        batch_op.drop_column('chain_id')
