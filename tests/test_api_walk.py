"""A script's walk through the JSON API with httpx and a token, against a live server."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from app.content import load_content
from app.quiz.calculated import FORMULAS
from tests.conftest import CONTENT_DIR
from tests.live import live_server

pytestmark = pytest.mark.both_databases

BANK = load_content(CONTENT_DIR, formulas=FORMULAS).questions


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
        # Review draws new cards from lessons opened on their pages; a script opens none, and
        # its three answers are in their learning steps (due in minutes): nothing due yet.
        assert due["new"] == 0 and due["queue"] == [] and due["next_due"] is not None
        rated = api.post(f"/api/v1/reviews/{results[0]['question_id']}", json={"rating": 4})
        assert rated.status_code == 200
        export = api.get("/api/v1/me/export").json()
        assert (
            len(export["attempts"]) == len(results)
            and len(export["review_log"]) == len(results) + 1
        )
        assert api.delete("/api/v1/me").status_code == 204
        assert api.get("/api/v1/progress").status_code == 401
        api.close()


def test_concurrent_submissions_all_land(tmp_path: Path) -> None:
    """Many answers at once, first cards and resent ids included: no 5xx, nothing lost or doubled."""
    from concurrent.futures import ThreadPoolExecutor

    questions = [q for q in BANK.questions if q.type == "single"][:3]
    with live_server(tmp_path / "data") as base, httpx.Client(base_url=base, timeout=30) as http:
        http.post("/api/v1/accounts", json={"username": "many", "password": "long password"})
        token = http.post("/api/v1/tokens", auth=("many", "long password")).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        payloads = [
            {
                "attempt_id": str(uuid.uuid4()),
                "question_id": questions[i % 3].id,
                "response": {"choice": questions[i % 3].options[0].id},
            }
            for i in range(40)
        ]
        resent = payloads[:6]

        def post(payload: dict[str, object]) -> int:
            return http.post("/api/v1/attempts", json=payload, headers=headers).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(post, payloads + resent))
        assert all(status in (200, 201) for status in statuses), statuses
        assert statuses.count(201) == 40
        export = http.get("/api/v1/me/export", headers=headers).json()
        assert len(export["attempts"]) == 40 and len(export["review_log"]) == 40
        cards = {c["question_id"]: c for c in export["review_cards"]}
        assert set(cards) == {q.id for q in questions}
        assert sum(c["reps"] for c in cards.values()) == 40
