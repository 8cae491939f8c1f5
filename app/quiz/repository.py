"""Queries of the quiz feature. Keyword-only; every query is scoped to one learner."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from app.quiz.tables import Attempt, ReviewCard, ReviewLog

__all__ = [
    "as_utc",
    "attempts_of",
    "card",
    "cards_of",
    "get_attempt",
    "latest_attempts",
    "logs_of",
]


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; everything is stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def get_attempt(session: Session, *, attempt_id: str) -> Attempt | None:
    return session.get(Attempt, attempt_id)


def card(session: Session, *, learner_id: int, question_id: str) -> ReviewCard | None:
    """The card, locked for update where the database can (PostgreSQL; SQLite locks whole)."""
    return session.get(ReviewCard, (learner_id, question_id), with_for_update=True)


def cards_of(session: Session, *, learner_id: int) -> Sequence[ReviewCard]:
    return session.exec(select(ReviewCard).where(ReviewCard.learner_id == learner_id)).all()


def attempts_of(
    session: Session, *, learner_id: int, since: datetime | None = None
) -> Sequence[Attempt]:
    statement = select(Attempt).where(Attempt.learner_id == learner_id)
    if since is not None:
        statement = statement.where(col(Attempt.created_at) >= since)
    return session.exec(statement.order_by(col(Attempt.created_at))).all()


def logs_of(session: Session, *, learner_id: int) -> Sequence[ReviewLog]:
    statement = select(ReviewLog).where(ReviewLog.learner_id == learner_id)
    return session.exec(statement.order_by(col(ReviewLog.reviewed_at))).all()


def latest_attempts(session: Session, *, learner_id: int) -> dict[str, Attempt]:
    """The most recent attempt at each question."""
    latest: dict[str, Attempt] = {}
    for attempt in attempts_of(session, learner_id=learner_id):
        latest[attempt.question_id] = attempt
    return latest
