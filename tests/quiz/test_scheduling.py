"""Scheduling with FSRS on a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Card, Scheduler

from app.quiz.scheduling import (
    Rating,
    State,
    format_interval,
    interval_labels,
    make_scheduler,
    next_intervals,
    rating_from_result,
    retrievability,
    review,
)

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("correct", "seconds", "difficulty", "rating"),
    [
        (False, 5, 1, Rating.Again),
        (False, None, 3, Rating.Again),
        (True, None, 2, Rating.Good),
        (True, 12, 1, Rating.Good),
        (True, 5, 1, Rating.Easy),
        (True, 30, 1, Rating.Hard),
        (True, 100, 3, Rating.Good),
        (True, 130, 3, Rating.Hard),
    ],
)
def test_rating_from_result(
    correct: bool, seconds: float | None, difficulty: int, rating: Rating
) -> None:
    assert rating_from_result(correct=correct, seconds=seconds, difficulty=difficulty) is rating


def test_new_card_learns_then_graduates() -> None:
    scheduler = make_scheduler(fuzz=False)
    first = review(scheduler, None, Rating.Good, NOW)
    assert first.state == State.Learning and first.due == NOW + timedelta(minutes=10)
    second = review(scheduler, first, Rating.Good, first.due)
    assert second.state == State.Review
    assert second.due - first.due >= timedelta(days=1)


def test_again_comes_back_sooner_than_easy() -> None:
    scheduler = make_scheduler(fuzz=False)
    again = review(scheduler, None, Rating.Again, NOW)
    easy = review(scheduler, None, Rating.Easy, NOW)
    assert again.due < easy.due


def test_lapse_relearns_and_naive_datetimes_are_utc() -> None:
    scheduler = make_scheduler(fuzz=False)
    card = review(
        scheduler, review(scheduler, None, Rating.Easy, NOW), Rating.Good, NOW + timedelta(days=3)
    )
    stored = type(card)(
        card.state,
        card.step,
        card.stability,
        card.difficulty,
        card.due.replace(tzinfo=None),
        card.last_review.replace(tzinfo=None) if card.last_review else None,
    )
    lapsed = review(scheduler, stored, Rating.Again, card.due)
    assert lapsed.state == State.Relearning
    assert (
        0.0
        < retrievability(scheduler, card, card.due + timedelta(days=30))
        < retrievability(scheduler, card, card.due)
    )


@pytest.mark.parametrize(
    ("interval", "label"),
    [
        (timedelta(seconds=20), "1 min"),
        (timedelta(minutes=1), "1 min"),
        (timedelta(minutes=8), "8 min"),
        (timedelta(minutes=59), "59 min"),
        (timedelta(minutes=60), "1 h"),
        (timedelta(hours=5, minutes=20), "5 h"),
        (timedelta(hours=23), "23 h"),
        (timedelta(hours=24), "1 d"),
        (timedelta(days=2), "2 d"),
        (timedelta(days=30), "30 d"),
        (timedelta(days=46), "1.5 mo"),
        (timedelta(days=61), "2 mo"),
        (timedelta(days=364), "12 mo"),
        (timedelta(days=365), "1 y"),
        (timedelta(days=548), "1.5 y"),
        (timedelta(days=36500), "100 y"),
    ],
)
def test_format_interval_says_it_as_a_person_would(interval: timedelta, label: str) -> None:
    assert format_interval(interval) == label


def _fsrs_interval(scheduler: Scheduler, card: Card, rating: Rating, now: datetime) -> timedelta:
    """The interval fsrs itself gives, with fuzz off, straight from the library."""
    exact = Scheduler(
        parameters=scheduler.parameters,
        desired_retention=scheduler.desired_retention,
        enable_fuzzing=False,
    )
    after, _ = exact.review_card(card, rating, now)
    return after.due - now


def test_next_intervals_are_fsrs_own_and_leave_the_card_alone() -> None:
    scheduler = make_scheduler()  # fuzzing on, as in production: previews are without it
    state = None
    moment = NOW
    for rating in (Rating.Good, Rating.Good, Rating.Again, Rating.Good):  # new → review → lapse
        card = state.to_card() if state else Card(card_id=1, due=moment)
        before = (card.state, card.stability, card.due)
        intervals = next_intervals(scheduler, state, moment)
        assert (card.state, card.stability, card.due) == before
        assert intervals == {r: _fsrs_interval(scheduler, card, r, moment) for r in Rating}
        assert intervals[Rating.Again] <= intervals[Rating.Hard] <= intervals[Rating.Good]
        assert intervals[Rating.Good] <= intervals[Rating.Easy]
        labels = interval_labels(scheduler, state, moment)
        assert labels == {int(r): format_interval(d) for r, d in intervals.items()}
        state = review(scheduler, state, rating, moment)
        moment = state.due
    assert next_intervals(scheduler, state, moment) == next_intervals(scheduler, state, moment)
