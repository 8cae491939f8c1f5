"""``limit`` and ``offset`` for every list the JSON API returns, with an RFC 8288 ``Link`` header.

A list keeps its shape (a JSON array, or the array inside a summary such as the search results
or the review queue); ``limit`` and ``offset`` choose a window of it, and while there is more
after that window the response carries ``Link: <…?limit=L&offset=O+L>; rel="next"``. Without
``limit`` a list is whole, as it always was (the search results keep their 20), so existing
scripts see exactly what they saw before. Bad values are 422 from the query validation, saying
which parameter and why.

    page: PageDep                       # in the route's parameters
    return [Out.of(x) for x in page.of(items)]

``install_problem_openapi`` documents the ``Link`` header on every operation that takes
``limit`` (``LINK_HEADER``).
"""

# No ``from __future__ import annotations``: the dependency's Query descriptions are built per
# endpoint in a closure, and FastAPI must see those annotations evaluated, not as strings.
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request, Response

__all__ = ["LINK_HEADER", "MAX_LIMIT", "Page", "PageDep", "paging"]

T = TypeVar("T")

MAX_LIMIT = 1000
LINK_HEADER = {
    "description": (
        'RFC 8288: `<URL>; rel="next"` with the same query and the next `offset`, while more '
        "items follow this page; absent on the last page and when `limit` is not given."
    ),
    "schema": {"type": "string"},
}


@dataclass(frozen=True)
class Page:
    """A window of a list: ``offset`` items skipped, at most ``limit`` (None: all the rest)."""

    limit: int | None
    offset: int
    request: Request
    response: Response

    @property
    def end(self) -> int | None:
        """One past the last item of this page (a source that can stop early fetches
        ``end + 1`` items: one more than the page shows, to know whether a next page exists)."""
        return None if self.limit is None else self.offset + self.limit

    def of(self, items: Sequence[T]) -> list[T]:
        """This page of ``items`` (the whole list, or at least ``end + 1`` of it); sets the
        ``Link`` header when more follow."""
        end = self.end
        if end is not None and len(items) > end:
            following = self.request.url.include_query_params(limit=self.limit, offset=end)
            self.response.headers["Link"] = f'<{following}>; rel="next"'
        return list(items[self.offset : end])


def paging(
    *, default_limit: int | None = None, what: str = "items"
) -> Callable[..., Coroutine[Any, Any, Page]]:
    """The dependency reading ``limit`` and ``offset`` (``default_limit``: when not given)."""
    everything = "all of them" if default_limit is None else f"{default_limit}"

    async def page(  # async: no thread-pool hop for two integers
        request: Request,
        response: Response,
        limit: Annotated[
            int | None,
            Query(
                ge=1,
                le=MAX_LIMIT,
                description=f"at most this many {what} (1 to {MAX_LIMIT}); left out: {everything}",
            ),
        ] = default_limit,
        offset: Annotated[
            int, Query(ge=0, le=2**31 - 1, description=f"skip this many {what} first")
        ] = 0,
    ) -> Page:
        return Page(limit=limit, offset=offset, request=request, response=response)

    return page


PageDep = Annotated[Page, Depends(paging())]
