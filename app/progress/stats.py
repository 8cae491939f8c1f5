"""Progress figures computed from a learner's rows: pure functions, fixed clock in, numbers out.

Each figure is defined once, here, and the page and ``/api/v1/progress`` show the same one:

- **accuracy** (``first_try_accuracy``): the share of questions answered right the first time
  they were answered; retries do not lift it.
- **predicted recall** (``retention``): FSRS's retrievability now, averaged over the cards
  last reviewed at least a day ago. FSRS counts the time since a review in whole days, so a
  card reviewed today is recalled with probability 1 by definition, even one answered wrong a
  minute ago: counting those would read 100 % after any session. None until such a card exists.
- **mastery** per lesson (``LessonMastery.share``): the share of its questions whose latest
  answer was right and whose card FSRS has moved past its learning steps (state Review) and
  does not yet ask for again (not due).

``shown_percent`` writes them all, so none reads 100 % unless it is exactly 1 (or 0 % unless 0).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from fsrs import Scheduler

from app.clock import as_utc
from app.content.index import ContentIndex
from app.quiz.scheduling import CardState, State, retrievability

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
    def question_id(self) -> str: ...
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
    "first_tries",
    "is_mastered",
    "mastery_by_lesson",
    "progress",
    "recalled_cards",
    "retention",
    "shown_percent",
    "streak",
]


def shown_percent(value: float | None) -> str:
    """A share as the page writes it: rounded, except that only exactly 1 reads "100%" and
    only exactly 0 reads "0%" (0.996 is "99%", 0.004 is "1%"); None is a dash."""
    if value is None:
        return "\u2013"  # an en dash: no figure yet
    percent = round(100 * value)
    if value < 1:
        percent = min(percent, 99)
    if value > 0:
        percent = max(percent, 1)
    return f"{percent}%"


@dataclass(frozen=True)
class LessonMastery:
    slug: str
    title: str
    questions: int
    seen: int  # answered at least once
    mastered: int  # last answer right, card past learning and not due (``is_mastered``)
    right_last_time: int = 0  # last answer right (what "mastered" counted before)

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
    attempts: int  # every answer, retries included
    correct: int  # of those, right
    first_tries: int  # questions answered at least once
    first_right: int  # of those, right the first time
    mastery: tuple[LessonMastery, ...]
    accuracy: tuple[DayCount, ...]
    activity: tuple[DayCount, ...]
    streak: int
    forecast: tuple[DayCount, ...]
    retention: float | None  # FSRS's mean predicted recall now (``retention``)
    cards: int
    recalled: int = 0  # the cards ``retention`` averages over

    @property
    def first_try_accuracy(self) -> float | None:
        return self.first_right / self.first_tries if self.first_tries else None


def is_mastered(latest: Attempt, card: ReviewCard | None, now: datetime) -> bool:
    """Last answer right, and FSRS has the card past its learning steps and not yet due."""
    return (
        latest.correct
        and card is not None
        and card.state == State.Review
        and as_utc(card.due) > now
    )


def mastery_by_lesson(
    content: ContentIndex,
    attempts: Sequence[Attempt],
    cards: Sequence[ReviewCard],
    now: datetime,
) -> tuple[LessonMastery, ...]:
    latest: dict[str, Attempt] = {}
    for attempt in sorted(attempts, key=lambda a: as_utc(a.created_at)):
        latest[attempt.question_id] = attempt
    by_question = {c.question_id: c for c in cards}
    rows = []
    for lesson in content.lessons:
        ids = [q.id for q in content.questions.for_lesson(lesson.slug)]
        if not ids:
            continue
        seen = [i for i in ids if i in latest]
        mastered = sum(is_mastered(latest[i], by_question.get(i), now) for i in seen)
        right = sum(latest[i].correct for i in seen)
        rows.append(LessonMastery(lesson.slug, lesson.title, len(ids), len(seen), mastered, right))
    return tuple(rows)


def first_tries(attempts: Sequence[Attempt]) -> tuple[int, int]:
    """(questions answered, of those right the first time)."""
    first: dict[str, Attempt] = {}
    for attempt in sorted(attempts, key=lambda a: as_utc(a.created_at)):
        first.setdefault(attempt.question_id, attempt)
    return len(first), sum(a.correct for a in first.values())


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


def recalled_cards(cards: Sequence[ReviewCard], now: datetime) -> list[CardState]:
    """The cards predicted recall is averaged over: reviewed, at least a whole day ago (FSRS
    measures the time since a review in whole days, as here)."""
    return [
        CardState(c.state, c.step, c.stability, c.difficulty, c.due, c.last_review)
        for c in cards
        if c.stability is not None
        and c.last_review is not None
        and (now - as_utc(c.last_review)).days >= 1
    ]


def retention(scheduler: Scheduler, cards: Sequence[ReviewCard], now: datetime) -> float | None:
    """FSRS's mean predicted recall now over ``recalled_cards``; None when there are none."""
    states = recalled_cards(cards, now)
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
    answered, first_right = first_tries(attempts)
    return Progress(
        attempts=len(attempts),
        correct=sum(a.correct for a in attempts),
        first_tries=answered,
        first_right=first_right,
        mastery=mastery_by_lesson(content, attempts, cards, now),
        accuracy=accuracy_by_day(attempts, today),
        activity=activity_by_day(logs, today),
        streak=streak(logs, today),
        forecast=due_forecast(cards, now),
        retention=retention(scheduler, cards, now),
        cards=len(cards),
        recalled=len(recalled_cards(cards, now)),
    )
