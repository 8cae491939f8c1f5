"""Progress figures and charts from rows, on a fixed clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.content import load_content
from app.progress import charts
from app.progress.stats import (
    LessonMastery,
    accuracy_by_day,
    activity_by_day,
    due_forecast,
    first_tries,
    mastery_by_lesson,
    retention,
    shown_percent,
    streak,
)
from app.quiz.calculated import FORMULAS
from app.quiz.scheduling import make_scheduler
from app.quiz.tables import Attempt, ReviewCard, ReviewLog
from tests.conftest import CONTENT_DIR

NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)  # a Wednesday


def _attempt(question_id: str, correct: bool, days_ago: int) -> Attempt:
    when = NOW - timedelta(days=days_ago)
    return Attempt(
        id=f"{question_id}-{days_ago}",
        learner_id=1,
        question_id=question_id,
        question_hash="h",
        response={},
        correct=correct,
        score=float(correct),
        rating=3,
        created_at=when,
        next_review_at=when,
    )


def _log(days_ago: int) -> ReviewLog:
    return ReviewLog(
        learner_id=1,
        question_id="q",
        rating=3,
        source="quiz",
        reviewed_at=NOW - timedelta(days=days_ago),
    )


def test_streak_counts_back_from_today_or_yesterday() -> None:
    assert streak([_log(0), _log(1), _log(2), _log(4)], NOW.date()) == 3
    assert streak([_log(1), _log(2)], NOW.date()) == 2  # today still open
    assert streak([_log(2)], NOW.date()) == 0
    assert streak([], NOW.date()) == 0


def test_accuracy_and_activity_by_day() -> None:
    attempts = [_attempt("a", True, 0), _attempt("b", False, 0), _attempt("c", True, 3)]
    days = accuracy_by_day(attempts, NOW.date(), days=7)
    assert len(days) == 7 and days[-1].day == NOW.date()
    assert (days[-1].total, days[-1].correct, days[-1].accuracy) == (2, 1, 0.5)
    assert days[-4].accuracy == 1.0 and days[0].accuracy is None
    grid = activity_by_day([_log(0), _log(0), _log(8)], NOW.date(), weeks=2)
    assert len(grid) == 14 and grid[0].day.weekday() == 0 and grid[-1].day.weekday() == 6
    assert {d.day: d.total for d in grid}[NOW.date()] == 2


def _card(question_id: str, state: int, due_in_days: float) -> ReviewCard:
    return ReviewCard(
        learner_id=1,
        question_id=question_id,
        state=state,
        stability=3.0,
        difficulty=5.0,
        due=NOW + timedelta(days=due_in_days),
        last_review=NOW - timedelta(days=1),
    )


def test_mastery_needs_the_latest_answer_right_and_the_card_past_learning_and_not_due() -> None:
    content = load_content(CONTENT_DIR, formulas=FORMULAS)
    first, second, third, fourth = content.questions.for_lesson("albert")[:4]
    attempts = [
        _attempt(first.id, False, 2),
        _attempt(first.id, True, 1),  # latest right, card in review, due later: mastered
        _attempt(second.id, False, 0),  # latest wrong
        _attempt(third.id, True, 0),  # right, but still in its learning steps
        _attempt(fourth.id, True, 3),  # right, but due again now: slipping
    ]
    cards = [
        _card(first.id, 2, 3),
        _card(second.id, 3, 0.01),
        _card(third.id, 1, 0.01),
        _card(fourth.id, 2, -1),
    ]
    rows = mastery_by_lesson(content, attempts, cards, NOW)
    albert = next(r for r in rows if r.slug == "albert")
    assert (albert.questions, albert.seen, albert.right_last_time, albert.mastered) == (
        len(content.questions.for_lesson("albert")),
        4,
        3,
        1,
    )
    assert albert.share == 1 / albert.questions


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "\u2013"),
        (0.0, "0%"),
        (0.003, "1%"),
        (5 / 9, "56%"),
        (0.994, "99%"),
        (0.996, "99%"),
        (0.9999, "99%"),
        (1.0, "100%"),
    ],
)
def test_shown_percent_reads_100_only_when_it_is(value: float | None, shown: str) -> None:
    assert shown_percent(value) == shown


def test_first_tries_ignore_retries() -> None:
    attempts = [
        _attempt("a", False, 3),
        _attempt("a", True, 2),
        _attempt("b", True, 1),
        _attempt("b", False, 0),
    ]
    assert first_tries(attempts) == (2, 1)
    assert first_tries([]) == (0, 0)


def test_forecast_puts_overdue_cards_today_and_retention_falls_with_time() -> None:
    cards = [
        ReviewCard(
            learner_id=1,
            question_id="a",
            state=2,
            stability=5.0,
            difficulty=5.0,
            due=NOW - timedelta(days=3),
            last_review=NOW - timedelta(days=8),
        ),
        ReviewCard(
            learner_id=1,
            question_id="b",
            state=2,
            stability=5.0,
            difficulty=5.0,
            due=NOW + timedelta(days=2),
            last_review=NOW - timedelta(days=1),
        ),
    ]
    forecast = due_forecast(cards, NOW, days=5)
    assert [d.total for d in forecast] == [1, 0, 1, 0, 0]
    scheduler = make_scheduler(fuzz=False)
    assert (
        0
        < retention(scheduler, cards, NOW + timedelta(days=30))
        < retention(scheduler, cards, NOW)
        < 1
    )  # type: ignore[operator]
    assert retention(scheduler, [], NOW) is None


def test_charts_are_labelled_svg() -> None:
    rows = (
        LessonMastery("cheat-sheet", "Comparison and interview cheat sheet", 5, 2, 1, 2),
        LessonMastery("albert", "ALBERT: a lite BERT", 8, 0, 0),
    )
    svg = str(charts.mastery_chart(rows))
    assert (
        svg.startswith("<svg") and ">Cheat sheet<" in svg and ">ALBERT<" in svg and ">20%<" in svg
    )
    assert "Comparison and interview cheat sheet: 1 of 5 mastered, 2 seen" in svg
    empty = str(charts.accuracy_chart(accuracy_by_day([], date(2026, 3, 11))))
    assert "No answers in the last 30 days." in empty
