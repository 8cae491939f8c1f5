"""With the sentence encoder: strong answers (the content's labelled samples) are acceptable,
and the report marks the clauses that carried each key point. Skips without MiniLM, except in
CI, where it must run (tests/lab/needs.py)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import make_account
from tests.interview.flow import MISSES_ALL, strong


def test_strong_answers_are_acceptable_and_marked_in_the_report(minilm_client: TestClient) -> None:
    auth = make_account(minilm_client)
    interview = minilm_client.post(
        "/api/v1/interviews", json={"lessons": ["albert"], "length": 3}, headers=auth
    ).json()
    while interview["status"] == "in_progress":
        text = strong(interview["question"]["id"])
        body = {"position": interview["position"], "text": text}
        response = minilm_client.post(
            f"/api/v1/interviews/{interview['id']}/answers", json=body, headers=auth
        )
        assert response.status_code == 200, response.text
        interview = response.json()
    report = interview["report"]
    assert report["grader"] == "minilm" and report["answered"] == 3
    assert [a["verdict"] for a in report["answers"]] == ["acceptable"] * 3
    assert report["score"] == 1.0
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', minilm_client.get("/account").text)
    assert csrf
    form = {"csrf_token": csrf.group(1), "username": "ada", "password": "correct horse"}
    assert minilm_client.post("/account/sign-in", data=form).status_code == 200
    page = minilm_client.get(f"/interview/{interview['id']}").text  # the same learner's browser
    assert page.count("Acceptable</h2>") == 3
    marks = re.findall(r'<mark class="hl hl-point" title="Covers: ([^"]+)">', page)
    assert len(marks) >= 3
    assert "graded by keywords only" not in page and "MiniLM" in page


def test_a_missed_point_is_followed_up_with_the_model(minilm_client: TestClient) -> None:
    auth = make_account(minilm_client)
    interview = minilm_client.post(
        "/api/v1/interviews", json={"lessons": ["cheat-sheet"], "length": 3}, headers=auth
    ).json()
    first = interview["question"]["id"]
    body = {"position": 1, "text": MISSES_ALL}
    after = minilm_client.post(
        f"/api/v1/interviews/{interview['id']}/answers", json=body, headers=auth
    ).json()
    assert after["question"]["lesson"] != "cheat-sheet", (first, after["question"]["id"])
