"""Queries and writes of the interview tables: the only module that writes them. Keyword-only;
every query that can is scoped to one learner."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from app.interview.tables import Interview, InterviewAnswer

__all__ = [
    "add_answer",
    "answers_of",
    "delete_learner",
    "get_interview",
    "interviews_of",
    "merge_learner",
    "save",
]


def get_interview(
    session: Session, *, interview_id: int, learner_id: int, for_update: bool = False
) -> Interview | None:
    """The learner's interview, or None (another learner's is None too). ``for_update`` locks
    the row where the database can (PostgreSQL; SQLite's write transaction holds it anyway)."""
    statement = select(Interview).where(
        Interview.id == interview_id, Interview.learner_id == learner_id
    )
    if for_update:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def interviews_of(session: Session, *, learner_id: int) -> Sequence[Interview]:
    """Newest first."""
    statement = select(Interview).where(Interview.learner_id == learner_id)
    return session.exec(
        statement.order_by(col(Interview.started_at).desc(), col(Interview.id).desc())
    ).all()


def answers_of(session: Session, *, interview_ids: Sequence[int]) -> Sequence[InterviewAnswer]:
    """The answers of these interviews, by interview and position."""
    if not interview_ids:
        return []
    statement = select(InterviewAnswer).where(col(InterviewAnswer.interview_id).in_(interview_ids))
    return session.exec(
        statement.order_by(col(InterviewAnswer.interview_id), col(InterviewAnswer.position))
    ).all()


def save(session: Session, interview: Interview) -> Interview:
    session.add(interview)
    session.flush()
    return interview


def add_answer(session: Session, answer: InterviewAnswer) -> None:
    """Flushed at once: a position recorded meanwhile fails its primary key here."""
    session.add(answer)
    session.flush()


def merge_learner(session: Session, *, guest_id: int, into_id: int) -> None:
    """A guest's interviews become an account's, answers and all."""
    session.exec(
        update(Interview).where(col(Interview.learner_id) == guest_id).values(learner_id=into_id)
    )


def delete_learner(session: Session, *, learner_id: int) -> None:
    """Every interview of the learner, and its answers."""
    ids = select(Interview.id).where(Interview.learner_id == learner_id)
    session.exec(delete(InterviewAnswer).where(col(InterviewAnswer.interview_id).in_(ids)))
    session.exec(delete(Interview).where(col(Interview.learner_id) == learner_id))
