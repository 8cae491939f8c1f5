"""``/docs`` in Chromium: Authorize with a token made through the API, then "Try it out" on an
authenticated call returns the learner's own data. Swagger UI comes from this server only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live import live_server

pytestmark = pytest.mark.browser

PASSWORD = "lantern piano orbit"


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    with live_server(tmp_path / "data") as base:
        yield base


def _token_with_one_answer(base: str) -> str:
    created = httpx.post(base + "/api/v1/accounts", json={"username": "ada", "password": PASSWORD})
    assert created.status_code == 201, created.text
    token = httpx.post(base + "/api/v1/tokens", auth=("ada", PASSWORD)).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    question = httpx.get(base + "/api/v1/questions?lesson=bert", headers=auth).json()[0]
    response = {"value": True} if question["type"] == "truefalse" else {"choice": "a"}
    answer = {"attempt_id": "7d0f6a0e-0d7e-4a51-9a39-5f0f3a2f0c11", "question_id": question["id"]}
    answered = httpx.post(
        base + "/api/v1/attempts", json=answer | {"response": response}, headers=auth
    )
    assert answered.status_code == 201, answered.text
    return str(token)


def test_authorize_then_try_it_out_gets_the_learners_progress(
    browser: Any, base_url: str, artifacts: Path
) -> None:
    token = _token_with_one_answer(base_url)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    elsewhere: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(base_url) else elsewhere.append(r.url))
    try:
        page.goto(base_url + "/docs")
        page.click("button.authorize")
        bearer = page.locator(".modal-ux .auth-container", has_text="bearerAuth")
        bearer.locator("input").fill(token)
        bearer.locator("button.authorize").click()
        bearer.locator("button.btn-done").click()
        operation = page.locator(".opblock-get", has=page.locator('[data-path="/api/v1/progress"]'))
        operation.locator(".opblock-summary").click()
        operation.locator("button.try-out__btn").click()
        operation.locator("button.execute").click()
        live = operation.locator(".live-responses-table .response")
        live.first.wait_for()
        assert live.locator(".response-col_status").first.inner_text().strip() == "200"
        body = json.loads(operation.locator(".live-responses-table .microlight").first.inner_text())
        assert body["attempts"] == 1  # this learner's answer, so the token was sent
        curl = operation.locator(".curl-command").inner_text()
        assert f"Authorization: Bearer {token}" in curl
    except Exception:
        page.screenshot(path=str(artifacts / "docs-authorize.png"), full_page=True)
        raise
    finally:
        page.close()
    assert elsewhere == []  # no CDN: every file came from this server
