"""``/glossary`` and ``/api/v1/glossary``: every term with its definition and the lesson section
that teaches it (``content/glossary.yaml``, read with the lessons)."""

from __future__ import annotations

from itertools import groupby
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from app.pagination import Page, paging
from app.web import ContentDep, render

__all__ = ["api_router", "router"]

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1/glossary", tags=["lessons"])


class TermOut(BaseModel):
    id: str = Field(description="stable: /glossary#<id>")
    term: str
    aliases: list[str]
    definition_html: str
    definition: str = Field(description="the definition as plain text")
    lesson: str
    lesson_url: str
    url: str


@router.get("/glossary", response_class=HTMLResponse)
async def glossary_page(request: Request, content: ContentDep) -> HTMLResponse:
    terms = content.glossary.terms
    titles = {lesson.slug: lesson.title for lesson in content.lessons}
    sections = {(s.lesson_slug, s.anchor): s.heading for s in content.sections}
    letters = [
        (letter, list(group))
        for letter, group in groupby(terms, key=lambda t: t.term.lstrip("[").upper()[:1])
    ]
    return render(
        request,
        "lessons/glossary.html",
        {"letters": letters, "count": len(terms), "titles": titles, "sections": sections},
    )


@api_router.get("", summary="Every glossary term, alphabetical")
async def glossary_api(
    content: ContentDep, page: Annotated[Page, Depends(paging(what="terms"))]
) -> list[TermOut]:
    return [
        TermOut(
            id=t.id,
            term=t.term,
            aliases=list(t.aliases),
            definition_html=t.definition_html,
            definition=t.definition_text,
            lesson=t.lesson_slug,
            lesson_url=t.lesson_url,
            url=t.url,
        )
        for t in page.of(content.glossary.terms)
    ]
