"""Queries and writes of the practice tables (practice_session, practice_item): the only
module that writes them. Keyword-only; every session is looked up for one learner."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.quiz.practice import Item
from app.quiz.practice_tables import PracticeItem, PracticeSession

__all__ = [
    "add_item",
    "create",
    "delete_learner",
    "exists",
    "get_session",
    "items_of",
    "latest_unfinished",
    "merge_learner",
    "sessions_of",
]


def get_session(session: Session, *, session_id: str, learner_id: int) -> PracticeSession | None:
    """The learner's practice session, or None (another learner's is None too)."""
    statement = select(PracticeSession).where(
        PracticeSession.id == session_id, PracticeSession.learner_id == learner_id
    )
    return session.exec(statement).first()


def exists(session: Session, *, session_id: str) -> bool:
    return session.get(PracticeSession, session_id) is not None


def create(
    session: Session,
    *,
    session_id: str,
    learner_id: int,
    lesson: str,
    questions: Sequence[str],
    started_at: datetime,
) -> PracticeSession:
    row = PracticeSession(
        id=session_id,
        learner_id=learner_id,
        lesson=lesson,
        questions=list(questions),
        started_at=started_at,
    )
    session.add(row)
    session.flush()
    return row


def items_of(session: Session, *, session_id: str) -> list[Item]:
    statement = select(PracticeItem).where(PracticeItem.session_id == session_id)
    rows = session.exec(statement.order_by(col(PracticeItem.position))).all()
    return [Item(r.position, r.question_id, r.attempt_id, r.correct, r.score) for r in rows]


def add_item(
    session: Session, *, practice: PracticeSession, item: Item, now: datetime, last: bool
) -> bool:
    """Record a position and commit; False when it was recorded before (by a resent form or
    another tab): the first one counts. ``last``: this finishes the session."""
    session.add(
        PracticeItem(
            session_id=practice.id,
            position=item.position,
            question_id=item.question_id,
            attempt_id=item.attempt_id,
            correct=item.correct,
            score=item.score,
            answered_at=now,
        )
    )
    if last:
        practice.finished_at = now
        session.add(practice)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def sessions_of(session: Session, *, learner_id: int) -> Sequence[PracticeSession]:
    statement = select(PracticeSession).where(PracticeSession.learner_id == learner_id)
    return session.exec(statement.order_by(col(PracticeSession.started_at))).all()


def latest_unfinished(session: Session, *, learner_id: int, lesson: str) -> PracticeSession | None:
    """The learner's most recent session of the lesson that is not finished, if any."""
    statement = select(PracticeSession).where(
        PracticeSession.learner_id == learner_id,
        PracticeSession.lesson == lesson,
        col(PracticeSession.finished_at).is_(None),
    )
    return session.exec(statement.order_by(col(PracticeSession.started_at).desc())).first()


def merge_learner(session: Session, *, guest_id: int, into_id: int) -> None:
    """A guest's practice sessions become an account's."""
    session.exec(
        update(PracticeSession)
        .where(col(PracticeSession.learner_id) == guest_id)
        .values(learner_id=into_id)
    )


def delete_learner(session: Session, *, learner_id: int) -> None:
    ids = select(PracticeSession.id).where(PracticeSession.learner_id == learner_id)
    session.exec(delete(PracticeItem).where(col(PracticeItem.session_id).in_(ids)))
    session.exec(delete(PracticeSession).where(col(PracticeSession.learner_id) == learner_id))
