"""Progress figures computed from a learner's rows: pure functions, fixed clock in, numbers out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from fsrs import Scheduler

from app.clock import as_utc
from app.content.index import ContentIndex
from app.quiz.scheduling import CardState, retrievability

# What the figures read from the quiz's rows (``app/quiz/tables.py``), so that this module needs
# no database library: any object with these attributes will do.


class Attempt(Protocol):
    @property
    def question_id(self) -> str: ...
    @property
    def correct(self) -> bool: ...
    @property
    def created_at(self) -> datetime: ...


class ReviewLog(Protocol):
    @property
    def reviewed_at(self) -> datetime: ...


class ReviewCard(Protocol):
    @property
    def state(self) -> int: ...
    @property
    def step(self) -> int | None: ...
    @property
    def stability(self) -> float | None: ...
    @property
    def difficulty(self) -> float | None: ...
    @property
    def due(self) -> datetime: ...
    @property
    def last_review(self) -> datetime | None: ...


__all__ = [
    "DayCount",
    "LessonMastery",
    "Progress",
    "accuracy_by_day",
    "activity_by_day",
    "due_forecast",
    "mastery_by_lesson",
    "progress",
    "retention",
    "streak",
]


@dataclass(frozen=True)
class LessonMastery:
    slug: str
    title: str
    questions: int
    seen: int
    mastered: int  # last answer right

    @property
    def share(self) -> float:
        return self.mastered / self.questions if self.questions else 0.0


@dataclass(frozen=True)
class DayCount:
    day: date
    total: int
    correct: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.total if self.total else None


@dataclass(frozen=True)
class Progress:
    attempts: int
    correct: int
    mastery: tuple[LessonMastery, ...]
    accuracy: tuple[DayCount, ...]
    activity: tuple[DayCount, ...]
    streak: int
    forecast: tuple[DayCount, ...]
    retention: float | None
    cards: int


def mastery_by_lesson(
    content: ContentIndex, attempts: Sequence[Attempt]
) -> tuple[LessonMastery, ...]:
    latest: dict[str, Attempt] = {}
    for attempt in sorted(attempts, key=lambda a: as_utc(a.created_at)):
        latest[attempt.question_id] = attempt
    rows = []
    for lesson in content.lessons:
        ids = [q.id for q in content.questions.for_lesson(lesson.slug)]
        if not ids:
            continue
        seen = [i for i in ids if i in latest]
        rows.append(
            LessonMastery(
                lesson.slug, lesson.title, len(ids), len(seen), sum(latest[i].correct for i in seen)
            )
        )
    return tuple(rows)


def accuracy_by_day(
    attempts: Sequence[Attempt], today: date, days: int = 30
) -> tuple[DayCount, ...]:
    totals: Counter[date] = Counter()
    rights: Counter[date] = Counter()
    for attempt in attempts:
        day = as_utc(attempt.created_at).date()
        totals[day] += 1
        rights[day] += int(attempt.correct)
    start = today - timedelta(days=days - 1)
    return tuple(
        DayCount(d, totals[d], rights[d]) for d in (start + timedelta(i) for i in range(days))
    )


def activity_by_day(
    logs: Sequence[ReviewLog], today: date, weeks: int = 12
) -> tuple[DayCount, ...]:
    """Ratings per day (each quiz answer and each review counts once), whole weeks Mon-Sun."""
    counts = Counter(as_utc(log.reviewed_at).date() for log in logs)
    end = today + timedelta(days=6 - today.weekday())
    start = end - timedelta(days=7 * weeks - 1)
    return tuple(
        DayCount(d, counts[d])
        for d in (start + timedelta(i) for i in range((end - start).days + 1))
    )


def streak(logs: Sequence[ReviewLog], today: date) -> int:
    """Consecutive days with activity, ending today (or yesterday, if today is still open)."""
    days = {as_utc(log.reviewed_at).date() for log in logs}
    cursor = today if today in days else today - timedelta(days=1)
    count = 0
    while cursor in days:
        count += 1
        cursor -= timedelta(days=1)
    return count


def due_forecast(
    cards: Sequence[ReviewCard], now: datetime, days: int = 14
) -> tuple[DayCount, ...]:
    """Cards falling due each day; anything already overdue counts today."""
    today = now.date()
    counts: Counter[date] = Counter(max(as_utc(c.due).date(), today) for c in cards)
    return tuple(DayCount(d, counts[d]) for d in (today + timedelta(i) for i in range(days)))


def retention(scheduler: Scheduler, cards: Sequence[ReviewCard], now: datetime) -> float | None:
    """Mean estimated recall probability now, over cards that have been reviewed."""
    states = [
        CardState(c.state, c.step, c.stability, c.difficulty, c.due, c.last_review)
        for c in cards
        if c.stability is not None and c.last_review is not None
    ]
    if not states:
        return None
    return sum(retrievability(scheduler, s, now) for s in states) / len(states)


def progress(
    *,
    content: ContentIndex,
    scheduler: Scheduler,
    attempts: Sequence[Attempt],
    logs: Sequence[ReviewLog],
    cards: Sequence[ReviewCard],
    now: datetime,
) -> Progress:
    today = now.date()
    return Progress(
        attempts=len(attempts),
        correct=sum(a.correct for a in attempts),
        mastery=mastery_by_lesson(content, attempts),
        accuracy=accuracy_by_day(attempts, today),
        activity=activity_by_day(logs, today),
        streak=streak(logs, today),
        forecast=due_forecast(cards, now),
        retention=retention(scheduler, cards, now),
        cards=len(cards),
    )
