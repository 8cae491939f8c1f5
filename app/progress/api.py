"""``/api/v1/progress``."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

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
    seen: int
    mastered: int
    mastery: float


class DayOut(BaseModel):
    day: str
    total: int
    correct: int


class ProgressOut(BaseModel):
    attempts: int
    correct: int
    accuracy: float | None
    streak_days: int
    retention: float | None
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
        streak_days=p.streak,
        retention=p.retention,
        cards=p.cards,
        lessons=[
            LessonOut(
                lesson=m.slug,
                title=m.title,
                questions=m.questions,
                seen=m.seen,
                mastered=m.mastered,
                mastery=round(m.share, 4),
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
