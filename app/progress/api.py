"""``/api/v1/progress``."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.accounts.identity import ApiIdentity
from app.api import problem_responses
from app.db import SessionDep
from app.deps import NowDep, SchedulerDep
from app.progress.service import load_progress
from app.web import ContentDep

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["progress"])


class LessonOut(BaseModel):
    lesson: str
    title: str
    questions: int
    seen: int = Field(description="questions answered at least once")
    mastered: int = Field(
        description="questions whose latest answer was right and whose card FSRS has moved "
        "past its learning steps and does not yet ask for again"
    )
    mastery: float = Field(description="mastered / questions")
    right_last_time: int = Field(description="questions whose latest answer was right")


class DayOut(BaseModel):
    day: str
    total: int
    correct: int


class ProgressOut(BaseModel):
    attempts: int = Field(description="every answer, retries included")
    correct: int = Field(description="answers right, retries included")
    accuracy: float | None = Field(description="correct / attempts (retries included)")
    first_tries: int = Field(description="questions answered at least once")
    first_try_correct: int = Field(description="questions right the first time they were answered")
    first_try_accuracy: float | None = Field(
        description="first_try_correct / first_tries: the page's accuracy figure"
    )
    streak_days: int
    retention: float | None = Field(
        description="FSRS's mean predicted recall now over the cards last reviewed at least a "
        "day ago (retention_cards of them); null when there are none"
    )
    retention_cards: int = Field(description="the cards retention averages over")
    cards: int
    lessons: list[LessonOut]
    by_day: list[DayOut]
    forecast: list[DayOut]


@router.get(
    "/progress",
    summary="Mastery, accuracy, streak, retention and due forecast",
    responses=problem_responses(401),
)
def get_progress(
    identity: ApiIdentity,
    session: SessionDep,
    content: ContentDep,
    scheduler: SchedulerDep,
    now: NowDep,
) -> ProgressOut:
    p = load_progress(session, identity=identity, content=content, scheduler=scheduler, now=now)
    return ProgressOut(
        attempts=p.attempts,
        correct=p.correct,
        accuracy=p.correct / p.attempts if p.attempts else None,
        first_tries=p.first_tries,
        first_try_correct=p.first_right,
        first_try_accuracy=p.first_try_accuracy,
        streak_days=p.streak,
        retention=p.retention,
        retention_cards=p.recalled,
        cards=p.cards,
        lessons=[
            LessonOut(
                lesson=m.slug,
                title=m.title,
                questions=m.questions,
                seen=m.seen,
                mastered=m.mastered,
                mastery=round(m.share, 4),
                right_last_time=m.right_last_time,
            )
            for m in p.mastery
        ],
        by_day=[
            DayOut(day=d.day.isoformat(), total=d.total, correct=d.correct)
            for d in p.accuracy
            if d.total
        ],
        forecast=[DayOut(day=d.day.isoformat(), total=d.total, correct=0) for d in p.forecast],
    )
