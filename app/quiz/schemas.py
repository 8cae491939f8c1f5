"""JSON shapes of the quiz API. Questions go out without answer keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.content.questions import Question
from app.quiz.service import AttemptResult

__all__ = ["AttemptIn", "AttemptOut", "OptionOut", "QuestionOut", "RatingIn", "ReviewOut"]


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
    lesson: str = Field(description="slug#anchor of the section that teaches it")
    difficulty: int
    tags: list[str]

    @classmethod
    def of(cls, question: Question, order: list[str] | None) -> QuestionOut:
        by_id = {option.id: option for option in question.options}
        ids = order if order is not None else list(by_id)
        return cls(
            id=question.id,
            type=question.type,
            prompt=question.prompt,
            prompt_html=question.prompt_html,
            options=[OptionOut(id=i, text=by_id[i].text) for i in ids],
            unit=question.unit if question.type == "numeric" else None,
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
        'numeric {"value": number}, order {"order": [ids]}, open {"text": str, "rating": 1-4}'
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
            explanation=question.explanation_html,
            option_explanations=[
                OptionFeedback(id=o.id, correct=o.correct, explanation_html=o.explanation_html)
                for o in question.options
            ]
            if choices
            else [],
            covered_key_points=list(result.covered),
            lesson_url=question.lesson_url,
            next_review_at=result.next_review_at,
        )


class RatingIn(BaseModel):
    rating: int = Field(ge=1, le=4, description="1 Again, 2 Hard, 3 Good, 4 Easy")


class ReviewOut(BaseModel):
    question_id: str
    rating: int
    state: str
    next_review_at: datetime
