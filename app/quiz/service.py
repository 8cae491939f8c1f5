"""Quiz use cases besides storing answers (``app/quiz/answers.py``): draw a question, rate a
card from the review queue, the learner's review queue. Each write commits once."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from fsrs import Scheduler
from sqlmodel import Session

from app.accounts.identity import Identity, ensure_learner
from app.clock import as_utc
from app.content.questions import Question, QuestionBank
from app.db import retry_on_conflict
from app.errors import InvalidInput, NotFound
from app.quiz import repository
from app.quiz.cards import log_row, stored_card
from app.quiz.grading import covered_key_points
from app.quiz.review import DueSummary, due_summary, introduced_on
from app.quiz.scheduling import CardState, Rating, interval_labels

__all__ = [
    "Scheduled",
    "covered",
    "draw",
    "due_for",
    "intervals_for",
    "question_or_404",
    "rate",
    "shuffled_order",
]


def question_or_404(bank: QuestionBank, question_id: str) -> Question:
    question = bank.get(question_id)
    if question is None:
        raise NotFound(f"There is no question '{question_id}'.")
    return question


def shuffled_order(question: Question, rng: random.Random) -> list[str] | None:
    """The order options are shown in: shuffled for choice and order questions."""
    if question.type not in ("single", "multiple", "order"):
        return None
    ids = [option.id for option in question.options]
    rng.shuffle(ids)
    if question.type == "order" and ids == [o.id for o in question.options] and len(ids) > 1:
        ids[0], ids[1] = ids[1], ids[0]  # never show an order question already solved
    return ids


def draw(
    session: Session,
    *,
    bank: QuestionBank,
    identity: Identity,
    lesson: str | None,
    rng: random.Random,
    now: datetime,
    exclude: str | None = None,
) -> Question:
    """Next practice question: unseen first, then weak (last answer wrong), then due, then any."""
    pool = list(bank.for_lesson(lesson) if lesson else bank.questions)
    if not pool:
        raise NotFound(f"There are no questions for '{lesson}' yet.")
    if len(pool) > 1 and exclude:
        pool = [q for q in pool if q.id != exclude] or pool
    learner = identity.learner
    if learner is None or learner.id is None:
        return rng.choice(pool)
    latest = repository.latest_attempts(session, learner_id=learner.id)
    unseen = [q for q in pool if q.id not in latest]
    if unseen:
        return rng.choice(unseen)
    weak = [q for q in pool if not latest[q.id].correct]
    if weak:
        return rng.choice(weak)
    cards = {c.question_id: c for c in repository.cards_of(session, learner_id=learner.id)}
    due = [q for q in pool if q.id in cards and as_utc(cards[q.id].due) <= now]
    if due:
        return min(due, key=lambda q: as_utc(cards[q.id].due))
    return min(pool, key=lambda q: as_utc(latest[q.id].created_at))


@dataclass(frozen=True)
class Scheduled:
    """A card after a rating: what the learner sees next."""

    state: int
    due: datetime


def rate(
    session: Session,
    *,
    scheduler: Scheduler,
    bank: QuestionBank,
    identity: Identity,
    question_id: str,
    rating: int,
    now: datetime,
) -> Scheduled:
    """A rating from the review queue (flash-card mode): reschedule and log it."""
    question = question_or_404(bank, question_id)
    if not 1 <= rating <= 4:
        raise InvalidInput("rating must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy)")

    def write() -> Scheduled:
        learner = ensure_learner(session, identity)
        assert learner.id is not None
        card = stored_card(session, learner.id, question.id).rated(scheduler, Rating(rating), now)
        assert card.state is not None
        repository.save_cards(session, [card.row(learner.id, question.id)])
        repository.insert_logs(
            session, [log_row(learner.id, question.id, Rating(rating), "review", None, now)]
        )
        session.commit()
        return Scheduled(card.state.state, card.state.due)

    return retry_on_conflict(session, write)


def covered(question: Question, text: str) -> tuple[str, ...]:
    """Key points an open answer covers (shown before the learner rates themselves)."""
    return covered_key_points(text, question.key_points)


def due_for(
    session: Session, *, identity: Identity, bank: QuestionBank, now: datetime
) -> DueSummary:
    """The learner's review queue now: cards they have met (``app.quiz.review``)."""
    learner = identity.learner
    if learner is None or learner.id is None:
        return due_summary([], bank, now)
    logs = repository.logs_of(session, learner_id=learner.id)
    cards = repository.cards_of(session, learner_id=learner.id)
    opened = repository.opened_lessons(session, learner_id=learner.id)
    return due_summary(
        cards, bank, now, opened=opened, introduced_today=introduced_on(logs, now.date())
    )


def intervals_for(
    session: Session,
    *,
    scheduler: Scheduler,
    identity: Identity,
    question_id: str,
    now: datetime,
) -> dict[int, str]:
    """What each rating would schedule the learner's card for (``{1: "1 min", …, 4: "5 d"}``),
    for the labels of the rating buttons; a learner with no card yet sees a new card's."""
    learner = identity.learner
    card = None
    if learner is not None and learner.id is not None:
        card = repository.card_of(session, learner_id=learner.id, question_id=question_id)
    state = (
        CardState(
            card.state, card.step, card.stability, card.difficulty, card.due, card.last_review
        )
        if card is not None
        else None
    )
    return interval_labels(scheduler, state, now)
