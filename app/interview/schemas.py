"""JSON shapes of the interview API. A question goes out without its answer keys, and nothing of
the grading goes out before the interview is over."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.clock import as_utc
from app.content.questions import Question
from app.interview.tables import Interview
from app.interview.view import AnsweredView, Report
from app.quiz.schemas import KeyPointEvidence, MisconceptionEvidence

__all__ = [
    "AnswerIn",
    "InterviewIn",
    "InterviewOut",
    "InterviewSummaryOut",
]

Status = Literal["in_progress", "finished", "abandoned"]


class InterviewIn(BaseModel):
    lessons: list[str] | None = Field(
        default=None,
        max_length=50,
        description="lesson slugs to draw open questions from; every lesson when left out",
    )
    length: Literal[3, 5, 8] = Field(description="how many questions: 3, 5 or 8")


class AnswerIn(BaseModel):
    position: int = Field(
        ge=1, le=1000, description="the position of the question answered (1 for the first)"
    )
    text: str = Field(description="the answer in words, as you would say it in an interview")


class AskedOut(BaseModel):
    """The question to answer now: no key points, no reference answer."""

    id: str
    prompt: str = Field(description="Markdown source")
    prompt_html: str
    lesson: str = Field(description="the lesson's slug")
    difficulty: int
    asked_at: datetime = Field(description="when the server served it (the answer's time starts)")

    @classmethod
    def of(cls, question: Question, asked_at: datetime) -> AskedOut:
        return cls(
            id=question.id,
            prompt=question.prompt,
            prompt_html=question.prompt_html,
            lesson=question.lesson,
            difficulty=question.difficulty,
            asked_at=as_utc(asked_at),
        )


class FollowUpOut(BaseModel):
    position: int = Field(description="the answer that missed the key point")
    key_point: str
    key_point_text: str


class AnswerReportOut(BaseModel):
    position: int
    question_id: str
    prompt_html: str
    text: str = Field(description="the answer as given")
    verdict: Literal["acceptable", "unsure", "not_acceptable"]
    score: float = Field(description="share of the key points covered")
    reason: str
    key_points: list[KeyPointEvidence]
    misconceptions: list[MisconceptionEvidence]
    grader: Literal["minilm", "keywords"]
    asked_at: datetime
    answered_at: datetime
    seconds: int = Field(description="answered_at - asked_at, both from the server's clock")
    reference_answer_html: str
    lesson_url: str = Field(description="the lesson section to reread")
    follow_up_of: FollowUpOut | None = Field(
        description="set when this question followed up a key point an earlier answer missed"
    )

    @classmethod
    def of(cls, a: AnsweredView) -> AnswerReportOut:
        j, q = a.graded.judged, a.question
        why = a.follow_up
        return cls(
            position=a.position,
            question_id=a.question_id,
            prompt_html=q.prompt_html if q else "",
            text=a.text,
            verdict=j.verdict,
            score=round(j.score, 4),
            reason=j.reason,
            key_points=KeyPointEvidence.all_of(j),
            misconceptions=MisconceptionEvidence.all_of(j),
            grader=a.graded.grader,
            asked_at=a.asked_at,
            answered_at=a.answered_at,
            seconds=a.seconds,
            reference_answer_html=q.reference_answer_html if q else "",
            lesson_url=q.lesson_url if q else "",
            follow_up_of=FollowUpOut(
                position=why.position, key_point=why.key_point, key_point_text=why.text
            )
            if why
            else None,
        )


class ReportOut(BaseModel):
    answered: int
    acceptable: int
    score: float | None = Field(description="share of the answers judged acceptable")
    coverage: float | None = Field(description="mean share of key points covered per answer")
    grader: Literal["minilm", "keywords", "mixed"] | None = Field(
        description="who judged: the sentence encoder, the keyword fallback, or some of each"
    )
    not_asked: int = Field(description="positions never reached (finished early or abandoned)")
    answers: list[AnswerReportOut]

    @classmethod
    def of(cls, r: Report) -> ReportOut:
        f = r.figures
        return cls(
            answered=f.answered,
            acceptable=f.acceptable,
            score=f.score,
            coverage=f.coverage,
            grader=f.grader,
            not_asked=r.not_asked,
            answers=[AnswerReportOut.of(a) for a in r.answers],
        )


class InterviewSummaryOut(BaseModel):
    id: int
    status: Status
    lessons: list[str]
    length: int
    answered: int
    started_at: datetime
    ended_at: datetime | None
    score: float | None = Field(description="finished interviews: share of answers acceptable")
    coverage: float | None

    @classmethod
    def of(cls, i: Interview) -> InterviewSummaryOut:
        assert i.id is not None
        return cls(
            id=i.id,
            status=i.status,
            lessons=list(i.lessons),
            length=i.length,
            answered=i.position - 1,
            started_at=as_utc(i.started_at),
            ended_at=as_utc(i.ended_at) if i.ended_at else None,
            score=i.score,
            coverage=i.coverage,
        )


class InterviewOut(InterviewSummaryOut):
    position: int | None = Field(description="the position to answer now; null once it is over")
    question: AskedOut | None = Field(description="the question to answer now")
    report: ReportOut | None = Field(
        description="once finished or abandoned: every answer with its verdict and evidence"
    )
