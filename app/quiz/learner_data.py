"""The quiz's part of a learner's data, for accounts (``app.accounts.learner_data``): the
export's attempts, review cards, review log and lessons opened; merging a guest into an account; deleting."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.accounts.learner_data import LearnerData, iso
from app.quiz import practice_repository, repository

__all__ = ["QuizData"]


EXPORTED = ("attempts", "review_cards", "review_log", "practice_sessions", "lesson_visits")


class QuizData(LearnerData):
    """Implements ``LearnerData`` for the attempt, review_card, review_log and lesson_visit
    tables."""

    def export(self, session: Session, learner_id: int | None) -> dict[str, list[dict[str, Any]]]:
        if learner_id is None:
            return {key: [] for key in EXPORTED}
        attempts = repository.attempts_of(session, learner_id=learner_id)
        cards = repository.cards_of(session, learner_id=learner_id)
        logs = repository.logs_of(session, learner_id=learner_id)
        visits = repository.visits_of(session, learner_id=learner_id)
        return {
            "attempts": [
                {
                    "attempt_id": a.id,
                    "question_id": a.question_id,
                    "question_hash": a.question_hash,
                    "response": a.response,
                    "shown_order": a.shown_order,
                    "correct": a.correct,
                    "score": a.score,
                    "rating": a.rating,
                    "duration_ms": a.duration_ms,
                    "created_at": iso(a.created_at),
                    "next_review_at": iso(a.next_review_at),
                    "drawn": a.drawn,
                    "judgement": a.judgement,
                }
                for a in attempts
            ],
            "review_cards": [
                {
                    "question_id": c.question_id,
                    "state": c.state,
                    "step": c.step,
                    "stability": c.stability,
                    "difficulty": c.difficulty,
                    "due": iso(c.due),
                    "last_review": iso(c.last_review) if c.last_review else None,
                    "reps": c.reps,
                    "lapses": c.lapses,
                }
                for c in cards
            ],
            "review_log": [
                {
                    "question_id": g.question_id,
                    "rating": g.rating,
                    "source": g.source,
                    "attempt_id": g.attempt_id,
                    "reviewed_at": iso(g.reviewed_at),
                }
                for g in logs
            ],
            "practice_sessions": _practice_sessions(session, learner_id),
            "lesson_visits": [
                {"lesson": v.lesson, "first_opened_at": iso(v.first_opened_at)} for v in visits
            ],
        }

    def merge(self, session: Session, guest_id: int, into_id: int) -> None:
        repository.merge_learner(session, guest_id=guest_id, into_id=into_id)
        practice_repository.merge_learner(session, guest_id=guest_id, into_id=into_id)

    def delete(self, session: Session, learner_id: int) -> None:
        practice_repository.delete_learner(session, learner_id=learner_id)
        repository.delete_learner(session, learner_id=learner_id)


def _practice_sessions(session: Session, learner_id: int) -> list[dict[str, Any]]:
    return [
        {
            "session_id": p.id,
            "lesson": p.lesson,
            "questions": p.questions,
            "started_at": iso(p.started_at),
            "finished_at": iso(p.finished_at) if p.finished_at else None,
            "items": [
                {
                    "position": i.position,
                    "question_id": i.question_id,
                    "attempt_id": i.attempt_id,
                    "correct": i.correct,
                    "score": i.score,
                }
                for i in practice_repository.items_of(session, session_id=p.id)
            ],
        }
        for p in practice_repository.sessions_of(session, learner_id=learner_id)
    ]
