"""Mock interviews: one row per interview (its plan as JSON), one per answer (the judgement as JSON).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'interview',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('learner_id', sa.Integer(), nullable=False),
        sa.Column('lessons', sa.JSON(), nullable=False),
        sa.Column('length', sa.Integer(), nullable=False),
        sa.Column('plan', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('asked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('score', sa.Float(), nullable=True),
        sa.Column('coverage', sa.Float(), nullable=True),
        sa.Column('grader', sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(['learner_id'], ['learner.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.create_index(
            'ix_interview_learner_started', ['learner_id', 'started_at'], unique=False
        )
    op.create_table(
        'interview_answer',
        sa.Column('interview_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.String(length=80), nullable=False),
        sa.Column('question_hash', sa.String(length=16), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('judgement', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['interview_id'], ['interview.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('interview_id', 'position'),
    )


def downgrade() -> None:
    op.drop_table('interview_answer')
    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.drop_index('ix_interview_learner_started')
    op.drop_table('interview')
