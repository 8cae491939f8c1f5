"""The review queue, computed from a learner's cards and the lessons they have opened: pure.

The queue holds only cards the learner has met: every question they have answered or rated
(those have a card) and, as new cards, the questions of lessons they have opened. Lessons never
read add nothing: a queue of questions about material not yet seen would be guessing."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from app.clock import as_utc
from app.content.questions import QuestionBank
from app.quiz.scheduling import State
from app.quiz.tables import ReviewCard, ReviewLog

__all__ = ["NEW_PER_DAY", "DueSummary", "due_summary", "introduced_on"]

NEW_PER_DAY = 20  # as in Anki: new questions enter the queue at a steady daily pace


@dataclass(frozen=True)
class DueItem:
    question_id: str
    kind: str  # "new", "learning" or "review"
    due: datetime | None


@dataclass(frozen=True)
class DueSummary:
    new: int
    learning: int
    review: int
    queue: tuple[DueItem, ...]
    next_due: datetime | None  # the earliest card not yet due

    @property
    def total(self) -> int:
        return len(self.queue)

    def kind_of(self, question_id: str) -> str | None:
        """ "new", "learning" or "review" for a card in the queue; None for one not in it."""
        return next((i.kind for i in self.queue if i.question_id == question_id), None)


def introduced_on(logs: Sequence[ReviewLog], day: date) -> int:
    """Questions first seen (answered or reviewed) on ``day``."""
    first: dict[str, date] = {}
    for log in logs:
        seen = as_utc(log.reviewed_at).date()
        first[log.question_id] = min(seen, first.get(log.question_id, seen))
    return sum(1 for d in first.values() if d == day)


def due_summary(
    cards: Sequence[ReviewCard],
    bank: QuestionBank,
    now: datetime,
    *,
    opened: Collection[str] = (),
    new_limit: int = NEW_PER_DAY,
    introduced_today: int = 0,
) -> DueSummary:
    """Learning cards first (their steps are minutes), then reviews, then today's new questions:
    those of the ``opened`` lessons (slugs) the learner has no card for yet."""
    known = {card.question_id for card in cards}
    live = [c for c in cards if c.question_id in bank]
    due = sorted((c for c in live if as_utc(c.due) <= now), key=lambda c: as_utc(c.due))
    learning = [c for c in due if c.state in (State.Learning, State.Relearning)]
    review = [c for c in due if c.state == State.Review]
    new = [q.id for q in bank.questions if q.id not in known and q.lesson in opened][
        : max(0, new_limit - introduced_today)
    ]
    later = [as_utc(c.due) for c in live if as_utc(c.due) > now]
    queue = (
        [DueItem(c.question_id, "learning", as_utc(c.due)) for c in learning]
        + [DueItem(c.question_id, "review", as_utc(c.due)) for c in review]
        + [DueItem(qid, "new", None) for qid in new]
    )
    return DueSummary(len(new), len(learning), len(review), tuple(queue), min(later, default=None))
