"""JSON shapes of the lessons API."""

from __future__ import annotations

from pydantic import BaseModel

from app.content import Lesson

__all__ = ["LessonDetail", "LessonSummary", "SourceOut", "TocEntryOut"]


class LessonSummary(BaseModel):
    slug: str
    title: str
    summary: str
    order: int
    reading_minutes: int
    url: str

    @classmethod
    def of(cls, lesson: Lesson) -> LessonSummary:
        return cls(
            slug=lesson.slug,
            title=lesson.title,
            summary=lesson.summary,
            order=lesson.order,
            reading_minutes=lesson.reading_minutes,
            url=f"/lessons/{lesson.slug}",
        )


class TocEntryOut(BaseModel):
    level: int
    anchor: str
    text: str


class SourceOut(BaseModel):
    title: str
    arxiv: str
    authors: str | None
    year: int | None
    url: str


class LessonDetail(LessonSummary):
    html: str
    toc: list[TocEntryOut]
    sources: list[SourceOut]
    previous: str | None
    next: str | None

    @classmethod
    def full(
        cls, lesson: Lesson, previous: Lesson | None, following: Lesson | None
    ) -> LessonDetail:
        return cls(
            **LessonSummary.of(lesson).model_dump(),
            html=lesson.html,
            toc=[TocEntryOut(level=t.level, anchor=t.anchor, text=t.text) for t in lesson.toc],
            sources=[
                SourceOut(title=s.title, arxiv=s.arxiv, authors=s.authors, year=s.year, url=s.url)
                for s in lesson.sources
            ],
            previous=previous.slug if previous else None,
            next=following.slug if following else None,
        )
