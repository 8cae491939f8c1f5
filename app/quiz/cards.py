"""A learner's review card for one question as the writes see it: read, rated, written back
(``answers.store`` after an answer, ``service.rate`` from the review queue), and the review
log row each rating leaves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fsrs import Scheduler
from sqlmodel import Session

from app.quiz import repository
from app.quiz.scheduling import CardState, Rating, State, review

__all__ = ["Card", "log_row", "stored_card"]


@dataclass
class Card:
    """Its FSRS state (None before the first rating) and counts."""

    state: CardState | None
    reps: int = 0
    lapses: int = 0

    def rated(self, scheduler: Scheduler, rating: Rating, now: datetime) -> Card:
        after = review(scheduler, self.state, rating, now)
        lapsed = (
            self.state is not None and self.state.state == State.Review and rating == Rating.Again
        )
        return Card(after, self.reps + 1, self.lapses + int(lapsed))

    def row(self, learner_id: int, question_id: str) -> dict[str, Any]:
        """The review_card columns, for ``repository.save_cards``."""
        assert self.state is not None
        return {
            "learner_id": learner_id,
            "question_id": question_id,
            "state": self.state.state,
            "step": self.state.step,
            "stability": self.state.stability,
            "difficulty": self.state.difficulty,
            "due": self.state.due,
            "last_review": self.state.last_review,
            "reps": self.reps,
            "lapses": self.lapses,
        }


def stored_card(session: Session, learner_id: int, question_id: str) -> Card:
    """The card as stored (locked for update where the database can), or a new one."""
    row = repository.card_row(session, learner_id=learner_id, question_id=question_id)
    if row is None:
        return Card(None)
    state_, step, stability, difficulty, due, last_review, reps, lapses = row
    state = CardState(state_, step, stability, difficulty, due, last_review)
    return Card(state, reps, lapses)


def log_row(
    learner_id: int,
    question_id: str,
    rating: Rating,
    source: str,
    attempt_id: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The review_log columns of one rating, for ``repository.insert_logs``."""
    return {
        "learner_id": learner_id,
        "question_id": question_id,
        "rating": int(rating),
        "source": source,
        "attempt_id": attempt_id,
        "reviewed_at": now,
    }
