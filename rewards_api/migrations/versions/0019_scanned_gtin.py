"""scanned gtin: the product of a scan award as data on its ledger entry

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 16:10:00

A nullable column without a default: PostgreSQL adds it without rewriting or scanning
``ledger_entries`` (docs/operations.md, upgrades). No backfill: entries are append-only
(a trigger refuses UPDATE); scan entries written before this revision keep the GTIN in
their reference, read in one place (``LedgerEntry.scanned_gtin``) until they age out.
"""

from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('ledger_entries', sa.Column('gtin', sa.String(length=14), nullable=True))


def downgrade() -> None:
    # Not batch mode: on SQLite it would copy the table and lose its append-only triggers.
    op.drop_column('ledger_entries', 'gtin')
