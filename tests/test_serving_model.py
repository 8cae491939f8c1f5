"""The serving model: database work never runs on the event loop.

Two checks. A static one reads every ``async def`` in ``app/`` and fails on a blocking call it
makes on the loop itself: a method of a session or engine, or a call that is handed one (a
repository or service function) without being awaited; work handed to a thread (a lambda or a
nested ``def`` given to ``run_in_threadpool``) is fine. A runtime one: while the app serves, its
engine refuses every checkout and statement on the event loop's thread, so any path the other
tests drive that did such work would fail with ``BlockingOnEventLoop``; the tests below show the
guard fires, and that the app's own pages and API, driven with a learner who has history, pass.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.config import PROJECT_ROOT, Settings
from app.db import BlockingOnEventLoop, make_engine, refusing_work_on_this_thread
from tests.conftest import make_account, new_id

APP = PROJECT_ROOT / "app"
DATABASE_NAMES = {"session", "engine", "connection"}
# A line that does no I/O although it touches a session (making one; closing one that holds no
# connection) says so with this marker, for a reviewer to check.
NO_IO = "# no I/O"


def _mentions_database(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in DATABASE_NAMES
    if isinstance(node, ast.Attribute):
        return node.attr in DATABASE_NAMES
    return False


class _LoopCalls(ast.NodeVisitor):
    """Blocking database calls made directly in one async function's body."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.found: list[int] = []
        self._awaited: set[int] = set()

    def visit_Await(self, node: ast.Await) -> None:
        self._awaited.add(id(node.value))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if id(node) not in self._awaited and NO_IO not in self.lines[node.lineno - 1]:
            on_database = isinstance(node.func, ast.Attribute) and _mentions_database(
                node.func.value
            )
            given_database = any(
                _mentions_database(arg) for arg in [*node.args, *(k.value for k in node.keywords)]
            )
            if on_database or given_database:
                self.found.append(node.lineno)
        self.generic_visit(node)

    # Work inside these runs somewhere else (a thread), or is checked as its own function.
    def visit_Lambda(self, node: ast.Lambda) -> None:
        return

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        return

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        return


def _violations(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.AsyncFunctionDef):
            visitor = _LoopCalls(lines)
            for statement in node.body:
                visitor.visit(statement)
            for line in visitor.found:
                where = (
                    path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
                )
                found.append(f"{where}:{line} in async {node.name}()")
    return found


def test_no_async_function_in_the_app_calls_the_database_on_the_loop() -> None:
    problems = [v for path in sorted(APP.rglob("*.py")) for v in _violations(path)]
    assert problems == [], (
        "blocking database calls on the event loop (make the function a plain def, or hand "
        "the work to run_in_threadpool):\n" + "\n".join(problems)
    )


def test_the_static_check_finds_a_blocking_call(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "async def bad(session):\n"
        "    repository.by_id(session, 1)\n"
        "    session.commit()\n"
        "    await run_in_threadpool(lambda: repository.by_id(session, 1))\n"
        "    await helper(session)\n",
        encoding="utf-8",
    )
    assert [re.sub(r".*:(\d+) .*", r"\1", v) for v in _violations(sample)] == ["2", "3"]


def test_the_engine_refuses_work_on_a_serving_event_loop(settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url)
    app = FastAPI()

    @app.get("/on-the-loop")
    async def on_the_loop() -> dict[str, int]:
        with refusing_work_on_this_thread(engine), Session(engine) as session:
            return {"one": int(session.execute(text("SELECT 1")).scalar_one())}

    @app.get("/in-a-thread")
    async def in_a_thread() -> dict[str, int]:
        def work() -> int:
            with Session(engine) as session:
                return int(session.execute(text("SELECT 1")).scalar_one())

        with refusing_work_on_this_thread(engine):
            return {"one": await run_in_threadpool(work)}

    with TestClient(app, raise_server_exceptions=True) as client:
        with pytest.raises(BlockingOnEventLoop, match="event loop"):
            client.get("/on-the-loop")
        assert client.get("/in-a-thread").json() == {"one": 1}
    engine.dispose()


@pytest.mark.both_databases
def test_every_learner_page_and_call_runs_with_the_guard_armed(
    client: TestClient, app: FastAPI
) -> None:
    """A learner with history (so every lookup really reads) walks the app; the guard is armed
    by the lifespan, so a single blocking call on the loop would make one of these a 500."""
    headers = make_account(client)
    question = client.get("/api/v1/questions", params={"lesson": "bert"}, headers=headers).json()[0]
    answer = {
        "attempt_id": new_id(),
        "question_id": question["id"],
        "response": {"choice": question["options"][0]["id"]}
        if question["type"] == "single"
        else {"value": True},
    }
    assert client.post("/api/v1/attempts", json=answer, headers=headers).status_code in (201, 422)
    interview = {"lessons": ["bert"], "length": 3}
    assert client.post("/api/v1/interviews", json=interview, headers=headers).status_code == 201
    api_paths = ("/api/v1/progress", "/api/v1/reviews/due", "/api/v1/tokens", "/api/v1/me/export")
    for path in (*api_paths, "/api/v1/interviews", "/api/v1/interviews/1"):
        assert client.get(path, headers=headers).status_code == 200, path
    pages = ("/", "/quiz", "/quiz/bert", "/review", "/progress", "/account", "/lab", "/readyz")
    for path in (*pages, "/interview"):
        assert client.get(path).status_code == 200, path
