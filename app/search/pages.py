"""``/search``: lesson sections that match the words typed, as a page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.errors import InvalidInput
from app.search.index import SearchIndex
from app.web import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/search", response_class=HTMLResponse)
async def search_page(request: Request, q: str = "") -> HTMLResponse:
    context: dict[str, object] = {"query": q, "hits": [], "error": None, "corrected": None}
    status = 200
    if q.strip():
        try:
            index: SearchIndex = request.app.state.search
            hits = index.search(q)
            context["hits"] = hits
            if not hits or hits[-1].fuzzy:  # a word matched nothing: say what was searched
                context["corrected"] = index.correction(q)
        except InvalidInput as exc:
            context["error"] = exc.message
            status = 422
    return render(request, "search/results.html", context, status_code=status)
