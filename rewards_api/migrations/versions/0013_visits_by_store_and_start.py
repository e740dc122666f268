"""an index for a store's visits by start time (the dashboard's day)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 09:10:00

Built CONCURRENTLY on PostgreSQL (docs/operations.md, upgrades): registers and agents
keep writing visits while it is built.
"""

from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index('ix_visits_store_id_started_at', 'visits', ['store_id', 'started_at'],
                        unique=False, postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index('ix_visits_store_id_started_at', table_name='visits',
                      postgresql_concurrently=True)
