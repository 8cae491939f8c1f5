"""The answer path's statements run on the driver's cursor (``app.db.DriverStatement``): rows
they write read back through the ORM exactly as written, rows they read come back typed, and
a driver error is SQLAlchemy's, so the one write path retries it. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.accounts import repository as accounts
from app.clock import as_utc
from app.config import Settings
from app.db import make_engine, retry_on_conflict
from app.quiz import repository
from app.quiz.tables import Attempt, ReviewCard

pytestmark = pytest.mark.both_databases

WHEN = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def engine(migrated: Settings) -> Iterator[Engine]:
    engine = make_engine(migrated.resolved_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def learner_id(engine: Engine) -> int:
    with Session(engine) as session:
        learner = accounts.create_learner(session, public_id=uuid.uuid4().hex)
        session.commit()
        assert learner.id is not None
        return learner.id


def attempt_row(learner_id: int, **changes: Any) -> dict[str, Any]:
    row = {
        "id": str(uuid.uuid4()),
        "learner_id": learner_id,
        "question_id": "bert-q1",
        "question_hash": "0123456789abcdef",
        "response": {"choice": "b", "note": "naïve, ünïcode ✓"},
        "shown_order": ["c", "a", "b"],
        "correct": False,
        "score": 0.25,
        "rating": 1,
        "duration_ms": 9000,
        "created_at": WHEN,
        "next_review_at": WHEN + timedelta(minutes=10),
        "drawn": None,
        "judgement": None,
    }
    return {**row, **changes}


def test_written_rows_read_back_through_the_orm(engine: Engine, learner_id: int) -> None:
    judged = {"verdict": "acceptable", "key_points": [{"id": "a", "covered": True}]}
    rows = [
        attempt_row(learner_id),
        attempt_row(learner_id, correct=True, drawn={"seed": 7}),
        attempt_row(learner_id, judgement=judged),
    ]
    with Session(engine) as session:

        def write() -> None:
            repository.insert_attempts(session, rows)
            session.commit()

        retry_on_conflict(session, write)
    with Session(engine) as session:
        for row in rows:
            stored = session.get(Attempt, row["id"])
            assert stored is not None
            assert stored.response == row["response"]
            assert stored.shown_order == row["shown_order"]
            assert stored.correct is row["correct"]
            assert stored.drawn == row["drawn"]
            assert stored.judgement == row["judgement"]
            assert as_utc(stored.created_at) == WHEN
            assert as_utc(stored.next_review_at) == row["next_review_at"]


def test_card_rows_come_back_typed(engine: Engine, learner_id: int) -> None:
    card = {
        "learner_id": learner_id,
        "question_id": "bert-q1",
        "state": 2,
        "step": None,
        "stability": 3.1729,
        "difficulty": 5.5,
        "due": WHEN + timedelta(days=3),
        "last_review": WHEN,
        "reps": 4,
        "lapses": 1,
    }
    with Session(engine) as session:
        assert repository.card_row(session, learner_id=learner_id, question_id="bert-q1") is None
        repository.save_cards(session, [card])
        session.commit()
        repository.save_cards(session, [{**card, "reps": 5}])  # the upsert updates
        session.commit()
    with Session(engine) as session:
        row = repository.card_row(session, learner_id=learner_id, question_id="bert-q1")
        orm = session.get(ReviewCard, (learner_id, "bert-q1"))
    assert row is not None and orm is not None
    state, step, stability, difficulty, due, last_review, reps, lapses = row
    assert (state, step, difficulty, reps, lapses) == (2, None, 5.5, 5, 1)
    assert isinstance(stability, float) and stability == pytest.approx(3.1729)
    assert isinstance(due, datetime) and as_utc(due) == card["due"]
    assert isinstance(last_review, datetime) and as_utc(last_review) == WHEN
    assert as_utc(orm.due) == card["due"]


def test_a_duplicate_is_sqlalchemys_integrity_error(engine: Engine, learner_id: int) -> None:
    row = attempt_row(learner_id)
    with Session(engine) as session:
        repository.insert_attempts(session, [row])
        session.commit()
        with pytest.raises(IntegrityError):
            repository.insert_attempts(session, [attempt_row(learner_id, id=row["id"])])
        session.rollback()
        # and the session is usable afterwards: the next write goes through
        repository.insert_attempts(session, [attempt_row(learner_id)])
        session.commit()
    with Session(engine) as session:
        assert len(repository.attempts_of(session, learner_id=learner_id)) == 2
