"""``limit`` and ``offset`` on every list the API returns: pages that add up to the whole list,
a ``Link: rel="next"`` header exactly while more follow, the default unchanged, bad values 422,
and all of it in the OpenAPI document. Through the real app."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.pagination import MAX_LIMIT
from tests.conftest import Clock, make_account, new_id

NEXT = re.compile(r'^<([^>]+)>; rel="next"$')

# path, query, where the list is in the body (None: the body is the list)
LISTS: list[tuple[str, dict[str, str], str | None]] = [
    ("/api/v1/lessons", {}, None),
    ("/api/v1/glossary", {}, None),
    ("/api/v1/search", {"q": "attention"}, "results"),
    ("/api/v1/questions", {"lesson": "bert"}, None),
    ("/api/v1/reviews/due", {}, "queue"),
    ("/api/v1/tokens", {}, None),
    ("/api/v1/interviews", {}, None),
]


@pytest.fixture
def auth(client: TestClient, app: FastAPI, clock: Clock) -> dict[str, str]:
    """A learner with three tokens, three interviews and three cards due (answered wrong, so
    back in a minute: review draws only what the learner has met), so every list has pages."""
    headers = make_account(client)
    singles = [q for q in app.state.content.questions.questions if q.type == "single"][:3]
    for question in singles:
        wrong = next(o.id for o in question.options if not o.correct)
        answer = {"attempt_id": new_id(), "question_id": question.id, "response": {"choice": wrong}}
        assert client.post("/api/v1/attempts", headers=headers, json=answer).status_code == 201
    clock.advance(minutes=2)
    for name in ("two", "three"):
        client.post("/api/v1/tokens", auth=("ada", "correct horse"), json={"name": name})
    for _ in range(3):
        started = client.post("/api/v1/interviews", json={"length": 3}, headers=headers)
        assert started.status_code == 201, started.text
        client.post(f"/api/v1/interviews/{started.json()['id']}/abandon", headers=headers)
    return headers


def _items(response: httpx.Response, key: str | None) -> list[Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    items: list[Any] = body if key is None else body[key]
    assert isinstance(items, list)
    return items


def _key(item: dict[str, Any]) -> Any:
    """What names an item (a question's options are shuffled anew on every request)."""
    return next(item[k] for k in ("id", "slug", "url", "question_id") if k in item)


def test_every_list_operation_is_paged(client: TestClient) -> None:
    """The table above is every operation whose 200 is a list or holds the paged list."""
    paths = client.get("/openapi.json").json()["paths"]
    paged = {
        path
        for path, ops in paths.items()
        for op in ops.values()
        if any(p["name"] == "limit" for p in op.get("parameters", []))
    }
    assert paged == {path for path, _, _ in LISTS}
    for path in paged:
        operation = paths[path]["get"]
        params = {p["name"]: p for p in operation["parameters"]}
        assert params["limit"]["description"] and params["offset"]["description"]
        assert params["limit"]["schema"]["anyOf"][0]["maximum"] == MAX_LIMIT
        assert 'rel="next"' in operation["responses"]["200"]["headers"]["Link"]["description"]


@pytest.mark.parametrize(("path", "query", "key"), LISTS, ids=[p for p, _, _ in LISTS])
def test_pages_add_up_to_the_whole_list(
    client: TestClient, auth: dict[str, str], path: str, query: dict[str, str], key: str | None
) -> None:
    if path == "/api/v1/search":  # search keeps its 20 by default; the others are whole
        query = {**query, "limit": str(MAX_LIMIT)}
    whole = client.get(path, params=query, headers=auth)
    everything = _items(whole, key)
    assert len(everything) >= 3, "the test needs a list with pages"
    assert "link" not in whole.headers
    query.pop("limit", None)
    limit = max(1, len(everything) // 3)
    seen: list[Any] = []
    url: str | None = str(httpx.URL(path, params={**query, "limit": limit}))
    while url is not None:
        page = client.get(url, headers=auth)
        items = _items(page, key)
        assert 0 < len(items) <= limit
        seen += items
        link = page.headers.get("link")
        url = NEXT.fullmatch(link).group(1) if link else None  # type: ignore[union-attr]
    assert [_key(item) for item in seen] == [_key(item) for item in everything]


def test_search_keeps_its_default_of_twenty(client: TestClient) -> None:
    first = client.get("/api/v1/search", params={"q": "the"})
    assert len(first.json()["results"]) == 20 and 'offset=20>; rel="next"' in first.headers["link"]
    more = client.get("/api/v1/search", params={"q": "the", "limit": 50})
    assert len(more.json()["results"]) > 20


def test_an_offset_past_the_end_is_an_empty_list(client: TestClient) -> None:
    response = client.get("/api/v1/lessons", params={"offset": 10_000, "limit": 5})
    assert response.json() == [] and "link" not in response.headers


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"limit": "0"}, "query.limit: Input should be greater than or equal to 1"),
        ({"limit": str(MAX_LIMIT + 1)}, f"less than or equal to {MAX_LIMIT}"),
        ({"limit": "ten"}, "query.limit: Input should be a valid integer"),
        ({"offset": "-1"}, "query.offset: Input should be greater than or equal to 0"),
    ],
)
def test_bad_values_are_422_saying_which_and_why(
    client: TestClient, query: dict[str, str], says: str
) -> None:
    response = client.get("/api/v1/glossary", params=query)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert says in response.json()["detail"]
