"""Everything bertprep keeps about a learner, as one JSON document."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.accounts import repository as accounts
from app.accounts.tables import Learner
from app.clock import as_utc
from app.quiz import repository as quiz

__all__ = ["export_learner"]


def _iso(value: Any) -> Any:
    return as_utc(value).isoformat() if hasattr(value, "isoformat") else value


def export_learner(session: Session, *, learner: Learner | None, public_id: str) -> dict[str, Any]:
    if learner is None or learner.id is None:
        return {
            "format": "bertprep-export/1",
            "learner": {"id": public_id, "username": None},
            "attempts": [],
            "review_cards": [],
            "review_log": [],
            "api_tokens": [],
        }
    lid = learner.id
    return {
        "format": "bertprep-export/1",
        "learner": {
            "id": learner.public_id,
            "username": learner.username,
            "created_at": _iso(learner.created_at),
        },
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
                "created_at": _iso(a.created_at),
                "next_review_at": _iso(a.next_review_at),
                "drawn": a.drawn,
            }
            for a in quiz.attempts_of(session, learner_id=lid)
        ],
        "review_cards": [
            {
                "question_id": c.question_id,
                "state": c.state,
                "step": c.step,
                "stability": c.stability,
                "difficulty": c.difficulty,
                "due": _iso(c.due),
                "last_review": _iso(c.last_review) if c.last_review else None,
                "reps": c.reps,
                "lapses": c.lapses,
            }
            for c in quiz.cards_of(session, learner_id=lid)
        ],
        "review_log": [
            {
                "question_id": g.question_id,
                "rating": g.rating,
                "source": g.source,
                "attempt_id": g.attempt_id,
                "reviewed_at": _iso(g.reviewed_at),
            }
            for g in quiz.logs_of(session, learner_id=lid)
        ],
        "api_tokens": [
            {
                "id": t.id,
                "name": t.name,
                "prefix": t.prefix,
                "created_at": _iso(t.created_at),
                "last_used_at": _iso(t.last_used_at) if t.last_used_at else None,
                "revoked_at": _iso(t.revoked_at) if t.revoked_at else None,
            }
            for t in accounts.tokens_of(session, learner=learner)
        ],
    }
