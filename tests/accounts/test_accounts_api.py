"""Accounts, tokens, sessions and data rights through the JSON API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.accounts.service import MAX_FAILURES_PER_USERNAME
from tests.conftest import make_account, new_id


def test_create_account_and_duplicate(client: TestClient) -> None:
    created = client.post("/api/v1/accounts", json={"username": "Ada", "password": "long enough"})
    assert created.status_code == 201
    assert created.json()["username"] == "ada"
    again = client.post("/api/v1/accounts", json={"username": "ada", "password": "long enough"})
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert "taken" in again.json()["detail"]


def test_account_input_is_checked(client: TestClient) -> None:
    short = client.post("/api/v1/accounts", json={"username": "ada", "password": "short"})
    assert short.status_code == 422 and "8 to 256" in short.json()["detail"]
    bad = client.post("/api/v1/accounts", json={"username": "a d!", "password": "long enough"})
    assert bad.status_code == 422 and "3-40 characters" in bad.json()["detail"]
    missing = client.post("/api/v1/accounts", json={"username": "ada"})
    assert missing.status_code == 422 and "password" in missing.json()["detail"]


def test_token_needs_basic_credentials(client: TestClient) -> None:
    client.post("/api/v1/accounts", json={"username": "ada", "password": "long enough"})
    assert client.post("/api/v1/tokens").status_code == 401
    wrong = client.post("/api/v1/tokens", auth=("ada", "wrong password"))
    assert wrong.status_code == 401 and wrong.json()["detail"] == "Wrong username or password."
    right = client.post("/api/v1/tokens", auth=("ada", "long enough"))
    assert right.status_code == 201
    body = right.json()
    assert body["token"].startswith("bp_") and body["token"].startswith(body["prefix"])


def test_failed_sign_ins_are_rate_limited(client: TestClient) -> None:
    client.post("/api/v1/accounts", json={"username": "ada", "password": "long enough"})
    for _ in range(MAX_FAILURES_PER_USERNAME):
        assert client.post("/api/v1/tokens", auth=("ada", "guess")).status_code == 401
    limited = client.post("/api/v1/tokens", auth=("ada", "long enough"))
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in limited.json()["detail"]


def test_api_needs_a_token_or_session(client: TestClient) -> None:
    for method, path in [
        ("GET", "/api/v1/progress"),
        ("GET", "/api/v1/questions"),
        ("POST", "/api/v1/attempts"),
        ("GET", "/api/v1/reviews/due"),
        ("GET", "/api/v1/me/export"),
    ]:
        response = client.request(method, path, json={})
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"].startswith("Bearer")
    bogus = client.get("/api/v1/progress", headers={"Authorization": "Bearer bp_nope"})
    assert bogus.status_code == 401 and "not valid" in bogus.json()["detail"]


def test_browser_session_needs_csrf_header_for_changes(client: TestClient) -> None:
    client.get("/quiz")  # becomes a guest with a session cookie
    assert client.get("/api/v1/progress").status_code == 200
    refused = client.post(
        "/api/v1/attempts", json={"attempt_id": new_id(), "question_id": "x", "response": {}}
    )
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]


def test_tokens_list_revoke_and_other_learners(client: TestClient, auth: dict[str, str]) -> None:
    tokens = client.get("/api/v1/tokens", headers=auth).json()
    assert len(tokens) == 1 and "token" not in tokens[0]
    other = make_account(client, "grace", "another password")
    assert client.delete(f"/api/v1/tokens/{tokens[0]['id']}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/tokens/{tokens[0]['id']}", headers=auth).status_code == 204
    assert client.get("/api/v1/progress", headers=auth).status_code == 401


def test_export_and_delete(client: TestClient, auth: dict[str, str]) -> None:
    question = client.get("/api/v1/questions", params={"lesson": "albert"}, headers=auth).json()[0]
    attempt = {
        "attempt_id": new_id(),
        "question_id": question["id"],
        "response": {"choice": question["options"][0]["id"]},
    }
    assert client.post("/api/v1/attempts", json=attempt, headers=auth).status_code == 201
    export = client.get("/api/v1/me/export", headers=auth).json()
    assert export["learner"]["username"] == "ada"
    assert [a["attempt_id"] for a in export["attempts"]] == [attempt["attempt_id"]]
    assert export["review_cards"][0]["question_id"] == question["id"]
    assert "token_hash" not in str(export)
    assert client.delete("/api/v1/me", headers=auth).status_code == 204
    assert client.get("/api/v1/me/export", headers=auth).status_code == 401
    assert client.post("/api/v1/tokens", auth=("ada", "correct horse")).status_code == 401
    # The username is free again.
    assert (
        client.post(
            "/api/v1/accounts", json={"username": "ada", "password": "correct horse"}
        ).status_code
        == 201
    )
