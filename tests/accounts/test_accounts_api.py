"""Accounts, tokens, sessions and data rights through the JSON API."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from app.accounts.service import MAX_FAILURES_PER_PAIR
from app.accounts.token_cache import CachedToken, TokenCache
from app.config import Settings
from app.main import create_app
from app.quiz.scheduling import make_scheduler
from tests.conftest import make_account, new_id

pytestmark = pytest.mark.both_databases


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
    assert bad.status_code == 422 and "3 to 40 characters" in bad.json()["detail"]
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
    for _ in range(MAX_FAILURES_PER_PAIR):
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


def test_a_token_revoked_by_another_process_stops_working_within_the_cache_ttl(
    migrated: Settings, client: TestClient, auth: dict[str, str]
) -> None:
    """Two app instances on one database stand for two processes of a deployment."""
    seconds = [1000.0]
    other_app = create_app(migrated, scheduler=make_scheduler(fuzz=False))
    with TestClient(other_app) as other:
        other_app.state.token_cache = TokenCache(ttl=10.0, clock=lambda: seconds[0])
        assert other.get("/api/v1/progress", headers=auth).status_code == 200  # now cached there
        token_id = client.get("/api/v1/tokens", headers=auth).json()[0]["id"]
        assert client.delete(f"/api/v1/tokens/{token_id}", headers=auth).status_code == 204
        assert client.get("/api/v1/progress", headers=auth).status_code == 401  # this process
        seconds[0] += 5  # the other process still trusts its entry, and a hit does not extend it
        assert other.get("/api/v1/progress", headers=auth).status_code == 200
        seconds[0] += 5
        refused = other.get("/api/v1/progress", headers=auth)
        assert refused.status_code == 401
        assert "revoked" in refused.json()["detail"]


def test_token_cache_unit() -> None:
    now = [0.0]
    cache = TokenCache(ttl=10.0, max_entries=2, clock=lambda: now[0])
    entry = CachedToken(1, None, 7, "p", "ada", datetime(2026, 1, 1, tzinfo=UTC))
    cache.put("a", entry)
    assert cache.get("a") == entry
    now[0] = 9.9
    cache.update("a", replace(entry, username="ada2"))  # keeps the expiry
    assert cache.get("a") is not None and cache.get("a").username == "ada2"  # type: ignore[union-attr]
    now[0] = 10.0
    assert cache.get("a") is None
    cache.put("a", entry)
    cache.put("b", replace(entry, token_id=2, learner_id=8))
    cache.forget_token(1)
    assert cache.get("a") is None and cache.get("b") is not None
    cache.forget_learner(8)
    assert cache.get("b") is None
    cache.put("a", entry)
    cache.put("b", entry)
    cache.put("c", entry)  # over max_entries: swept, then kept
    assert cache.get("a") is None and cache.get("c") == entry
