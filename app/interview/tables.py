"""Tables of the mock interview: one row per interview, one per answer given in it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, Text
from sqlmodel import Field, SQLModel

__all__ = ["ABANDONED", "FINISHED", "IN_PROGRESS", "STATUSES", "Interview", "InterviewAnswer"]

IN_PROGRESS, FINISHED, ABANDONED = "in_progress", "finished", "abandoned"
STATUSES = (IN_PROGRESS, FINISHED, ABANDONED)


class Interview(SQLModel, table=True):
    """A mock interview. ``plan`` holds one entry per position, in order:
    ``{"question_id": str, "follow_up_of": null | {"position": int, "key_point": str}}``; a
    follow-up replaces the planned entry at its position, so the plan keeps the chosen length."""

    __tablename__ = "interview"
    __table_args__ = (Index("ix_interview_learner_started", "learner_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(
        sa_column=Column(Integer, ForeignKey("learner.id", ondelete="CASCADE"), nullable=False)
    )
    lessons: list[str] = Field(sa_column=Column(JSON, nullable=False))
    length: int
    plan: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=12)  # in_progress, finished, abandoned
    # The position (1-based) asked now: one more than the answers recorded.
    position: int = 1
    # When the server served the current question (None once the interview is over).
    asked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    started_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # Kept when it finishes (app.interview.report.summary): the share of answers judged
    # acceptable, the mean share of key points covered, and who judged ("minilm", "keywords"
    # or "mixed").
    score: float | None = None
    coverage: float | None = None
    grader: str | None = Field(default=None, max_length=10)


class InterviewAnswer(SQLModel, table=True):
    """One answer; (interview, position) is its key, so a position is recorded once."""

    __tablename__ = "interview_answer"

    interview_id: int = Field(
        sa_column=Column(Integer, ForeignKey("interview.id", ondelete="CASCADE"), primary_key=True)
    )
    position: int = Field(primary_key=True)
    question_id: str = Field(max_length=80)
    question_hash: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    # Both from the server's clock: when the question was served, when the answer arrived.
    asked_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    answered_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # The judge's verdict and evidence (app.quiz.open_answers.as_json), as judged then.
    judgement: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
