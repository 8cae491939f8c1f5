"""How the API knows its caller, as OpenAPI declares it and as the app enforces it: a Bearer
token (no CSRF header needed), or a browser session that must send ``X-CSRF-Token`` to change
anything. Through the real app."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import make_account, new_id


def _operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    paths = client.get("/openapi.json").json()["paths"]
    return [(m.upper(), path, op) for path, ops in paths.items() for m, op in ops.items()]


def _answer(app: FastAPI) -> dict[str, Any]:
    question = next(q for q in app.state.content.questions.questions if q.type == "single")
    choice = next(option.id for option in question.options if option.correct)
    return {"attempt_id": new_id(), "question_id": question.id, "response": {"choice": choice}}


def test_openapi_declares_bearer_exactly_where_a_caller_is_needed(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["basicAuth"]["scheme"] == "basic"
    for method, path, operation in _operations(client):
        url = re.sub(r"\{[^}]+\}", "1", path)
        anonymous = client.request(method, url, json={})  # no token, no cookie
        declared = operation.get("security", [])
        if {"bearerAuth": []} in declared:
            assert anonymous.status_code == 401, (method, path)
            assert anonymous.headers["www-authenticate"].startswith("Bearer")
        elif {"basicAuth": []} in declared:
            assert anonymous.status_code == 401 and "Basic" in anonymous.json()["detail"]
        else:
            assert anonymous.status_code != 401, (method, path, anonymous.text)
        client.cookies.clear()  # a page-less call may not leave a session behind, but be sure


def test_a_bearer_post_needs_no_csrf_header(client: TestClient, app: FastAPI) -> None:
    auth = make_account(client)
    client.cookies.clear()  # the token alone
    answered = client.post("/api/v1/attempts", json=_answer(app), headers=auth)
    assert answered.status_code == 201, answered.text


def test_a_session_post_without_the_csrf_header_is_403(client: TestClient, app: FastAPI) -> None:
    page = client.get("/account").text  # a browser: a session cookie and a CSRF token
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    refused = client.post("/api/v1/attempts", json=_answer(app))
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    accepted = client.post(
        "/api/v1/attempts", json=_answer(app), headers={"X-CSRF-Token": csrf.group(1)}
    )
    assert accepted.status_code == 201, accepted.text
