"""Signed-in browsers get a session row each (revocable); the per-learner session version goes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'learner_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('learner_id', sa.Integer(), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['learner_id'], ['learner.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('secret_hash'),
    )
    with op.batch_alter_table('learner_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learner_session_learner_id'), ['learner_id'], unique=False)
    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.drop_column('session_version')


def downgrade() -> None:
    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), nullable=False, server_default='0')
        )
    with op.batch_alter_table('learner_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learner_session_learner_id'))
    op.drop_table('learner_session')
