"""Baseline: an empty, versioned database that later features migrate forward.

The walking skeleton keeps all of its data in content files and memory; the first tables
(learners, attempts, review cards) arrive with the quiz engine as revision 0002.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
