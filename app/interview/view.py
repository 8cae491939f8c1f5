"""An interview as its pages and the API show it: the current question with its time so far, and
the report (each answer with its evidence marked in the learner's own words)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.clock import as_utc
from app.content.questions import KeyPoint, Question, QuestionBank
from app.interview import plan
from app.interview.tables import Interview, InterviewAnswer
from app.quiz import open_answers
from app.quiz.highlights import Segment, highlight

__all__ = ["AnsweredView", "FollowUpView", "Report", "clock_text", "elapsed", "report"]


def elapsed(since: datetime | None, now: datetime) -> int:
    """Whole seconds from ``since`` to ``now`` (0 when unknown or in the future)."""
    if since is None:
        return 0
    return max(0, int((now - as_utc(since)).total_seconds()))


def clock_text(seconds: float) -> str:
    """``75`` -> ``1:15``; an hour or more -> ``1:02:03``."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class FollowUpView:
    """This question followed up a key point that the answer at ``position`` missed."""

    position: int
    key_point: str  # its id
    text: str  # its text ("" when the question has since changed)


@dataclass(frozen=True)
class AnsweredView:
    position: int
    question_id: str
    question: Question | None  # None: no longer in the bank
    text: str
    graded: open_answers.Graded
    segments: list[Segment]
    asked_at: datetime
    answered_at: datetime
    seconds: int
    follow_up: FollowUpView | None

    @property
    def missed(self) -> int:
        return sum(not p.covered for p in self.graded.judged.key_points)


@dataclass(frozen=True)
class Report:
    interview: Interview
    answers: list[AnsweredView]
    figures: plan.Summary
    not_asked: int  # positions never reached (finished early or abandoned)

    @property
    def total_seconds(self) -> int:
        return sum(a.seconds for a in self.answers)


def _point_text(points: Sequence[KeyPoint], point_id: str) -> str:
    return next((p.text for p in points if p.id == point_id), "")


def report(interview: Interview, rows: Sequence[InterviewAnswer], bank: QuestionBank) -> Report:
    steps = plan.from_json(interview.plan)
    questions = {row.position: bank.get(row.question_id) for row in rows}
    answered = []
    for row in rows:
        graded = open_answers.from_json(row.judgement)
        why = steps[row.position - 1].follow_up_of if row.position <= len(steps) else None
        follow_up = None
        if why is not None:
            earlier = questions.get(why.position)
            text = _point_text(earlier.key_points, why.key_point) if earlier else ""
            follow_up = FollowUpView(why.position, why.key_point, text)
        answered.append(
            AnsweredView(
                position=row.position,
                question_id=row.question_id,
                question=questions[row.position],
                text=row.text,
                graded=graded,
                segments=highlight(row.text, graded.judged),
                asked_at=as_utc(row.asked_at),
                answered_at=as_utc(row.answered_at),
                seconds=elapsed(row.asked_at, as_utc(row.answered_at)),
                follow_up=follow_up,
            )
        )
    figures = plan.summary([row.judgement for row in rows])
    return Report(interview, answered, figures, interview.length - len(rows))
