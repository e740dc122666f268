"""translations: reward, campaign and product names per language

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-02 16:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new, empty table without foreign keys: nothing existing is locked.
    op.create_table('translations',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('row_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'row_id', 'field', 'language', name=op.f('pk_translations'))
    )


def downgrade() -> None:
    op.drop_table('translations')
