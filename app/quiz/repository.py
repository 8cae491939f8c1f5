"""Queries and writes of the quiz tables (attempt, review_card, review_log, lesson_visit): the
only module that writes them. Keyword-only; every query is scoped to one learner."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, bindparam, delete, text, update
from sqlalchemy.types import TypeEngine
from sqlmodel import Session, col, select

from app.db import DriverStatement
from app.quiz.tables import Attempt, LessonVisit, ReviewCard, ReviewLog

__all__ = [
    "attempts_by_id",
    "attempts_of",
    "card_of",
    "card_row",
    "cards_of",
    "delete_learner",
    "get_attempt",
    "insert_attempts",
    "insert_logs",
    "latest_attempts",
    "logs_of",
    "merge_learner",
    "opened_lessons",
    "record_visit",
    "save_cards",
    "visitor",
    "visits_of",
]


def get_attempt(session: Session, *, attempt_id: str) -> Attempt | None:
    return session.get(Attempt, attempt_id)


def cards_of(session: Session, *, learner_id: int) -> Sequence[ReviewCard]:
    return session.exec(select(ReviewCard).where(ReviewCard.learner_id == learner_id)).all()


def card_of(session: Session, *, learner_id: int, question_id: str) -> ReviewCard | None:
    return session.get(ReviewCard, (learner_id, question_id))


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


def visits_of(session: Session, *, learner_id: int) -> Sequence[LessonVisit]:
    statement = select(LessonVisit).where(LessonVisit.learner_id == learner_id)
    return session.exec(statement.order_by(col(LessonVisit.first_opened_at))).all()


def opened_lessons(session: Session, *, learner_id: int) -> set[str]:
    """Slugs of the lessons the learner has opened."""
    statement = select(LessonVisit.lesson).where(LessonVisit.learner_id == learner_id)
    return set(session.exec(statement).all())


def latest_attempts(session: Session, *, learner_id: int) -> dict[str, Attempt]:
    """The most recent attempt at each question."""
    latest: dict[str, Attempt] = {}
    for attempt in attempts_of(session, learner_id=learner_id):
        latest[attempt.question_id] = attempt
    return latest


def merge_learner(session: Session, *, guest_id: int, into_id: int) -> None:
    """A guest's history becomes an account's: attempts and review logs move as they are; a
    review card moves only where the account has none for that question (the account's own
    schedule wins), the guest's other cards go; lessons opened join the account's."""
    for table in (Attempt, ReviewLog):
        session.exec(
            update(table).where(col(table.learner_id) == guest_id).values(learner_id=into_id)
        )
    opened = opened_lessons(session, learner_id=into_id)
    for visit in visits_of(session, learner_id=guest_id):
        if visit.lesson not in opened:
            session.add(LessonVisit(**{**visit.model_dump(), "learner_id": into_id}))
    session.exec(delete(LessonVisit).where(col(LessonVisit.learner_id) == guest_id))
    existing = set(
        session.exec(select(ReviewCard.question_id).where(ReviewCard.learner_id == into_id)).all()
    )
    for card in session.exec(select(ReviewCard).where(ReviewCard.learner_id == guest_id)).all():
        if card.question_id not in existing:
            moved = ReviewCard(**{**card.model_dump(), "learner_id": into_id})
            session.delete(card)
            session.flush()
            session.add(moved)
    session.flush()
    session.exec(delete(ReviewCard).where(col(ReviewCard.learner_id) == guest_id))


def delete_learner(session: Session, *, learner_id: int) -> None:
    """Every quiz row of the learner."""
    for table in (Attempt, ReviewCard, ReviewLog, LessonVisit):
        session.exec(delete(table).where(col(table.learner_id) == learner_id))


# --- the answer path: prepared statements -------------------------------------------------
# Submitting an answer is the busiest write. These statements are built once and are plain,
# portable SQL (SQLite >= 3.24 and PostgreSQL both know ON CONFLICT … DO UPDATE and
# "excluded"); typed bind parameters store values exactly as the ORM would.

_WHEN = DateTime(timezone=True)
_CARD_COLUMNS = "state, step, stability, difficulty, due, last_review, reps, lapses"
_CARD_SELECT = f"SELECT {_CARD_COLUMNS} FROM review_card WHERE learner_id = :learner_id AND question_id = :question_id"
_CARD_TYPES: dict[str, TypeEngine[Any]] = {
    "due": _WHEN,
    "last_review": _WHEN,
    "stability": Float(),
    "difficulty": Float(),
}
_CARD = DriverStatement(text(_CARD_SELECT).columns(**_CARD_TYPES))
_CARD_FOR_UPDATE = DriverStatement(text(_CARD_SELECT + " FOR UPDATE").columns(**_CARD_TYPES))
_CARD_UPSERT = DriverStatement(
    text(
        f"INSERT INTO review_card (learner_id, question_id, {_CARD_COLUMNS}) "
        "VALUES (:learner_id, :question_id, :state, :step, :stability, :difficulty, :due, :last_review, :reps, :lapses) "
        "ON CONFLICT (learner_id, question_id) DO UPDATE SET state = excluded.state, step = excluded.step, "
        "stability = excluded.stability, difficulty = excluded.difficulty, due = excluded.due, "
        "last_review = excluded.last_review, reps = excluded.reps, lapses = excluded.lapses"
    ).bindparams(bindparam("due", type_=_WHEN), bindparam("last_review", type_=_WHEN))
)
_ATTEMPT_INSERT = DriverStatement(
    text(
        "INSERT INTO attempt (id, learner_id, question_id, question_hash, response, shown_order, correct, "
        "score, rating, duration_ms, created_at, next_review_at, drawn, judgement) VALUES (:id, :learner_id, "
        ":question_id, :question_hash, :response, :shown_order, :correct, :score, :rating, :duration_ms, :created_at, "
        ":next_review_at, :drawn, :judgement)"
    ).bindparams(
        bindparam("response", type_=JSON),
        bindparam("shown_order", type_=JSON),
        bindparam("drawn", type_=JSON),
        bindparam("judgement", type_=JSON),
        bindparam("correct", type_=Boolean),
        bindparam("created_at", type_=_WHEN),
        bindparam("next_review_at", type_=_WHEN),
    )
)
_ATTEMPT_IDS = text("SELECT id FROM attempt WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
_LOG_INSERT = DriverStatement(
    text(
        "INSERT INTO review_log (learner_id, question_id, rating, source, attempt_id, reviewed_at) "
        "VALUES (:learner_id, :question_id, :rating, :source, :attempt_id, :reviewed_at)"
    ).bindparams(bindparam("reviewed_at", type_=_WHEN))
)


def card_row(session: Session, *, learner_id: int, question_id: str) -> tuple[Any, ...] | None:
    """A card's scheduling columns (in ``_CARD_COLUMNS`` order), locked for update where the
    database can (PostgreSQL)."""
    locking = session.get_bind().dialect.name == "postgresql"
    statement = _CARD_FOR_UPDATE if locking else _CARD
    return statement.first(session, {"learner_id": learner_id, "question_id": question_id})


def attempts_by_id(session: Session, *, attempt_ids: Sequence[str]) -> Sequence[Attempt]:
    """The attempts among these ids that exist (usually none: a cheap id-only query first)."""
    found = session.execute(_ATTEMPT_IDS, {"ids": list(attempt_ids)}).scalars().all()
    if not found:
        return []
    return session.exec(select(Attempt).where(col(Attempt.id).in_(found))).all()


# Each takes a list of rows: several rows go to the driver as one executemany.
def save_cards(session: Session, rows: list[dict[str, Any]]) -> None:
    _CARD_UPSERT.many(session, rows)


def insert_attempts(session: Session, rows: list[dict[str, Any]]) -> None:
    _ATTEMPT_INSERT.many(session, rows)


def insert_logs(session: Session, rows: list[dict[str, Any]]) -> None:
    _LOG_INSERT.many(session, rows)


# --- lesson visits: one read, and a write only the first time -----------------------------
# The lesson page records a visit after its response is sent (``app/quiz/visits.py``). The
# visitor is found from the cookie's public id: a guest's row (no username), or, for a
# signed-in cookie, the account whose session row holds that secret, as ``identity`` checks.

_GUEST_VISITOR = text(
    "SELECT l.id, v.learner_id FROM learner l LEFT JOIN lesson_visit v "
    "ON v.learner_id = l.id AND v.lesson = :lesson "
    "WHERE l.public_id = :public_id AND l.username IS NULL"
)
_SIGNED_IN_VISITOR = text(
    "SELECT l.id, v.learner_id FROM learner l JOIN learner_session s ON s.learner_id = l.id "
    "LEFT JOIN lesson_visit v ON v.learner_id = l.id AND v.lesson = :lesson "
    "WHERE l.public_id = :public_id AND s.secret_hash = :secret_hash"
)
_VISIT_INSERT = text(
    "INSERT INTO lesson_visit (learner_id, lesson, first_opened_at) "
    "VALUES (:learner_id, :lesson, :at) ON CONFLICT (learner_id, lesson) DO NOTHING"
).bindparams(bindparam("at", type_=_WHEN))


def visitor(
    session: Session, *, public_id: str, secret_hash: str | None, lesson: str
) -> tuple[int, bool] | None:
    """The learner a cookie names and whether they have opened ``lesson`` before; None when
    the cookie names no learner row (a guest who has saved nothing) or a session since ended."""
    params = {"public_id": public_id, "lesson": lesson}
    if secret_hash is None:
        row = session.execute(_GUEST_VISITOR, params).first()
    else:
        row = session.execute(_SIGNED_IN_VISITOR, params | {"secret_hash": secret_hash}).first()
    return None if row is None else (int(row[0]), row[1] is not None)


def record_visit(session: Session, *, learner_id: int, lesson: str, at: datetime) -> None:
    """The first opening of a lesson (a later one changes nothing)."""
    session.execute(_VISIT_INSERT, {"learner_id": learner_id, "lesson": lesson, "at": at})
