"""Spaced repetition with FSRS (the ``fsrs`` package): one card per learner and question.

Pure: a card's state goes in as a ``CardState``, a new one comes out; the clock is a parameter.

Ratings for closed questions come from the result: wrong → Again; right → Good, or Hard when
it took more than twice the expected time, Easy when under half. Open questions (and reviews
run as flash cards) take the learner's own rating.
"""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass
from datetime import datetime, timedelta

from fsrs import Card, Rating, Scheduler, State

from app.clock import as_utc

__all__ = [
    "EXPECTED_SECONDS",
    "CardState",
    "Rating",
    "State",
    "format_interval",
    "interval_labels",
    "make_scheduler",
    "next_intervals",
    "rating_from_result",
    "retrievability",
    "review",
]

# fsrs.Card sleeps 1 ms to make unique ids when none is given; ours are (learner, question) rows.
CARD_ID = 1

# How long a considered answer takes, by difficulty (1 recall … 3 calculation).
EXPECTED_SECONDS = {1: 12.0, 2: 25.0, 3: 60.0}


@dataclass(frozen=True)
class CardState:
    """What the database keeps of a review card."""

    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None

    def to_card(self) -> Card:
        return Card(
            card_id=CARD_ID,
            state=State(self.state),
            step=self.step,
            stability=self.stability,
            difficulty=self.difficulty,
            due=as_utc(self.due),
            last_review=as_utc(self.last_review) if self.last_review else None,
        )

    @classmethod
    def of(cls, card: Card) -> CardState:
        return cls(
            state=int(card.state),
            step=card.step,
            stability=card.stability,
            difficulty=card.difficulty,
            due=card.due,
            last_review=card.last_review,
        )


def make_scheduler(*, fuzz: bool = True, desired_retention: float = 0.9) -> Scheduler:
    return Scheduler(desired_retention=desired_retention, enable_fuzzing=fuzz)


def rating_from_result(*, correct: bool, seconds: float | None, difficulty: int) -> Rating:
    if not correct:
        return Rating.Again
    if seconds is None:
        return Rating.Good
    expected = EXPECTED_SECONDS.get(difficulty, 25.0)
    if seconds > 2 * expected:
        return Rating.Hard
    if seconds < expected / 2:
        return Rating.Easy
    return Rating.Good


def review(
    scheduler: Scheduler, state: CardState | None, rating: Rating, now: datetime
) -> CardState:
    """The card after one review at ``now`` (a new card when ``state`` is None)."""
    card = state.to_card() if state is not None else Card(card_id=CARD_ID, due=as_utc(now))
    updated, _log = scheduler.review_card(card, rating, as_utc(now))
    return CardState.of(updated)


def retrievability(scheduler: Scheduler, state: CardState, now: datetime) -> float:
    """Estimated probability of recalling the card at ``now`` (0 for a card never reviewed)."""
    return float(scheduler.get_card_retrievability(state.to_card(), as_utc(now)))


def next_intervals(
    scheduler: Scheduler, state: CardState | None, now: datetime
) -> dict[Rating, timedelta]:
    """How long until the card is due again after each rating at ``now``: what the rating
    buttons promise. Without fuzz (the scheduler's random spread of a few per cent on long
    intervals), so the same card shows the same figures on every page load; each rating is
    applied to its own copy of the card (``Scheduler.review_card`` never changes its input)."""
    exact = copy(scheduler)
    exact.enable_fuzzing = False
    start = as_utc(now)
    return {rating: review(exact, state, rating, start).due - start for rating in Rating}


def format_interval(interval: timedelta) -> str:
    """An interval as a person says it: "1 min", "8 min", "3 h", "2 d", "1.5 mo", "2 y"."""
    minutes = interval.total_seconds() / 60
    if minutes < 59.5:
        return f"{max(1, round(minutes))} min"
    hours = minutes / 60
    if hours < 23.5:
        return f"{round(hours)} h"
    days = hours / 24
    if days < 30.5:
        return f"{round(days)} d"
    if days < 365:
        return f"{_one_decimal(days / 30.44)} mo"
    return f"{_one_decimal(days / 365.25)} y"


def _one_decimal(value: float) -> str:
    """1 decimal below 10 ("1.5"), none at or above ("14"), and never "2.0"."""
    text = f"{value:.1f}" if value < 9.95 else f"{value:.0f}"
    return text.removesuffix(".0")


def interval_labels(scheduler: Scheduler, state: CardState | None, now: datetime) -> dict[int, str]:
    """``{1: "1 min", 2: "8 min", 3: "2 d", 4: "5 d"}``: each rating's next interval, formatted,
    for the labels of rating buttons (review, and quiz feedback where ratings are offered)."""
    return {int(r): format_interval(d) for r, d in next_intervals(scheduler, state, now).items()}
