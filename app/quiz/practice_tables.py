"""Tables of practice sessions: one row per session (its questions as JSON), one per position
answered or skipped in it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

__all__ = ["PracticeItem", "PracticeSession"]


class PracticeSession(SQLModel, table=True):
    """A practice session of a lesson (or ``mixed``). ``id`` is random and goes in the URL;
    the session belongs to one learner, and is nobody else's to see."""

    __tablename__ = "practice_session"
    __table_args__ = (Index("ix_practice_session_learner_started", "learner_id", "started_at"),)

    id: str = Field(primary_key=True, max_length=16)
    learner_id: int = Field(
        sa_column=Column(Integer, ForeignKey("learner.id", ondelete="CASCADE"), nullable=False)
    )
    lesson: str = Field(max_length=80)  # a lesson slug, or "mixed"
    questions: list[str] = Field(sa_column=Column(JSON, nullable=False))  # in the order asked
    # The server's clock: when the first question was shown, when the last position was recorded.
    started_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class PracticeItem(SQLModel, table=True):
    """What counted at one position: (session, position) is the key, so a position is recorded
    once (a resent or second answer to it does not count again)."""

    __tablename__ = "practice_item"

    session_id: str = Field(
        sa_column=Column(
            String(16), ForeignKey("practice_session.id", ondelete="CASCADE"), primary_key=True
        )
    )
    position: int = Field(primary_key=True)
    question_id: str = Field(max_length=80)
    attempt_id: str | None = Field(default=None, max_length=36)  # None: skipped
    correct: bool
    score: float
    answered_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
