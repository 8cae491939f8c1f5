"""Every error a visitor can meet: an HTML page in the site's layout that says what happened and
what to do next, or under ``/api/`` an RFC 9457 problem document. Through the real app."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.errors import RateLimited, wait_in_words
from app.middleware import MAX_BODY_BYTES
from tests.live import live_server

TOO_BIG = b"x" * (MAX_BODY_BYTES + 1)


def assert_page(response: httpx.Response, status: int, *fragments: str) -> str:
    """An error page: the status, the site's header and footer, the message, the way on."""
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert "content-security-policy" in response.headers
    page = response.text
    assert 'class="site-header"' in page and 'class="site-footer"' in page
    assert f'<p class="error-code" aria-hidden="true">{status}</p>' in page
    assert 'action="/search"' in page and 'href="/"' in page  # search, home
    for fragment in fragments:
        assert fragment in page, fragment
    return page


def assert_problem(response: httpx.Response, status: int, fragment: str) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and fragment in body["detail"], body


def test_404(client: TestClient) -> None:
    assert_page(client.get("/lessons/gpt-5"), 404, "Page not found", "no lesson called")
    assert_page(client.get("/nothing/here"), 404, "There is nothing at /nothing/here.")
    assert_problem(client.get("/api/v1/nothing"), 404, "There is nothing at /api/v1/nothing.")


def test_405_names_the_methods_and_links_the_page(client: TestClient) -> None:
    page = client.delete("/lessons")
    assert_page(page, 405, "DELETE is not allowed on /lessons; use GET.", 'href="/lessons"')
    assert page.headers["allow"] == "GET"
    api = client.delete("/api/v1/lessons")
    assert_problem(api, 405, "use GET")
    assert api.headers["allow"] == "GET"


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_413_on_a_form_is_a_page_and_on_the_api_a_problem(
    client: TestClient, chunked: bool
) -> None:
    def body() -> object:
        return iter([TOO_BIG]) if chunked else TOO_BIG  # an iterator is sent chunked

    form = {"content-type": "application/x-www-form-urlencoded"}
    page = client.post("/account/register", content=body(), headers=form)  # type: ignore[arg-type]
    assert_page(page, 413, "That was too much to send", f"{MAX_BODY_BYTES:,}")
    json_body = {"content-type": "application/json"}
    api = client.post("/api/v1/accounts", content=body(), headers=json_body)  # type: ignore[arg-type]
    assert_problem(api, 413, f"{MAX_BODY_BYTES:,}")


def test_422_says_which_part_of_the_address_to_fix(client: TestClient) -> None:
    page = client.get("/interview/abc/questions/1")
    assert_page(page, 422, "needs fixing", "interview_id in the address")
    assert_problem(client.get("/api/v1/lab/cost?seq_len=x"), 422, "query.seq_len")


def test_400_for_a_body_that_is_not_json_or_not_a_form(client: TestClient) -> None:
    not_json = client.post(
        "/api/v1/accounts", content=b"{bad", headers={"content-type": "application/json"}
    )
    assert_problem(not_json, 400, "not valid JSON: Expecting property name")
    broken = client.post(
        "/account/register", content=b"--x", headers={"content-type": "multipart/form-data"}
    )
    assert_page(broken, 400, "could not be read")


def test_go_back_links_only_to_a_page_of_this_site(client: TestClient) -> None:
    came_from = {"referer": "http://testserver/glossary"}
    assert 'href="/glossary">Go back' in client.get("/lessons/nope", headers=came_from).text
    elsewhere = {"referer": "https://evil.example/"}
    assert "Go back" not in client.get("/lessons/nope", headers=elsewhere).text


@pytest.fixture
def limited_app(app: FastAPI) -> FastAPI:
    """The real app and handlers, with one page and one API call that are over their limit."""

    async def busy() -> None:
        raise RateLimited("The lab is busy.", retry_after=30)

    app.add_api_route("/busy-page", busy)
    app.add_api_route("/api/v1/busy", busy)
    return app


def test_429_says_when_to_try_again_in_words(limited_app: FastAPI) -> None:
    with TestClient(limited_app) as client:
        page = client.get("/busy-page")
        assert_page(page, 429, "The lab is busy.", "try again in 30 seconds")
        assert page.headers["retry-after"] == "30"
        api = client.get("/api/v1/busy")
        assert_problem(api, 429, "busy")
        assert api.headers["retry-after"] == "30"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (30, "30 seconds"),
        (119, "119 seconds"),
        (121, "3 minutes"),
        (900, "15 minutes"),
        (7201, "3 hours"),
    ],
)
def test_waits_in_words_round_up(seconds: int, words: str) -> None:
    assert wait_in_words(seconds) == words


def test_413_from_a_real_server_before_the_body_is_read(tmp_path: Path) -> None:
    """Over the wire (uvicorn), a declared body over the limit is refused with the page at once."""
    with live_server(tmp_path / "data") as base:
        page = httpx.post(
            base + "/account/sign-in",
            content=TOO_BIG,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert_page(page, 413, "That was too much to send")
        assert re.search(r"<title>[^<]*413", page.text)
