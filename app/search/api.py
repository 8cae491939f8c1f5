"""``/api/v1/search``: lesson sections that match the words typed, as JSON."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from app.api import problem_responses
from app.pagination import Page, paging
from app.search.index import MAX_QUERY_LENGTH, SearchIndex

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/search", tags=["search"])

QueryParam = Annotated[
    str,
    Query(description=f"Words to find in lesson sections (at most {MAX_QUERY_LENGTH} characters)."),
]


class SearchResult(BaseModel):
    kind: Literal["section", "glossary", "question"] = Field(
        description="a lesson section, a glossary term or a question (by its prompt)"
    )
    lesson: str = Field(description="the lesson it belongs to (a term: the lesson teaching it)")
    lesson_title: str
    anchor: str = Field(description="the section's anchor, the term's id or the question's id")
    heading: str
    heading_html: str
    snippet_html: str
    url: str
    fuzzy: bool = Field(
        default=False, description="found by the corrected spelling in `did_you_mean`, not as typed"
    )


class SearchResponse(BaseModel):
    query: str
    count: int = Field(description="the results in this response (`limit` at most)")
    results: list[SearchResult]
    did_you_mean: str | None = Field(
        default=None, description="the query respelt when a word of it matched nothing"
    )


SEARCH_PAGE = 20  # what one search returned before paging: still the default


@router.get(
    "",
    summary="Search lesson sections, glossary terms and questions",
    responses=problem_responses(422),
)
async def search_api(
    request: Request,
    page: Annotated[Page, Depends(paging(default_limit=SEARCH_PAGE, what="results"))],
    q: QueryParam = "",
) -> SearchResponse:
    index: SearchIndex = request.app.state.search
    assert page.end is not None  # search always has a limit
    hits = page.of(index.search(q, limit=page.end + 1))  # one more: is there a next page?
    results = [
        SearchResult(
            kind=h.kind,
            lesson=h.lesson_slug,
            lesson_title=h.lesson_title,
            anchor=h.anchor,
            heading=h.heading,
            heading_html=h.heading_html,
            snippet_html=h.snippet_html,
            url=h.url,
            fuzzy=h.fuzzy,
        )
        for h in hits
    ]
    corrected = index.correction(q) if not hits or hits[-1].fuzzy else None
    return SearchResponse(query=q, count=len(results), results=results, did_you_mean=corrected)
