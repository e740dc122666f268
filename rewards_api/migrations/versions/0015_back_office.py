"""the back office: an append-only audit trail, one-time agent enrolment codes, and
the partner operator's role

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-02 11:30:00
"""

from alembic import op
import sqlalchemy as sa

import rewards_api.db


revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
ROLES_BEFORE = "role in ('cashier', 'manager', 'admin')"
ROLES_AFTER = "role in ('cashier', 'manager', 'admin', 'partner')"


def _roles(check):
    """Swap the role CHECK of staff_keys: on PostgreSQL added NOT VALID and validated
    under a lock that lets writers pass; SQLite copies the (small) table."""
    with op.batch_alter_table('staff_keys', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_staff_keys_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_staff_keys_role'), check,
                                         postgresql_not_valid=True)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE staff_keys VALIDATE CONSTRAINT ck_staff_keys_role')


def upgrade() -> None:
    op.create_table(
        'audit_entries',
        sa.Column('id', BigId, autoincrement=True, nullable=False),
        sa.Column('at', rewards_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=60), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('resource', sa.String(length=20), nullable=False),
        sa.Column('resource_id', sa.String(length=80), nullable=False),
        sa.Column('store_id', BigId, nullable=True),
        sa.Column('chain_id', BigId, nullable=True),
        sa.Column('program_id', BigId, nullable=True),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries')),
    )
    for column in ('store_id', 'chain_id', 'program_id'):
        op.create_index(f'ix_audit_entries_{column}_id', 'audit_entries', [column, 'id'],
                        unique=False)
    for statement in rewards_api.db.append_only_triggers('audit_entries', op.get_bind().dialect.name):
        op.execute(statement)
    op.create_table(
        'agent_enrolments',
        sa.Column('agent_id', BigId, nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('expires_at', rewards_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', rewards_api.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['agent_id'], ['agents.id'],
                                name=op.f('fk_agent_enrolments_agent_id_agents')),
        sa.PrimaryKeyConstraint('agent_id', name=op.f('pk_agent_enrolments')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_agent_enrolments_code_hash')),
    )
    _roles(ROLES_AFTER)


def downgrade() -> None:
    _roles(ROLES_BEFORE)
    op.drop_table('agent_enrolments')
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute('DROP TRIGGER audit_entries_append_only ON audit_entries')
        op.execute('DROP FUNCTION audit_entries_refuse_change()')
    op.drop_table('audit_entries')
