"""agent calibration: each agent's calibration as its heartbeat reports it, and the app
phones nearby per agent and hour (the results' first stage)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 16:00:00

Nullable columns without a default on ``agents``: PostgreSQL adds them without
rewriting or scanning the table. ``agent_nearby_hours`` is new and empty, without
foreign keys: nothing existing is locked.
"""

from alembic import op
import sqlalchemy as sa
import rewards_api.db


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('agents', sa.Column('calibration_state', sa.String(length=20), nullable=True))
    op.add_column('agents', sa.Column('calibration_method', sa.String(length=20), nullable=True))
    op.add_column('agents', sa.Column('calibrated_at', rewards_api.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('agents', sa.Column('outside_dbm', sa.Double(), nullable=True))
    op.add_column('agents', sa.Column('inside_dbm', sa.Double(), nullable=True))
    op.add_column('agents', sa.Column('calibration_advice', sa.JSON(), nullable=True))
    op.create_table('agent_nearby_hours',
    sa.Column('agent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hour', rewards_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('phones', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('agent_id', 'hour', name=op.f('pk_agent_nearby_hours'))
    )
    with op.batch_alter_table('agent_nearby_hours', schema=None) as batch_op:
        batch_op.create_index('ix_agent_nearby_hours_store_id_hour', ['store_id', 'hour'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('agent_nearby_hours', schema=None) as batch_op:
        batch_op.drop_index('ix_agent_nearby_hours_store_id_hour')
    op.drop_table('agent_nearby_hours')
    with op.batch_alter_table('agents') as batch_op:
        for column in ('calibration_advice', 'inside_dbm', 'outside_dbm', 'calibrated_at',
                       'calibration_method', 'calibration_state'):
            batch_op.drop_column(column)
