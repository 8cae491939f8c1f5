"""Tables of the quiz feature: every attempt, one review card per learner and question, and the
lessons a learner has opened (the review queue draws new cards only from those)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel

__all__ = ["Attempt", "LessonVisit", "ReviewCard", "ReviewLog"]


def _learner_fk(*, primary_key: bool = False) -> Column[int]:
    return Column(
        Integer,
        ForeignKey("learner.id", ondelete="CASCADE"),
        primary_key=primary_key,
        index=not primary_key,
        nullable=False,
    )


class Attempt(SQLModel, table=True):
    """One answer. ``id`` comes from the client, so a retried submission is recognised."""

    __tablename__ = "attempt"
    __table_args__ = (Index("ix_attempt_learner_question", "learner_id", "question_id"),)

    id: str = Field(primary_key=True, max_length=36)
    learner_id: int = Field(sa_column=_learner_fk())
    question_id: str = Field(max_length=80)
    question_hash: str = Field(max_length=16)
    response: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    shown_order: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    correct: bool
    score: float
    rating: int
    duration_ms: int | None = None
    created_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), index=True, nullable=False)
    )
    # Kept so that a retried submission gets back exactly the body of the first one.
    next_review_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # Calculated questions: the seed, the input values it drew and the answer, kept as they were
    # (a later edit of the question's ranges would draw other values from the same seed).
    drawn: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Open questions: the judge's verdict and evidence (app.quiz.open_answers.as_json), as judged
    # when the answer was given.
    judgement: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ReviewCard(SQLModel, table=True):
    """FSRS state of one question for one learner."""

    __tablename__ = "review_card"

    learner_id: int = Field(sa_column=_learner_fk(primary_key=True))
    question_id: str = Field(primary_key=True, max_length=80)
    state: int
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: datetime = Field(sa_column=Column(DateTime(timezone=True), index=True, nullable=False))
    last_review: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    reps: int = 0
    lapses: int = 0


class ReviewLog(SQLModel, table=True):
    """Every rating applied to a card, from a quiz attempt or from the review queue."""

    __tablename__ = "review_log"

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(sa_column=_learner_fk())
    question_id: str = Field(max_length=80)
    rating: int
    source: str = Field(max_length=10)  # "quiz" or "review"
    attempt_id: str | None = Field(default=None, max_length=36)
    reviewed_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), index=True, nullable=False)
    )


class LessonVisit(SQLModel, table=True):
    """A lesson a learner has opened: its questions may enter their review queue as new cards.
    One row per learner and lesson, written the first time (``app/quiz/visits.py``)."""

    __tablename__ = "lesson_visit"

    learner_id: int = Field(sa_column=_learner_fk(primary_key=True))
    lesson: str = Field(primary_key=True, max_length=80)
    first_opened_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
