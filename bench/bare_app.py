"""The baseline for bench/pages.py: a bare FastAPI endpoint returning fixed bytes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response


def create_bare_app() -> FastAPI:
    body = Path(os.environ["BENCH_BODY_FILE"]).read_bytes()
    path = os.environ.get("BENCH_PATH", "/lessons/distilbert")
    app = FastAPI()

    @app.get(path)
    async def page() -> Response:
        return Response(body, media_type="text/html; charset=utf-8")

    return app


def create_bare_attempts_app() -> FastAPI:
    """A bare JSON endpoint at the attempts path: parse the body, answer a body of the same shape."""
    app = FastAPI()

    @app.post("/api/v1/attempts", status_code=201)
    async def attempt(body: dict[str, Any]) -> dict[str, Any]:
        return {
            "attempt_id": body.get("attempt_id"),
            "question_id": body.get("question_id"),
            "correct": True,
            "score": 1.0,
            "correct_response": {"choice": "a"},
            "explanation": "x" * 300,
            "option_explanations": [],
            "covered_key_points": [],
            "lesson_url": "/lessons/bert#architecture",
            "next_review_at": "2026-01-01T00:00:00Z",
        }

    return app
