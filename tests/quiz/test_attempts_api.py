"""The quiz API: questions without keys, attempts graded, kept once, scheduled."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.content.questions import Question
from app.main import create_app
from app.quiz.calculated import draw, format_number
from tests.conftest import Clock, make_account, new_id

pytestmark = pytest.mark.both_databases

ANSWER_FIELDS = {
    "correct",
    "answer",
    "answer_bool",
    "answer_number",
    "key_points",
    "explanation",
    "reference_answer",
    "tolerance",
}


def _bank(app: FastAPI) -> Any:
    return app.state.content.questions


def right_response(question: Question, seed: int | None = None) -> dict[str, Any]:
    """The right answer; a calculated question's for ``seed`` (0 when not given)."""
    kind = question.type
    if question.compute is not None:
        seed = seed or 0
        return {"value": draw(question.compute, seed).answer, "seed": seed}
    if kind == "single":
        return {"choice": next(o.id for o in question.options if o.correct)}
    if kind == "multiple":
        return {"choices": [o.id for o in question.options if o.correct]}
    if kind == "truefalse":
        return {"value": question.answer_bool}
    if kind == "numeric":
        return {"value": question.answer_number}
    if kind == "order":
        return {"order": [o.id for o in question.options]}
    return {"text": " ".join(k.keywords[0] for k in question.key_points), "rating": 3}


def test_questions_have_no_answer_keys(
    client: TestClient, auth: dict[str, str], app: FastAPI
) -> None:
    listed = client.get("/api/v1/questions", params={"lesson": "deberta"}, headers=auth).json()
    assert {q["id"] for q in listed} == {q.id for q in _bank(app).for_lesson("deberta")}
    for item in listed:
        assert not ANSWER_FIELDS & set(item)
        assert all(set(option) == {"id", "text"} for option in item["options"])
        original = _bank(app).get(item["id"])
        assert sorted(o["id"] for o in item["options"]) == sorted(o.id for o in original.options)
    assert (
        client.get("/api/v1/questions", params={"lesson": "gpt"}, headers=auth).status_code == 404
    )


# Open answers are judged by the sentence encoder: tests/quiz/test_judged_answers.py.
@pytest.mark.parametrize("kind", ["single", "multiple", "truefalse", "numeric", "order"])
def test_every_type_graded_right(
    client: TestClient, auth: dict[str, str], app: FastAPI, kind: str
) -> None:
    question = next(q for q in _bank(app).questions if q.type == kind)
    response = client.post(
        "/api/v1/attempts",
        headers=auth,
        json={
            "attempt_id": new_id(),
            "question_id": question.id,
            "response": right_response(question),
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["correct"] is True and body["score"] == 1.0
    assert set(body) >= {
        "attempt_id",
        "question_id",
        "correct",
        "score",
        "correct_response",
        "explanation",
        "next_review_at",
    }
    assert body["lesson_url"] == question.lesson_url


def test_wrong_answer_reports_the_right_one(
    client: TestClient, auth: dict[str, str], app: FastAPI
) -> None:
    question = next(q for q in _bank(app).questions if q.type == "single")
    wrong = next(o.id for o in question.options if not o.correct)
    body = client.post(
        "/api/v1/attempts",
        headers=auth,
        json={"attempt_id": new_id(), "question_id": question.id, "response": {"choice": wrong}},
    ).json()
    assert body["correct"] is False
    assert body["correct_response"] == {"choice": next(o.id for o in question.options if o.correct)}
    assert {e["id"] for e in body["option_explanations"]} == {o.id for o in question.options}


def test_retry_returns_the_first_result_and_stores_nothing(
    client: TestClient, auth: dict[str, str], app: FastAPI, clock: Clock
) -> None:
    question = next(q for q in _bank(app).questions if q.type == "truefalse")
    payload = {
        "attempt_id": new_id(),
        "question_id": question.id,
        "response": {"value": question.answer_bool},
    }
    first = client.post("/api/v1/attempts", headers=auth, json=payload)
    clock.advance(minutes=5)
    again = client.post("/api/v1/attempts", headers=auth, json=payload)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    export = client.get("/api/v1/me/export", headers=auth).json()
    assert len(export["attempts"]) == 1 and len(export["review_log"]) == 1
    other = make_account(client, "grace", "another password")
    assert client.post("/api/v1/attempts", headers=other, json=payload).status_code == 409


@pytest.mark.parametrize(
    ("change", "status", "fragment"),
    [
        ({"question_id": "no-such-question"}, 404, "no question"),
        ({"response": {"choice": "zz"}}, 422, "must be one of the option ids"),
        ({"response": {"choices": ["a"]}}, 422, "needs a response like"),
        ({"attempt_id": "not-a-uuid"}, 422, "must be a UUID"),
        ({"response": "a"}, 422, "response"),
        ({"duration_ms": -5}, 422, "duration_ms"),
    ],
)
def test_bad_attempts_are_explained(
    client: TestClient,
    auth: dict[str, str],
    app: FastAPI,
    change: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    question = next(q for q in _bank(app).questions if q.type == "single")
    payload = {
        "attempt_id": new_id(),
        "question_id": question.id,
        "response": {"choice": question.options[0].id},
    } | change
    response = client.post("/api/v1/attempts", headers=auth, json=payload)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert fragment in response.json()["detail"]
    assert client.get("/api/v1/me/export", headers=auth).json()["attempts"] == []


def test_oversized_body_is_413(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/attempts",
        headers=auth | {"content-type": "application/json"},
        content=b'{"x": "' + b"a" * 200_000 + b'"}',
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_reviews_due_and_rating(
    client: TestClient, auth: dict[str, str], app: FastAPI, clock: Clock
) -> None:
    question = next(q for q in _bank(app).questions if q.type == "single")
    wrong = next(o.id for o in question.options if not o.correct)
    client.post(
        "/api/v1/attempts",
        headers=auth,
        json={"attempt_id": new_id(), "question_id": question.id, "response": {"choice": wrong}},
    )
    due = client.get("/api/v1/reviews/due", headers=auth).json()
    assert due["learning"] == 0 and due["next_due"] is not None
    clock.advance(minutes=2)
    due = client.get("/api/v1/reviews/due", headers=auth).json()
    assert due["learning"] == 1 and due["queue"][0]["question_id"] == question.id
    rated = client.post(f"/api/v1/reviews/{question.id}", headers=auth, json={"rating": 3})
    assert rated.status_code == 200 and rated.json()["state"] in ("learning", "review")
    assert client.get("/api/v1/reviews/due", headers=auth).json()["learning"] == 0
    assert (
        client.post(f"/api/v1/reviews/{question.id}", headers=auth, json={"rating": 5}).status_code
        == 422
    )
    assert client.post("/api/v1/reviews/nope", headers=auth, json={"rating": 3}).status_code == 404


def test_progress_counts_and_isolation(
    client: TestClient, auth: dict[str, str], app: FastAPI
) -> None:
    for question in _bank(app).for_lesson("albert")[:3]:
        client.post(
            "/api/v1/attempts",
            headers=auth,
            json={
                "attempt_id": new_id(),
                "question_id": question.id,
                "response": right_response(question),
            },
        )
    progress = client.get("/api/v1/progress", headers=auth).json()
    assert progress["attempts"] == 3 and progress["correct"] == 3 and progress["streak_days"] == 1
    albert = next(row for row in progress["lessons"] if row["lesson"] == "albert")
    assert albert["seen"] == 3 and albert["right_last_time"] == 3
    assert albert["mastered"] == 0  # right once: the cards are still in their learning steps
    other = make_account(client, "grace", "another password")
    assert client.get("/api/v1/progress", headers=other).json()["attempts"] == 0


def test_data_survives_a_restart(migrated: Settings, clock: Clock) -> None:
    with TestClient(create_app(migrated, clock=clock)) as client:
        headers = make_account(client)
        question = client.get("/api/v1/questions", headers=headers).json()[0]
        client.post(
            "/api/v1/attempts",
            headers=headers,
            json={
                "attempt_id": new_id(),
                "question_id": question["id"],
                "response": {"choice": question["options"][0]["id"]},
            },
        )
    with TestClient(create_app(migrated, clock=clock)) as client:
        assert client.get("/api/v1/progress", headers=headers).json()["attempts"] == 1


def _calculated(app: FastAPI) -> Question:
    return next(q for q in _bank(app).for_lesson("albert") if q.compute is not None)


def test_calculated_question_comes_with_a_seed_and_its_values(
    client: TestClient, auth: dict[str, str], app: FastAPI
) -> None:
    listed = client.get("/api/v1/questions", params={"lesson": "albert"}, headers=auth).json()
    question = _calculated(app)
    item = next(q for q in listed if q["id"] == question.id)
    assert question.compute is not None
    drawn = draw(question.compute, item["seed"])
    assert item["values"] == drawn.values
    for name, value in drawn.values.items():
        assert format_number(value) in item["prompt_html"], name
    assert "{{" not in item["prompt_html"] and "{{" not in item["prompt"]
    fixed = [q for q in listed if _bank(app).get(q["id"]).compute is None]
    assert fixed and all(q["seed"] is None and q["values"] is None for q in fixed)


def test_calculated_answer_with_its_seed_is_kept_with_the_drawn_values(
    client: TestClient, auth: dict[str, str], app: FastAPI
) -> None:
    question = _calculated(app)
    assert question.compute is not None
    item = next(
        q
        for q in client.get("/api/v1/questions", params={"lesson": "albert"}, headers=auth).json()
        if q["id"] == question.id
    )
    seed = item["seed"]
    answer = draw(question.compute, seed).answer
    response = client.post(
        "/api/v1/attempts",
        headers=auth,
        json={
            "attempt_id": new_id(),
            "question_id": question.id,
            "response": {"value": answer, "seed": seed},
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["correct"] is True
    assert body["correct_response"]["seed"] == seed
    assert body["correct_response"]["values"] == item["values"]
    assert body["correct_response"]["value"] == answer
    assert "{{" not in body["explanation"] and format_number(answer) in body["explanation"]
    (attempt,) = client.get("/api/v1/me/export", headers=auth).json()["attempts"]
    assert attempt["drawn"] == {"seed": seed, "values": item["values"], "answer": answer}
    assert attempt["response"] == {"value": answer, "seed": seed}


def test_calculated_answer_without_its_seed_is_422(
    client: TestClient, auth: dict[str, str], app: FastAPI
) -> None:
    question = _calculated(app)
    response = client.post(
        "/api/v1/attempts",
        headers=auth,
        json={"attempt_id": new_id(), "question_id": question.id, "response": {"value": 5}},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "send the 'seed' it came with" in response.json()["detail"]
    assert client.get("/api/v1/me/export", headers=auth).json()["attempts"] == []


def test_fixed_answers_keep_no_drawn_values(
    client: TestClient, auth: dict[str, str], app: FastAPI
) -> None:
    question = next(q for q in _bank(app).questions if q.type == "truefalse")
    client.post(
        "/api/v1/attempts",
        headers=auth,
        json={
            "attempt_id": new_id(),
            "question_id": question.id,
            "response": right_response(question),
        },
    )
    (attempt,) = client.get("/api/v1/me/export", headers=auth).json()["attempts"]
    assert attempt["drawn"] is None
