"""A script's walk through the JSON API with httpx and a token, against a live server."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from app.content import load_content
from tests.conftest import CONTENT_DIR
from tests.live import live_server

BANK = load_content(CONTENT_DIR).questions


def test_api_walk_with_a_token(tmp_path: Path) -> None:
    with live_server(tmp_path / "data") as base, httpx.Client(base_url=base, timeout=10) as http:
        assert (
            http.post(
                "/api/v1/accounts", json={"username": "script", "password": "long password"}
            ).status_code
            == 201
        )
        token = http.post(
            "/api/v1/tokens", auth=("script", "long password"), json={"name": "walk"}
        ).json()["token"]
        api = httpx.Client(base_url=base, timeout=10, headers={"Authorization": f"Bearer {token}"})

        questions = api.get("/api/v1/questions", params={"lesson": "distilbert"}).json()
        assert len(questions) == len(BANK.for_lesson("distilbert"))
        results = []
        for item in questions[:3]:
            question = BANK.get(item["id"])
            assert question is not None
            if question.type != "single":
                continue
            right = next(o.id for o in question.options if o.correct)
            attempt = {
                "attempt_id": str(uuid.uuid4()),
                "question_id": item["id"],
                "response": {"choice": right},
                "shown_order": [o["id"] for o in item["options"]],
                "duration_ms": 8000,
            }
            first = api.post("/api/v1/attempts", json=attempt)
            retry = api.post("/api/v1/attempts", json=attempt)
            assert (first.status_code, retry.status_code) == (
                201,
                200,
            ) and first.json() == retry.json()
            results.append(first.json())
        assert results and all(r["correct"] for r in results)

        progress = api.get("/api/v1/progress").json()
        assert progress["attempts"] == len(results)
        due = api.get("/api/v1/reviews/due").json()
        assert due["new"] > 0
        rated = api.post(f"/api/v1/reviews/{due['queue'][0]['question_id']}", json={"rating": 4})
        assert rated.status_code == 200
        export = api.get("/api/v1/me/export").json()
        assert (
            len(export["attempts"]) == len(results)
            and len(export["review_log"]) == len(results) + 1
        )
        assert api.delete("/api/v1/me").status_code == 204
        assert api.get("/api/v1/progress").status_code == 401
        api.close()
