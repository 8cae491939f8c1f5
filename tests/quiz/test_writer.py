"""The group-commit writer: answers waiting together are stored in one transaction, and each
request still gets its own outcome (a first result, a replay, or its own error)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from app.accounts.identity import Identity
from app.accounts.repository import create_learner
from app.config import Settings
from app.content.loader import load_content
from app.content.questions import QuestionBank
from app.db import make_engine
from app.errors import Conflict
from app.quiz import answers
from app.quiz.calculated import FORMULAS
from app.quiz.scheduling import make_scheduler
from app.quiz.tables import Attempt, ReviewCard, ReviewLog
from app.quiz.writer import AttemptWriter
from tests.conftest import CONTENT_DIR

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: the browser tests keep an event loop running in
    the main thread for the whole session."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def true_answer(bank: QuestionBank, who: Identity, question_id: str) -> answers.Pending:
    """A graded "true" to a true/false question, with a new attempt id."""
    return answers.prepare(
        bank=bank,
        identity=who,
        attempt_id=str(uuid.uuid4()),
        question_id=question_id,
        response={"value": True},
        shown_order=None,
        duration_ms=None,
        now=NOW,
    )


def test_concurrent_answers_share_a_transaction_and_keep_their_outcomes(
    migrated: Settings,
) -> None:
    engine = make_engine(migrated.resolved_database_url)
    bank = load_content(CONTENT_DIR, formulas=FORMULAS).questions
    question = next(q for q in bank.questions if q.type == "single")
    right = next(o.id for o in question.options if o.correct)
    with Session(engine, expire_on_commit=False) as session:
        ada = create_learner(session, public_id=str(uuid.uuid4()), username="ada")
        grace = create_learner(session, public_id=str(uuid.uuid4()), username="grace")
        session.commit()
    writer = AttemptWriter(engine, scheduler=make_scheduler(fuzz=False), bank=bank)

    def pending(who: Identity, attempt_id: str) -> answers.Pending:
        prepared = answers.prepare(
            bank=bank,
            identity=who,
            attempt_id=attempt_id,
            question_id=question.id,
            response={"choice": right},
            shown_order=None,
            duration_ms=20_000,
            now=NOW,
        )
        assert isinstance(prepared, answers.Pending)
        return prepared

    as_ada = Identity(ada.public_id, ada, "token")
    as_grace = Identity(grace.public_id, grace, "token")
    ids = [str(uuid.uuid4()) for _ in range(6)]

    async def run() -> list[object]:
        jobs = [writer.submit(pending(as_ada, i)) for i in ids]
        jobs.append(writer.submit(pending(as_ada, ids[0])))  # a resend within the same batch
        jobs.append(writer.submit(pending(as_grace, ids[1])))  # someone else's id
        return await asyncio.gather(*jobs, return_exceptions=True)

    outcomes = run_async(run())
    assert writer.batches == 1 and writer.stored == 6
    firsts = [o for o in outcomes[:6] if isinstance(o, answers.Answered) and o.created]
    assert len(firsts) == 6
    resent = outcomes[6]
    assert isinstance(resent, answers.Answered) and resent.created is False
    assert resent.result == firsts[0].result
    assert isinstance(outcomes[7], Conflict)
    with Session(engine) as session:
        assert sorted(a.id for a in session.exec(select(Attempt)).all()) == sorted(ids)
        card = session.exec(select(ReviewCard)).one()
        assert card.reps == 6  # one card, rated six times in order within the batch
        assert len(session.exec(select(ReviewLog)).all()) == 6

    # A later batch sees what the first stored: the resend is a replay, nothing new is kept.
    again = run_async(writer.submit(pending(as_ada, ids[2])))
    assert again.created is False
    assert again.result.next_review_at == firsts[2].result.next_review_at
    assert writer.stored == 6
    writer.close()
    engine.dispose()


def test_a_failed_batch_fails_each_request_with_the_error(migrated: Settings) -> None:
    engine = make_engine(migrated.resolved_database_url)
    bank = load_content(CONTENT_DIR, formulas=FORMULAS).questions
    question = next(q for q in bank.questions if q.type == "truefalse")
    ghost = Identity(str(uuid.uuid4()), None, "session")
    prepared = true_answer(bank, ghost, question.id)
    writer = AttemptWriter(engine, scheduler=make_scheduler(fuzz=False), bank=bank)
    cascade = " CASCADE" if engine.dialect.name == "postgresql" else ""
    with engine.begin() as connection:  # the table disappears under the writer
        connection.execute(text(f"DROP TABLE attempt{cascade}"))
    with pytest.raises(DBAPIError, match="attempt"):
        run_async(writer.submit(prepared))
    assert writer.batches == 0
    writer.close()
    engine.dispose()


def test_the_writer_keeps_its_connection_only_while_answers_keep_coming(
    migrated: Settings,
) -> None:
    engine = make_engine(migrated.resolved_database_url)
    bank = load_content(CONTENT_DIR, formulas=FORMULAS).questions
    question = next(q for q in bank.questions if q.type == "truefalse")
    with Session(engine, expire_on_commit=False) as session:
        ada = create_learner(session, public_id=str(uuid.uuid4()), username="ada")
        session.commit()
    as_ada = Identity(ada.public_id, ada, "token")
    writer = AttemptWriter(engine, scheduler=make_scheduler(fuzz=False), bank=bank)

    async def answer_in_turn(n: int) -> None:
        for _ in range(n):
            await writer.submit(true_answer(bank, as_ada, question.id))

    run_async(answer_in_turn(5))
    assert writer.stored == 5
    deadline = time.monotonic() + 2
    while engine.pool.checkedout() and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.01)
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]  # idle: given back
    run_async(answer_in_turn(1))  # and taken again for the next answer
    assert writer.stored == 6
    writer.close()
    engine.dispose()
