"""``/search`` page and ``/api/v1/search``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from app.api import problem_responses
from app.errors import InvalidInput
from app.search.index import MAX_QUERY_LENGTH, SearchIndex
from app.web import render

__all__ = ["api", "pages"]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/search", tags=["search"])

QueryParam = Annotated[
    str,
    Query(description=f"Words to find in lesson sections (at most {MAX_QUERY_LENGTH} characters)."),
]


class SearchResult(BaseModel):
    lesson: str
    lesson_title: str
    anchor: str
    heading: str
    heading_html: str
    snippet_html: str
    url: str


class SearchResponse(BaseModel):
    query: str
    count: int
    results: list[SearchResult]


def _index(request: Request) -> SearchIndex:
    index: SearchIndex = request.app.state.search
    return index


@pages.get("/search", response_class=HTMLResponse)
async def search_page(request: Request, q: str = "") -> HTMLResponse:
    context: dict[str, object] = {"query": q, "hits": [], "error": None}
    status = 200
    if q.strip():
        try:
            context["hits"] = _index(request).search(q)
        except InvalidInput as exc:
            context["error"] = exc.message
            status = 422
    return render(request, "search/results.html", context, status_code=status)


@api.get("", summary="Search lesson sections", responses=problem_responses(422))
async def search_api(request: Request, q: QueryParam = "") -> SearchResponse:
    hits = _index(request).search(q)
    results = [
        SearchResult(
            lesson=h.lesson_slug,
            lesson_title=h.lesson_title,
            anchor=h.anchor,
            heading=h.heading,
            heading_html=h.heading_html,
            snippet_html=h.snippet_html,
            url=h.url,
        )
        for h in hits
    ]
    return SearchResponse(query=q, count=len(results), results=results)
