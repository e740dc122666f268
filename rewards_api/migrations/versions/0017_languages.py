"""languages: a store's language, its chain's default, a shopper's preferred language

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-02 11:10:00

Nullable columns without a default: PostgreSQL adds them without rewriting or scanning
the table (docs/operations.md, upgrades). NULL means "not chosen": a store without a
language speaks its chain's default, a chain without a default English, a shopper
without a choice the browser's language (rewards_api.i18n).
"""

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('chains', sa.Column('default_language', sa.String(length=8), nullable=True))
    op.add_column('stores', sa.Column('language', sa.String(length=8), nullable=True))
    op.add_column('shoppers', sa.Column('language', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('shoppers') as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('stores') as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('chains') as batch_op:
        batch_op.drop_column('default_language')
