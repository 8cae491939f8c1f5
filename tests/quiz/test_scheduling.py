"""Scheduling with FSRS on a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.quiz.scheduling import (
    Rating,
    State,
    make_scheduler,
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
