"""``/api/v1/lessons``: the lessons in reading order, and one lesson whole."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from app.api import problem_responses
from app.lessons.schemas import LessonDetail, LessonSummary
from app.pagination import Page, paging
from app.web import ContentDep

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/lessons", tags=["lessons"])


@router.get("", summary="List lessons in reading order")
async def list_lessons(
    content: ContentDep, page: Annotated[Page, Depends(paging(what="lessons"))]
) -> list[LessonSummary]:
    return [LessonSummary.of(lesson) for lesson in page.of(content.lessons)]


@router.get(
    "/{slug}",
    summary="One lesson with its HTML, table of contents and sources",
    responses=problem_responses(404),
)
async def get_lesson(slug: str, content: ContentDep) -> LessonDetail:
    lesson = content.lesson(slug)
    previous, following = content.neighbours(slug)
    return LessonDetail.full(lesson, previous, following)
