"""Grading an open answer for ``POST /api/v1/questions/{id}/grade``: the judge with MiniLM when
the model is installed, the keyword grader (labelled as such) when it is not.

The keyword grader cannot read a claim's direction, so its best verdict is "unsure" (compare with
the reference and rate yourself), never "acceptable".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from app.content.questions import Question
from app.errors import InvalidInput
from app.forms import text_problem
from app.quiz import judge
from app.quiz.grading import MAX_OPEN_ANSWER, covered_key_points

__all__ = [
    "EmbedderSource",
    "Graded",
    "OpenGrader",
    "Runner",
    "as_json",
    "check_text",
    "from_json",
    "grade",
    "on_pool",
]

T = TypeVar("T")


class EmbedderSource(Protocol):
    """Where the sentence encoder comes from (the lab's model store): None when not installed."""

    def embedder(self) -> judge.Embed | None: ...


class Runner(Protocol):
    """Where CPU-heavy work runs (the lab's bounded pool: 429 when it is full)."""

    def run(self, work: Callable[[], T]) -> Awaitable[T]: ...


@dataclass(frozen=True)
class Graded:
    judged: judge.Judged
    grader: str  # "minilm" or "keywords"


def check_text(question: Question, text: str) -> str:
    """The answer's text, or InvalidInput saying what to send instead."""
    if question.type != "open":
        raise InvalidInput(
            f"Question '{question.id}' is a {question.type} question; only open questions are "
            "graded from text (answer the others with POST /api/v1/attempts)."
        )
    if not text.strip():
        raise InvalidInput("'text' is empty: write your answer in a few sentences.")
    if len(text) > MAX_OPEN_ANSWER:
        raise InvalidInput(
            f"'text' is {len(text)} characters; keep answers under {MAX_OPEN_ANSWER}."
        )
    problem = text_problem(text)
    if problem:
        raise InvalidInput(f"'text' cannot be graded as sent: {problem}")
    return text


OpenGrader = Callable[[Question, str], Awaitable[Graded]]


def on_pool(source: EmbedderSource, runner: Runner) -> OpenGrader:
    """Grading as the quiz and review store it: the judge on the lab's pool (429 when busy)."""

    async def run(question: Question, text: str) -> Graded:
        return await runner.run(lambda: grade(question, text, source.embedder()))

    return run


def grade(question: Question, text: str, embed: judge.Embed | None) -> Graded:
    if embed is not None:
        return Graded(judge.judge(question, text, embed), "minilm")
    covered = set(covered_key_points(text, question.key_points))
    evidence = tuple(
        judge.Evidence(p.id, p.text, p.id in covered, 1.0 if p.id in covered else 0.0, "")
        for p in question.key_points
    )
    score = len(covered) / len(question.key_points)
    essential_missing = any(p.essential and p.id not in covered for p in question.key_points)
    verdict = "unsure" if score >= 0.5 and not essential_missing else "not_acceptable"
    reason = (
        "Graded by keywords only (the sentence encoder is not installed on this server): "
        "compare with the reference answer and rate yourself."
    )
    return Graded(judge.Judged(verdict, score, evidence, (), False, reason), "keywords")


def as_json(graded: Graded) -> dict[str, Any]:
    """The verdict and its evidence as kept with an attempt or an interview answer."""
    j = graded.judged
    return {
        "grader": graded.grader,
        "verdict": j.verdict,
        "score": round(j.score, 4),
        "reason": j.reason,
        "off_topic": j.off_topic,
        "key_points": [
            {
                "id": e.id,
                "text": e.text,
                "covered": e.covered,
                "similarity": round(e.similarity, 4),
                "evidence": e.evidence,
                "contradicted": e.contradicted,
            }
            for e in j.key_points
        ],
        "misconceptions": [
            {
                "id": m.id,
                "text": m.text,
                "correction": m.correction,
                "similarity": round(m.similarity, 4),
                "evidence": m.evidence,
            }
            for m in j.misconceptions
        ],
    }


def from_json(data: Mapping[str, Any]) -> Graded:
    """``as_json``'s output read back (what was kept, as it was judged then)."""
    points = tuple(
        judge.Evidence(
            str(p["id"]),
            str(p["text"]),
            bool(p["covered"]),
            float(p["similarity"]),
            str(p["evidence"]),
            bool(p.get("contradicted", False)),
        )
        for p in data.get("key_points", ())
    )
    hits = tuple(
        judge.MisconceptionHit(
            str(m["id"]),
            str(m["text"]),
            str(m["correction"]),
            float(m.get("similarity", 0.0)),
            str(m["evidence"]),
        )
        for m in data.get("misconceptions", ())
    )
    judged = judge.Judged(
        str(data["verdict"]),
        float(data["score"]),
        points,
        hits,
        bool(data.get("off_topic", False)),
        str(data.get("reason", "")),
    )
    return Graded(judged, str(data.get("grader", "minilm")))
