"""visits heard by: each agent's latest word on a visit

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 19:00:00

A visit ends when every agent that heard the shopper has reported her gone, not at
the first agent's exit (a second agent at the back of the store, or at a second door,
stops hearing her while the first still does). ``visits.heard_by`` keeps each agent's
latest word (``visits.services.record_presences``).

Hot-table rules (docs/operations.md, upgrades): a NOT NULL column with a constant
default, no rewrite. Visits written before this revision get ``{}``: no backfill, only
the agents heard from after the upgrade count for them (an exit of one of those ends
such a visit, as every exit did before).
"""

from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heard_by', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_column('heard_by')
