"""The practice-session model, pure: the plan, progress, what was missed, the time taken, and
whether a resent answer is the same one."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from app.errors import InvalidInput
from app.quiz import practice
from app.quiz.practice import Item

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_plan_asks_unseen_then_weak_then_due_then_the_oldest() -> None:
    pool = ["u1", "u2", "weak", "due-late", "due-early", "old", "recent", "first"]
    latest = {
        "weak": (False, NOW - timedelta(days=1)),
        "due-late": (True, NOW - timedelta(days=5)),
        "due-early": (True, NOW - timedelta(days=4)),
        "old": (True, NOW - timedelta(days=9)),
        "recent": (True, NOW - timedelta(hours=1)),
        "first": (True, NOW),
    }
    due = {
        "due-late": NOW - timedelta(hours=1),
        "due-early": NOW - timedelta(days=1),
        "old": NOW + timedelta(days=3),
        "recent": NOW + timedelta(days=1),
    }
    planned = practice.plan(
        pool, length=8, latest=latest, due=due, now=NOW, rng=random.Random(3), first="first"
    )
    assert planned[0] == "first"
    assert sorted(planned[1:3]) == ["u1", "u2"]
    assert planned[3:] == ["weak", "due-early", "due-late", "old", "recent"]
    short = practice.plan(pool, length=3, latest=latest, due=due, now=NOW, rng=random.Random(3))
    assert len(short) == 3 and len(set(short)) == 3 and "first" not in short[:2]


def test_plan_never_repeats_a_question() -> None:
    planned = practice.plan(
        ["a", "b", "a", "c"], length=10, latest={}, due={}, now=NOW, rng=random.Random(1), first="b"
    )
    assert planned[0] == "b" and sorted(planned) == ["a", "b", "c"]


def test_progress_and_missed() -> None:
    questions = ["q1", "q2", "q3", "q4"]
    items = [
        Item(0, "q1", "a1", True, 1.0),
        Item(2, "q3", None, False, 0.0),  # skipped
        Item(1, "q2", "a2", False, 0.5),
    ]
    progress = practice.progress(questions, items)
    assert (progress.total, progress.done, progress.right, progress.current) == (4, 3, 1, 3)
    assert progress.number == 4 and not progress.finished
    assert practice.missed(questions, items) == ["q2", "q3"]
    done = practice.progress(questions, [*items, Item(3, "q4", "a4", True, 1.0)])
    assert done.finished and done.number == 4 and done.right == 2
    assert practice.progress(questions, []).current == 0


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0 s"), (45, "45 s"), (60, "1 min 0 s"), (725, "12 min 5 s"), (3780, "1 h 3 min")],
)
def test_time_taken(seconds: int, shown: str) -> None:
    assert practice.time_taken(NOW, NOW + timedelta(seconds=seconds)) == shown


@pytest.mark.parametrize(
    ("value", "available", "length"),
    [(None, 30, 10), ("", 30, 10), ("5", 30, 5), ("20", 12, 12), ("100", 3, 3), ("1", 1, 1)],
)
def test_parse_length(value: str | None, available: int, length: int) -> None:
    assert practice.parse_length(value, available=available) == length


@pytest.mark.parametrize("value", ["0", "101", "-3", "abc", "٣", "1e3", " 5"])
def test_parse_length_refuses(value: str) -> None:
    with pytest.raises(InvalidInput, match="1 to 100"):
        practice.parse_length(value, available=30)


def test_session_ids_are_random_and_checked() -> None:
    ids = {practice.new_session_id() for _ in range(100)}
    assert len(ids) == 100 and all(practice.parse_session_id(i) == i for i in ids)
    for bad in ("", "short", "A" * 17, "../../etc/passwd", "AAAAAAAAAAAAAAA!"):
        with pytest.raises(InvalidInput):
            practice.parse_session_id(bad)


@pytest.mark.parametrize(
    ("kind", "first", "again", "same"),
    [
        ("single", {"choice": "a"}, {"choice": "a"}, True),
        ("single", {"choice": "a"}, {"choice": "b"}, False),
        ("multiple", {"choices": ["a", "c"]}, {"choices": ["c", "a"]}, True),
        ("multiple", {"choices": ["a", "c"]}, {"choices": ["a"]}, False),
        ("truefalse", {"value": True}, {"value": False}, False),
        ("numeric", {"value": 3.0, "seed": 4}, {"value": 3.0, "seed": 4}, True),
        ("numeric", {"value": 3.0, "seed": 4}, {"value": 3.0, "seed": 5}, False),
        ("order", {"order": ["a", "b"]}, {"order": ["b", "a"]}, False),
        ("open", {"text": "x ", "rating": 3}, {"text": "x", "rating": 3}, True),
        ("open", {"text": "x", "rating": 3}, {"text": "x", "rating": 1}, False),
        ("open", {"text": "x", "rating": 3}, {"text": "y", "rating": 3}, False),
    ],
)
def test_same_response(kind: str, first: dict, again: dict, same: bool) -> None:  # type: ignore[type-arg]
    assert practice.same_response(kind, first, again) is same
