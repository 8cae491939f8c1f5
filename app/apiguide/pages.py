"""``/api``: three curl commands from nothing to an answered question, for this very server.

The commands are built here, not typed into the template: the host is the one the page was
asked on, the question and its right option come from the content, so what the page shows runs
(``tests/apiguide/test_pages.py`` runs it against a live server).
"""

from __future__ import annotations

import json
import shlex
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.content import ContentIndex
from app.web import ContentDep, render

__all__ = ["EXAMPLE_LESSON", "TOKEN_FROM_JSON", "Step", "router", "steps"]

router = APIRouter(include_in_schema=False)

EXAMPLE_LESSON = "bert"
EXAMPLE_USER, EXAMPLE_PASSWORD = "ada", "lantern piano orbit"
JSON_HEADER = "-H 'Content-Type: application/json'"
BEARER_HEADER = '-H "Authorization: Bearer $TOKEN"'
# The reply is JSON; its "token" is the secret, shown once. python3 is on most machines (jq too).
TOKEN_FROM_JSON = """python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'"""


@dataclass(frozen=True)
class Step:
    title: str
    commands: tuple[str, ...]  # each one curl call, lines joined with " \\\n  "


def _curl(*parts: str) -> str:
    return " \\\n  ".join(["curl -s" + (" " + parts[0] if parts else ""), *parts[1:]])


def _body(value: Mapping[str, object], *, one_line: bool = True) -> str:
    """``-d '<JSON>'``; a long body gets a line per key (a quoted newline is still JSON)."""
    if one_line:
        return "-d " + shlex.quote(json.dumps(value))
    fields = [f"{json.dumps(key)}: {json.dumps(item)}" for key, item in value.items()]
    return "-d '{" + ",\n       ".join(fields) + "}'"


def steps(base: str, content: ContentIndex) -> tuple[Step, ...]:
    """The getting-started commands against ``base`` (e.g. ``http://localhost:8000``)."""
    question = next(q for q in content.questions.for_lesson(EXAMPLE_LESSON) if q.type == "single")
    right = next(option.id for option in question.options if option.correct)
    credentials = shlex.quote(f"{EXAMPLE_USER}:{EXAMPLE_PASSWORD}")
    answer = {
        "attempt_id": str(uuid.uuid4()),
        "question_id": question.id,
        "response": {"choice": right},
    }
    return (
        Step(
            "Create an account",
            (
                _curl(
                    f"-X POST {base}/api/v1/accounts",
                    JSON_HEADER,
                    _body({"username": EXAMPLE_USER, "password": EXAMPLE_PASSWORD}),
                ),
            ),
        ),
        Step(
            "Make a token",
            (
                "TOKEN=$("
                + _curl(f"-X POST {base}/api/v1/tokens", f"-u {credentials}")
                + f" | {TOKEN_FROM_JSON})",
            ),
        ),
        Step(
            "Answer a question",
            (
                _curl(
                    shlex.quote(f"{base}/api/v1/questions?lesson={EXAMPLE_LESSON}"), BEARER_HEADER
                ),
                _curl(
                    f"-X POST {base}/api/v1/attempts",
                    BEARER_HEADER,
                    JSON_HEADER,
                    _body(answer, one_line=False),
                ),
            ),
        ),
    )


@router.get("/api", response_class=HTMLResponse)
async def api_guide(request: Request, content: ContentDep) -> HTMLResponse:
    """Async: it only touches memory (the content), like the lesson pages."""
    base = str(request.base_url).rstrip("/")
    return render(
        request,
        "apiguide/api.html",
        {"steps": steps(base, content), "base": base, "user": EXAMPLE_USER},
    )
