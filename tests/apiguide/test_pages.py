"""``/api``: the getting-started commands on the page run, in order, against a live server.

Two ways: each command translated into the HTTP request curl would send (always runs), and the
commands themselves through bash and curl, exactly as a reader pastes them (where curl is)."""

from __future__ import annotations

import html
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.live import live_server

TOKEN_ASSIGNMENT = re.compile(r"^TOKEN=\$\((curl .*?) \| python3 -c '[^']*'\)$", re.S)


def commands(page: str) -> list[str]:
    found = re.findall(r"<pre class=\"command\" data-command><code>(.*?)</code></pre>", page, re.S)
    return [html.unescape(command) for command in found]


def as_request(command: str, token: str) -> httpx.Request:
    """The request ``curl`` makes for ``command`` (the options the page uses; others fail)."""
    # $TOKEN must sit in double quotes, where the shell expands it.
    unquoted = re.sub(r'"[^"]*"', "", command)
    assert "$TOKEN" not in unquoted, f"$TOKEN outside double quotes: {command}"
    args = shlex.split(command.replace("\\\n", " "))
    assert args[0] == "curl", command
    method, url, headers, body = "", "", {}, None
    auth: tuple[str, str] | None = None
    rest = iter(args[1:])
    for arg in rest:
        if arg == "-s":
            continue
        elif arg == "-X":
            method = next(rest)
        elif arg == "-H":
            name, _, value = next(rest).partition(":")
            headers[name.strip()] = value.strip().replace("$TOKEN", token)
        elif arg == "-d":
            body = next(rest).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif arg == "-u":
            user, _, password = next(rest).partition(":")
            auth = (user, password)
        else:
            assert not arg.startswith("-"), f"an option this test does not know: {arg}"
            url = arg
    request = httpx.Request(
        method or ("POST" if body else "GET"), url, headers=headers, content=body
    )
    if auth is not None:
        request = httpx.BasicAuth(*auth).sync_auth_flow(request).__next__()
    return request


def test_the_page_is_html_and_linked_from_every_page_and_the_docs(client: TestClient) -> None:
    page = client.get("/api")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert len(commands(page.text)) == 4
    assert 'href="/api"' in client.get("/lessons").text
    assert "](/api)" in client.get("/openapi.json").json()["info"]["description"]


def test_the_commands_as_http_requests_take_a_learner_to_an_answer(tmp_path: Path) -> None:
    with live_server(tmp_path / "data") as base:
        shown = commands(httpx.get(base + "/api").text)
        assert all(base in command for command in shown)  # this server's own address
        account, token_call, questions, attempt = shown
        with httpx.Client() as http:
            assert http.send(as_request(account, "")).status_code == 201
            inner = TOKEN_ASSIGNMENT.match(token_call)
            assert inner, token_call
            made = http.send(as_request(inner.group(1), ""))
            assert made.status_code == 201, made.text
            token = made.json()["token"]
            listed = http.send(as_request(questions, token))
            assert listed.status_code == 200 and listed.json(), listed.text
            answered = http.send(as_request(attempt, token))
            assert answered.status_code == 201, answered.text
            result: dict[str, Any] = answered.json()
            assert result["correct"] is True
            assert result["question_id"] in {q["id"] for q in listed.json()}
            progress = http.get(
                base + "/api/v1/progress", headers={"Authorization": f"Bearer {token}"}
            )
            assert progress.json()["attempts"] == 1


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_commands_run_as_pasted_into_bash(tmp_path: Path) -> None:
    with live_server(tmp_path / "data") as base:
        shown = commands(httpx.get(base + "/api").text)
        script = "set -euo pipefail\n" + "\necho\n".join(shown) + "\n"
        run = subprocess.run(
            ["bash", "-c", script], capture_output=True, text=True, timeout=60, check=False
        )
        assert run.returncode == 0, run.stderr
        replies = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
        created, listed, answered = replies  # the token went into $TOKEN, not to the screen
        assert created["username"] == "ada"
        assert answered["correct"] is True
        assert answered["question_id"] in {question["id"] for question in listed}
