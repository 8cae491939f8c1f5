"""The YAML shape of a question: one pydantic model per question type, discriminated by ``type``.

Structure only; what a question means (one correct option, anchors that exist, a formula that
exists …) is checked in ``questions.py`` and ``calculated.py``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

__all__ = [
    "QUESTION",
    "QUESTION_TYPES",
    "SAMPLE_KINDS",
    "VERDICTS",
    "ComputeIn",
    "MultipleIn",
    "NumericIn",
    "OpenIn",
    "OrderIn",
    "SingleIn",
    "TrueFalseIn",
]

QUESTION_TYPES = ("single", "multiple", "truefalse", "numeric", "order", "open")

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=40)]
LessonRef = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+#[\w-]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class OptionIn(_Strict):
    id: Id
    text: Text
    correct: bool = False
    explanation: Text


class ItemIn(_Strict):
    id: Id
    text: Text


class KeyPointIn(_Strict):
    id: Id
    text: Text
    keywords: Annotated[list[Text], Field(min_length=1)]
    essential: bool = False  # an answer missing it is not acceptable, whatever else it covers
    # A mock interview may ask this open question next when an answer misses the point
    # (checked against the whole bank in questions.py: it must exist, be open, not be itself).
    follow_up: Id | None = None


class MisconceptionIn(_Strict):
    """A wrong claim an interviewer listens for, and what to say instead."""

    id: Id
    text: Text
    correction: Text


VERDICTS = ("acceptable", "unsure", "not_acceptable")
SAMPLE_KINDS = ("strong", "paraphrase", "partial", "misconception", "negated", "off-topic")


class SampleIn(_Strict):
    """A labelled answer: what a grader must say of it (tests and bench/grader.py hold it to that)."""

    text: Text
    verdict: Literal["acceptable", "unsure", "not_acceptable"]
    kind: Literal["strong", "paraphrase", "partial", "misconception", "negated", "off-topic"]


class _QuestionIn(_Strict):
    id: Id
    prompt: Text
    explanation: Text
    lesson: LessonRef = Field(description="slug#anchor of the section that teaches it")
    difficulty: Annotated[int, Field(ge=1, le=3)]
    tags: list[Tag] = []


class SingleIn(_QuestionIn):
    type: Literal["single"]
    options: Annotated[list[OptionIn], Field(min_length=2, max_length=8)]


class MultipleIn(_QuestionIn):
    type: Literal["multiple"]
    options: Annotated[list[OptionIn], Field(min_length=2, max_length=8)]


class TrueFalseIn(_QuestionIn):
    type: Literal["truefalse"]
    answer: Annotated[bool, Field(strict=True)]


class ComputeIn(_Strict):
    function: str
    inputs: dict[str, Any]  # checked by _compute_problems, for messages that name the input


class NumericIn(_QuestionIn):
    type: Literal["numeric"]
    answer: float | None = None
    compute: ComputeIn | None = None
    tolerance: float | str  # absolute, or relative as a percentage such as "1%"
    unit: str = ""


class OrderIn(_QuestionIn):
    type: Literal["order"]
    items: Annotated[list[ItemIn], Field(min_length=2, max_length=8)]


class JudgeIn(_Strict):
    """This question's own thresholds for the judge (app/quiz/judge.py's Thresholds), set by
    ``bench/grader.py --calibrate`` from its labelled samples."""

    cover: Annotated[float, Field(ge=0.3, le=0.8)] | None = None
    accept_share: Annotated[float, Field(gt=0.0, le=1.0)] | None = None


class OpenIn(_QuestionIn):
    type: Literal["open"]
    judge: JudgeIn | None = None
    reference_answer: Text
    key_points: Annotated[list[KeyPointIn], Field(min_length=1, max_length=8)]
    misconceptions: Annotated[list[MisconceptionIn], Field(max_length=8)] = []
    samples: list[SampleIn] = []


QuestionIn = Annotated[
    SingleIn | MultipleIn | TrueFalseIn | NumericIn | OrderIn | OpenIn, Field(discriminator="type")
]
QUESTION = TypeAdapter(QuestionIn)
