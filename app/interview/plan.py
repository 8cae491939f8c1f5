"""What a mock interview asks and in which order: the plan drawn at the start, a follow-up on a
missed key point, and the figures of the report. A pure core: no web, no database.

The plan has one step per position. After each answer but the last, the answer's missed key
points are taken weakest first (lowest similarity; content order among equals); the first that
names a follow-up question not yet asked in this interview decides the next question, in place
of the one planned. When that question was planned for later, the two swap places, so the plan
keeps its length and asks nothing twice.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LENGTHS",
    "FollowUpOf",
    "Step",
    "Summary",
    "choose_follow_up",
    "draw",
    "from_json",
    "summary",
    "to_json",
    "with_follow_up",
]

LENGTHS = (3, 5, 8)


@dataclass(frozen=True)
class FollowUpOf:
    """Why a step is a follow-up: the answer at ``position`` missed ``key_point``."""

    position: int
    key_point: str


@dataclass(frozen=True)
class Step:
    question_id: str
    follow_up_of: FollowUpOf | None = None


def draw(pool: Sequence[str], length: int, rng: random.Random) -> list[Step]:
    """``length`` different questions from ``pool`` (question ids), in a random order."""
    return [Step(question_id) for question_id in rng.sample(list(pool), length)]


@dataclass(frozen=True)
class MissedPoint:
    id: str
    similarity: float


def choose_follow_up(
    key_points: Iterable[Mapping[str, Any]],
    follow_ups: Mapping[str, str],
    asked: set[str],
) -> tuple[str, str] | None:
    """(key point id, question id) of the follow-up to ask next, or None.

    ``key_points`` are the judgement's (``id``, ``covered``, ``similarity``); ``follow_ups``
    maps the question's key point ids to the question each names; ``asked`` is every question
    id asked so far in this interview."""
    missed = [
        MissedPoint(str(p["id"]), float(p["similarity"])) for p in key_points if not p["covered"]
    ]
    for point in sorted(missed, key=lambda m: m.similarity):  # a stable sort: ties keep order
        target = follow_ups.get(point.id)
        if target is not None and target not in asked:
            return point.id, target
    return None


def with_follow_up(plan: Sequence[Step], position: int, key_point: str, target: str) -> list[Step]:
    """The plan after the answer at ``position`` (1-based) missed ``key_point``: ``target`` is
    asked next; a later step that planned it takes the displaced question instead."""
    steps = list(plan)
    following = position  # the 0-based index of the next position
    if following >= len(steps):
        return steps
    displaced = steps[following]
    later = [i for i in range(following + 1, len(steps)) if steps[i].question_id == target]
    if later:
        steps[later[0]] = Step(displaced.question_id)
    steps[following] = Step(target, FollowUpOf(position, key_point))
    return steps


def to_json(plan: Sequence[Step]) -> list[dict[str, Any]]:
    return [
        {
            "question_id": s.question_id,
            "follow_up_of": None
            if s.follow_up_of is None
            else {"position": s.follow_up_of.position, "key_point": s.follow_up_of.key_point},
        }
        for s in plan
    ]


def from_json(data: Iterable[Mapping[str, Any]]) -> list[Step]:
    steps = []
    for entry in data:
        why = entry.get("follow_up_of")
        steps.append(
            Step(
                str(entry["question_id"]),
                FollowUpOf(int(why["position"]), str(why["key_point"])) if why else None,
            )
        )
    return steps


@dataclass(frozen=True)
class Summary:
    answered: int
    acceptable: int
    score: float | None  # share of answers judged acceptable (None: nothing answered)
    coverage: float | None  # mean share of key points covered
    grader: str | None  # "minilm", "keywords", "mixed" (some of each), None: nothing answered


def summary(judgements: Sequence[Mapping[str, Any]]) -> Summary:
    """The report's overall figures from the answers' judgements (``open_answers.as_json``)."""
    if not judgements:
        return Summary(0, 0, None, None, None)
    acceptable = sum(j["verdict"] == "acceptable" for j in judgements)
    graders = {str(j.get("grader", "minilm")) for j in judgements}
    return Summary(
        answered=len(judgements),
        acceptable=acceptable,
        score=round(acceptable / len(judgements), 4),
        coverage=round(sum(float(j["score"]) for j in judgements) / len(judgements), 4),
        grader=graders.pop() if len(graders) == 1 else "mixed",
    )
