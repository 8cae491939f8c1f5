"""The interview's plan, follow-ups and figures: pure functions, no server."""

from __future__ import annotations

import random
from typing import Any

import pytest

from app.interview import plan
from app.interview.plan import FollowUpOf, Step


def _points(*rows: tuple[str, bool, float]) -> list[dict[str, Any]]:
    return [{"id": i, "covered": covered, "similarity": sim} for i, covered, sim in rows]


def test_draw_takes_distinct_questions_of_the_pool() -> None:
    pool = [f"q{i}" for i in range(10)]
    steps = plan.draw(pool, 8, random.Random(1))
    ids = [s.question_id for s in steps]
    assert len(ids) == 8 == len(set(ids)) and set(ids) <= set(pool)
    assert all(s.follow_up_of is None for s in steps)
    assert ids != plan_ids(plan.draw(pool, 8, random.Random(2)))  # the order is drawn too


def plan_ids(steps: list[Step]) -> list[str]:
    return [s.question_id for s in steps]


@pytest.mark.parametrize(
    ("points", "follow_ups", "asked", "expected"),
    [
        # the weakest missed point that names a question not asked yet
        (_points(("a", False, 0.4), ("b", False, 0.1)), {"a": "qa", "b": "qb"}, set(), ("b", "qb")),
        # a covered point is never followed up, however weak
        (_points(("a", True, 0.0), ("b", False, 0.3)), {"a": "qa", "b": "qb"}, set(), ("b", "qb")),
        # the weakest has no follow-up: the next weakest that has one
        (_points(("a", False, 0.0), ("b", False, 0.2)), {"b": "qb"}, set(), ("b", "qb")),
        # never a question already asked
        (
            _points(("a", False, 0.0), ("b", False, 0.2)),
            {"a": "q1", "b": "qb"},
            {"q1"},
            ("b", "qb"),
        ),
        # ties keep content order (the keyword grader gives 0.0 to every missed point)
        (_points(("a", False, 0.0), ("b", False, 0.0)), {"a": "qa", "b": "qb"}, set(), ("a", "qa")),
        (_points(("a", True, 0.9)), {"a": "qa"}, set(), None),
        (_points(("a", False, 0.1)), {}, set(), None),
        (_points(("a", False, 0.1)), {"a": "qa"}, {"qa"}, None),
    ],
)
def test_choose_follow_up(
    points: list[dict[str, Any]],
    follow_ups: dict[str, str],
    asked: set[str],
    expected: tuple[str, str] | None,
) -> None:
    assert plan.choose_follow_up(points, follow_ups, asked) == expected


def test_a_follow_up_replaces_the_next_question_and_keeps_the_length() -> None:
    steps = [Step("q1"), Step("q2"), Step("q3")]
    after = plan.with_follow_up(steps, 1, "point", "qx")
    assert plan_ids(after) == ["q1", "qx", "q3"]
    assert after[1].follow_up_of == FollowUpOf(1, "point")
    assert steps[1] == Step("q2")  # the plan given is not changed


def test_a_follow_up_planned_for_later_swaps_places_and_nothing_is_asked_twice() -> None:
    steps = [Step("q1"), Step("q2"), Step("q3"), Step("q4")]
    after = plan.with_follow_up(steps, 1, "point", "q4")
    assert plan_ids(after) == ["q1", "q4", "q3", "q2"]
    assert after[1].follow_up_of == FollowUpOf(1, "point") and after[3].follow_up_of is None


def test_after_the_last_position_there_is_nothing_to_replace() -> None:
    steps = [Step("q1"), Step("q2")]
    assert plan.with_follow_up(steps, 2, "point", "qx") == steps


def test_the_plan_survives_json() -> None:
    steps = [Step("q1"), Step("q2", FollowUpOf(1, "p"))]
    assert plan.from_json(plan.to_json(steps)) == steps


def test_summary_counts_acceptable_answers_and_mean_coverage() -> None:
    judgements = [
        {"verdict": "acceptable", "score": 1.0, "grader": "minilm"},
        {"verdict": "unsure", "score": 0.5, "grader": "minilm"},
        {"verdict": "not_acceptable", "score": 0.0, "grader": "minilm"},
        {"verdict": "acceptable", "score": 0.75, "grader": "minilm"},
    ]
    figures = plan.summary(judgements)
    assert (figures.answered, figures.acceptable) == (4, 2)
    assert figures.score == 0.5 and figures.coverage == 0.5625 and figures.grader == "minilm"
    mixed = plan.summary([*judgements, {"verdict": "unsure", "score": 1.0, "grader": "keywords"}])
    assert mixed.grader == "mixed" and mixed.score == 0.4
    assert plan.summary([]) == plan.Summary(0, 0, None, None, None)
