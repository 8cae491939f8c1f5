"""Lessons a learner has opened: the review queue draws new cards only from these.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'lesson_visit',
        sa.Column('learner_id', sa.Integer(), nullable=False),
        sa.Column('lesson', sa.String(length=80), nullable=False),
        sa.Column('first_opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['learner_id'], ['learner.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('learner_id', 'lesson'),
    )


def downgrade() -> None:
    op.drop_table('lesson_visit')
