"""points and money columns are 64-bit

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 08:05:00

A basket may reach 2 x 10^12 minor units (200 lines x 999 x 100,000.00), past the
32-bit INTEGER of PostgreSQL. SQLite's INTEGER is already 64-bit: nothing to do there
(and batch mode would rebuild the ledger table without its append-only triggers).
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

COLUMNS = [
    ('accounts', 'balance'),
    ('accounts', 'held'),
    ('ledger_entries', 'amount'),
    ('holds', 'amount'),
    ('checkout_returns', 'refund_minor'),
    ('settlement_records', 'points_redeemed'),
    ('settlement_records', 'points_issued'),
    ('settlement_records', 'owed_to_store_minor'),
    ('settlement_records', 'owed_to_partner_minor'),
    ('scan_campaigns', 'points_awarded'),
]


def _resize(new: sa.types.TypeEngine, old: sa.types.TypeEngine) -> None:
    if op.get_bind().dialect.name == 'sqlite':
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, type_=new, existing_type=old, existing_nullable=False)


def upgrade() -> None:
    _resize(sa.BigInteger(), sa.Integer())


def downgrade() -> None:
    _resize(sa.Integer(), sa.BigInteger())
