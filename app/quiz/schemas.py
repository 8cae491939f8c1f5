"""JSON shapes of the quiz API. Questions go out without answer keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.content.questions import Question
from app.quiz.answers import AttemptResult
from app.quiz.calculated import ANSWER, draw, fill
from app.quiz.judge import Judged
from app.quiz.open_answers import Graded, from_json

__all__ = [
    "AttemptIn",
    "AttemptOut",
    "OptionOut",
    "QuestionOut",
    "RatingIn",
    "ReviewOut",
    "explanation_html",
]


class OptionOut(BaseModel):
    id: str
    text: str


class QuestionOut(BaseModel):
    id: str
    type: str = Field(description="single, multiple, truefalse, numeric, order or open")
    prompt: str = Field(description="Markdown source")
    prompt_html: str
    options: list[OptionOut] = Field(
        description="choices, or the items to order (shuffled); empty otherwise"
    )
    unit: str | None = Field(default=None, description="numeric questions: the unit of the answer")
    seed: int | None = Field(
        default=None,
        description="calculated questions: send it back with the answer, "
        '{"value": number, "seed": this}',
    )
    values: dict[str, int] | None = Field(
        default=None,
        description="calculated questions: the inputs this seed drew, already filled into the prompt",
    )
    lesson: str = Field(description="slug#anchor of the section that teaches it")
    difficulty: int
    tags: list[str]

    @classmethod
    def of(
        cls, question: Question, order: list[str] | None, seed: int | None = None
    ) -> QuestionOut:
        """``seed`` draws a calculated question's inputs (ignored for the others)."""
        by_id = {option.id: option for option in question.options}
        ids = order if order is not None else list(by_id)
        drawn = draw(question.compute, seed) if question.compute and seed is not None else None
        values = drawn.values if drawn else {}
        return cls(
            id=question.id,
            type=question.type,
            prompt=fill(question.prompt, values) if drawn else question.prompt,
            prompt_html=fill(question.prompt_html, values) if drawn else question.prompt_html,
            options=[OptionOut(id=i, text=by_id[i].text) for i in ids],
            unit=question.unit if question.type == "numeric" else None,
            seed=drawn.seed if drawn else None,
            values=drawn.values if drawn else None,
            lesson=f"{question.lesson}#{question.anchor}",
            difficulty=question.difficulty,
            tags=list(question.tags),
        )


class AttemptIn(BaseModel):
    attempt_id: str = Field(
        description="a UUID the client generates per attempt; resending it is safe"
    )
    question_id: str = Field(max_length=80)
    response: dict[str, Any] = Field(
        description='by type: single {"choice": id}, multiple {"choices": [ids]}, truefalse {"value": bool}, '
        'numeric {"value": number} (calculated: {"value": number, "seed": the question\'s seed}), '
        'order {"order": [ids]}, open {"text": str, "rating": 1-4}'
    )
    shown_order: list[str] | None = Field(
        default=None, description="the option order the learner saw"
    )
    duration_ms: int | None = Field(
        default=None, ge=0, le=86_400_000, description="time taken to answer"
    )


class OptionFeedback(BaseModel):
    id: str
    correct: bool
    explanation_html: str


class AttemptOut(BaseModel):
    attempt_id: str
    question_id: str
    correct: bool
    score: float
    correct_response: dict[str, Any]
    explanation: str = Field(description="why the right answer is right (HTML)")
    option_explanations: list[OptionFeedback]
    covered_key_points: list[str]
    lesson_url: str
    next_review_at: datetime
    judgement: GradeOut | None = Field(
        default=None,
        description="open questions: the judge's verdict and evidence, as at answer time "
        "(as from POST /api/v1/questions/{id}/grade)",
    )

    @classmethod
    def of(cls, result: AttemptResult) -> AttemptOut:
        question = result.question
        choices = question.type in ("single", "multiple")
        return cls(
            attempt_id=result.attempt_id,
            question_id=question.id,
            correct=result.correct,
            score=result.score,
            correct_response=result.correct_response,
            explanation=explanation_html(question, result.correct_response),
            option_explanations=[
                OptionFeedback(id=o.id, correct=o.correct, explanation_html=o.explanation_html)
                for o in question.options
            ]
            if choices
            else [],
            covered_key_points=list(result.covered),
            lesson_url=question.lesson_url,
            next_review_at=result.next_review_at,
            judgement=GradeOut.of(from_json(result.judgement)) if result.judgement else None,
        )


def explanation_html(question: Question, correct_response: dict[str, Any]) -> str:
    """The explanation, with a calculated question's drawn values and answer filled in."""
    values = correct_response.get("values")
    if question.compute is None or not isinstance(values, dict):
        return question.explanation_html
    return fill(question.explanation_html, {**values, ANSWER: correct_response["value"]})


class RatingIn(BaseModel):
    rating: int = Field(ge=1, le=4, description="1 Again, 2 Hard, 3 Good, 4 Easy")


class ReviewOut(BaseModel):
    question_id: str
    rating: int
    state: str
    next_review_at: datetime


class GradeIn(BaseModel):
    text: str = Field(description="the answer in words, as you would say it in an interview")


class KeyPointEvidence(BaseModel):
    id: str
    text: str
    covered: bool
    similarity: float = Field(
        description="cosine of the best-matching sentence (1 or 0 by keywords)"
    )
    evidence: str = Field(description="the sentence of the answer that matched best")

    @classmethod
    def all_of(cls, judged: Judged) -> list[KeyPointEvidence]:
        return [
            cls(
                id=e.id,
                text=e.text,
                covered=e.covered,
                similarity=round(e.similarity, 4),
                evidence=e.evidence,
            )
            for e in judged.key_points
        ]


class MisconceptionEvidence(BaseModel):
    id: str
    text: str
    correction: str
    evidence: str = Field(description="the sentence of the answer that states it")

    @classmethod
    def all_of(cls, judged: Judged) -> list[MisconceptionEvidence]:
        return [
            cls(id=m.id, text=m.text, correction=m.correction, evidence=m.evidence)
            for m in judged.misconceptions
        ]


class GradeOut(BaseModel):
    acceptable: bool = Field(description='true only for the verdict "acceptable"')
    score: float = Field(description="share of the key points covered")
    verdict: Literal["acceptable", "unsure", "not_acceptable"]
    reason: str
    off_topic: bool
    key_points: list[KeyPointEvidence]
    misconceptions: list[MisconceptionEvidence]
    grader: Literal["minilm", "keywords"] = Field(
        description="minilm: the sentence encoder; keywords: the fallback when it is not installed"
    )

    @classmethod
    def of(cls, graded: Graded) -> GradeOut:
        j = graded.judged
        return cls(
            acceptable=j.acceptable,
            score=round(j.score, 4),
            verdict=j.verdict,
            reason=j.reason,
            off_topic=j.off_topic,
            key_points=KeyPointEvidence.all_of(j),
            misconceptions=MisconceptionEvidence.all_of(j),
            grader=graded.grader,
        )


AttemptOut.model_rebuild()  # its judgement field names GradeOut, defined after it
