"""Lesson pages (``/``, ``/lessons``, ``/lessons/{slug}``) and ``/api/v1/lessons``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.api import problem_responses
from app.lessons.schemas import LessonDetail, LessonSummary
from app.web import ContentDep

__all__ = ["api", "pages"]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/lessons", tags=["lessons"])


@pages.get("/", response_class=HTMLResponse)
def home(request: Request, content: ContentDep) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request, "home.html", {"lessons": content.lessons}
    )


@pages.get("/lessons", response_class=HTMLResponse)
def catalog(request: Request, content: ContentDep) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request, "lessons/catalog.html", {"lessons": content.lessons}
    )


@pages.get("/lessons/{slug}", response_class=HTMLResponse)
def lesson_page(request: Request, slug: str, content: ContentDep) -> HTMLResponse:
    lesson = content.lesson(slug)
    previous, following = content.neighbours(slug)
    return request.app.state.templates.TemplateResponse(
        request,
        "lessons/lesson.html",
        {"lesson": lesson, "previous": previous, "next": following},
    )


@api.get("", summary="List lessons in reading order")
def list_lessons(content: ContentDep) -> list[LessonSummary]:
    return [LessonSummary.of(lesson) for lesson in content.lessons]


@api.get("/{slug}", summary="One lesson with its HTML, table of contents and sources",
         responses=problem_responses(404))
def get_lesson(slug: str, content: ContentDep) -> LessonDetail:
    lesson = content.lesson(slug)
    previous, following = content.neighbours(slug)
    return LessonDetail.full(lesson, previous, following)
