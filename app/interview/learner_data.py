"""The interviews' part of a learner's data, for accounts (``app.accounts.learner_data``): the
export's interviews with their answers; merging a guest into an account; deleting."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.accounts.learner_data import LearnerData, iso
from app.interview import repository

__all__ = ["InterviewData"]


class InterviewData(LearnerData):
    """Implements ``LearnerData`` for the interview and interview_answer tables."""

    def export(self, session: Session, learner_id: int | None) -> dict[str, list[dict[str, Any]]]:
        if learner_id is None:
            return {"interviews": []}
        interviews = repository.interviews_of(session, learner_id=learner_id)
        ids = [i.id for i in interviews if i.id is not None]
        answers: dict[int, list[dict[str, Any]]] = {}
        for a in repository.answers_of(session, interview_ids=ids):
            answers.setdefault(a.interview_id, []).append(
                {
                    "position": a.position,
                    "question_id": a.question_id,
                    "question_hash": a.question_hash,
                    "text": a.text,
                    "asked_at": iso(a.asked_at),
                    "answered_at": iso(a.answered_at),
                    "judgement": a.judgement,
                }
            )
        return {
            "interviews": [
                {
                    "id": i.id,
                    "lessons": i.lessons,
                    "length": i.length,
                    "status": i.status,
                    "plan": i.plan,
                    "started_at": iso(i.started_at),
                    "ended_at": iso(i.ended_at) if i.ended_at else None,
                    "score": i.score,
                    "coverage": i.coverage,
                    "grader": i.grader,
                    "answers": answers.get(i.id or 0, []),
                }
                for i in reversed(interviews)  # oldest first, like the other sections
            ]
        }

    def merge(self, session: Session, guest_id: int, into_id: int) -> None:
        repository.merge_learner(session, guest_id=guest_id, into_id=into_id)

    def delete(self, session: Session, learner_id: int) -> None:
        repository.delete_learner(session, learner_id=learner_id)
