"""Practice sessions: one row per session (its questions as JSON), one per position recorded.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "practice_session",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("lesson", sa.String(length=80), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["learner_id"], ["learner.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("practice_session", schema=None) as batch_op:
        batch_op.create_index(
            "ix_practice_session_learner_started", ["learner_id", "started_at"], unique=False
        )
    op.create_table(
        "practice_item",
        sa.Column("session_id", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=80), nullable=False),
        sa.Column("attempt_id", sa.String(length=36), nullable=True),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["practice_session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "position"),
    )


def downgrade() -> None:
    op.drop_table("practice_item")
    with op.batch_alter_table("practice_session", schema=None) as batch_op:
        batch_op.drop_index("ix_practice_session_learner_started")
    op.drop_table("practice_session")
