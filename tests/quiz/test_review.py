"""The review queue through the real app: which cards it draws (lessons opened, questions
answered), the intervals on its rating buttons, and closed cards answered in review."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fsrs import Card, Rating, Scheduler

from app.content.questions import Question
from app.quiz.calculated import draw, format_number
from app.quiz.scheduling import format_interval
from tests.conftest import Clock, new_id
from tests.quiz.test_attempts_api import right_response

pytestmark = pytest.mark.both_databases


def _field(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no field {name}"
    return html.unescape(match.group(1))


def _csrf(client: TestClient) -> str:
    """A guest cookie and its CSRF token (the account page hands out both)."""
    return _field(client.get("/account").text, "csrf_token")


def _answer(client: TestClient, question: Question, response: dict[str, Any]) -> None:
    """Answer through the API as the browser's session (this makes the guest's learner row)."""
    sent = client.post(
        "/api/v1/attempts",
        headers={"X-CSRF-Token": _csrf(client)},
        json={"attempt_id": new_id(), "question_id": question.id, "response": response},
    )
    assert sent.status_code == 201, sent.text


def _wrong(question: Question) -> dict[str, Any]:
    if question.type == "numeric":
        return {"value": -1.0, **({"seed": 5} if question.compute else {})}
    if question.type == "order":
        return {"order": [o.id for o in reversed(question.options)]}
    if question.type == "single":
        return {"choice": next(o.id for o in question.options if not o.correct)}
    raise AssertionError(question.type)


def _due(client: TestClient) -> dict[str, Any]:
    due = client.get("/api/v1/reviews/due")
    assert due.status_code == 200
    body: dict[str, Any] = due.json()
    return body


def _bank(app: FastAPI) -> Any:
    return app.state.content.questions


def test_queue_draws_only_cards_of_lessons_opened_and_questions_answered(
    client: TestClient, app: FastAPI, clock: Clock
) -> None:
    bank = _bank(app)
    client.get("/lessons/bert")  # a script's first visit, no cookie: nothing to record
    empty = client.get("/review").text
    assert "Nothing due right now" in empty
    assert "draws from lessons you've opened and questions you've answered" in empty
    assert 'href="/lessons"' in empty
    assert _due(client)["queue"] == []

    albert = next(q for q in bank.for_lesson("albert") if q.type == "single")
    _answer(client, albert, _wrong(albert))  # met: answered once (wrong: due in a minute)
    assert _due(client)["new"] == 0  # still no lesson opened; bert's early visit was not kept
    clock.advance(minutes=2)
    assert [i["question_id"] for i in _due(client)["queue"]] == [albert.id]

    assert client.get("/lessons/roberta").status_code == 200
    client.get("/lessons/roberta")  # a second visit changes nothing
    due = _due(client)
    roberta = [q.id for q in bank.for_lesson("roberta")]
    assert due["new"] == len(roberta) and due["learning"] == 1
    assert [i["question_id"] for i in due["queue"]] == [albert.id, *roberta]
    page = client.get("/review").text
    assert f"{len(roberta)}</strong> new" in page

    visits = client.get("/account/export.json").json()["lesson_visits"]
    assert visits == [{"lesson": "roberta", "first_opened_at": clock.now.isoformat()}]


def test_a_guest_who_reads_before_answering_gets_that_lessons_cards(
    client: TestClient, app: FastAPI
) -> None:
    """A guest with a cookie but no learner row (nothing saved yet) opens a lesson: the visit
    makes the row, as a first answer would, and the lesson's cards are in the queue."""
    _csrf(client)  # the account page starts the guest's session
    assert client.get("/api/v1/me/export").json()["lesson_visits"] == []
    assert client.get("/lessons/distilbert").status_code == 200
    due = _due(client)
    distilbert = [q.id for q in _bank(app).for_lesson("distilbert")]
    assert due["new"] == len(distilbert)
    assert [i["question_id"] for i in due["queue"]] == distilbert
    assert "Nothing due right now" not in client.get("/review").text


def test_a_browsers_first_page_is_a_lesson_it_counts_as_opened(
    client: TestClient, app: FastAPI
) -> None:
    """A reader who arrives on a lesson from a link (no cookie yet) gets their guest cookie
    with that page, so the lesson is in their queue; a script's request (no Sec-Fetch-Mode)
    gets no cookie and leaves no learner row behind."""
    script = client.get("/lessons/albert")
    assert script.status_code == 200 and "set-cookie" not in script.headers
    arrived = client.get("/lessons/deberta", headers={"sec-fetch-mode": "navigate"})
    assert arrived.status_code == 200
    assert "bertprep_session=" in arrived.headers["set-cookie"]
    assert "HttpOnly" in arrived.headers["set-cookie"]
    due = _due(client)
    deberta = [q.id for q in _bank(app).for_lesson("deberta")]
    assert [i["question_id"] for i in due["queue"]] == deberta
    visits = client.get("/api/v1/me/export").json()["lesson_visits"]
    assert [v["lesson"] for v in visits] == ["deberta"]  # not albert, read with no cookie
    again = client.get("/lessons/roberta", headers={"sec-fetch-mode": "navigate"})
    assert "set-cookie" not in again.headers  # the cookie it has is kept


def test_a_forged_cookie_records_no_visit(client: TestClient, app: FastAPI) -> None:
    question = next(q for q in _bank(app).for_lesson("albert") if q.type == "single")
    _answer(client, question, _wrong(question))
    real = client.cookies["bertprep_session"]
    client.cookies.clear()
    client.get("/lessons/roberta", headers={"cookie": f"bertprep_session={real[:-3]}abc"})
    client.cookies.set("bertprep_session", real)
    assert client.get("/account/export.json").json()["lesson_visits"] == []


def _fsrs_labels(scheduler: Scheduler, card: Card, now: Any) -> dict[int, str]:
    """What fsrs itself says each rating would give this card, formatted."""
    exact = Scheduler(parameters=scheduler.parameters, enable_fuzzing=False)
    return {int(r): format_interval(exact.review_card(card, r, now)[0].due - now) for r in Rating}


def _button_labels(page: str) -> dict[int, str]:
    found = re.findall(
        r'data-rating="(\d)"[^>]*><kbd>\d</kbd> \w+ <span class="rating-interval">([^<]+)</span>',
        page,
    )
    return {int(value): label for value, label in found}


def test_rating_buttons_show_the_interval_fsrs_would_give(
    client: TestClient, app: FastAPI, clock: Clock
) -> None:
    question = next(q for q in _bank(app).for_lesson("roberta") if q.type == "open")
    _answer(client, question, {"text": "no idea", "rating": 1})  # a learning card, due in 1 min
    clock.advance(minutes=2)
    page = client.get("/review?show=1").text
    assert _field(page, "question_id") == question.id
    export = client.get("/account/export.json").json()["review_cards"][0]
    card = Card(
        card_id=1,
        state=export["state"],
        step=export["step"],
        stability=export["stability"],
        difficulty=export["difficulty"],
        due=clock.now,
        last_review=clock.now.fromisoformat(export["last_review"]),
    )
    expected = _fsrs_labels(app.state.scheduler, card, clock.now)
    assert _button_labels(page) == expected
    assert expected[1].endswith("min") and expected[4].endswith("d")  # a spread, not one figure


def _numeric_card_due(client: TestClient, app: FastAPI, clock: Clock) -> Question:
    question = next(q for q in _bank(app).for_lesson("albert") if q.compute is not None)
    _answer(client, question, _wrong(question))
    clock.advance(minutes=2)
    return question


def _check_form(page: str) -> dict[str, str]:
    names = ("csrf_token", "question_id", "attempt_id", "shown", "seed")
    return {n: _field(page, n) for n in names if f'name="{n}"' in page}


def test_a_calculated_card_is_answered_in_review_and_kept_with_the_chosen_rating(
    client: TestClient, app: FastAPI, clock: Clock
) -> None:
    question = _numeric_card_due(client, app, clock)
    page = client.get("/review").text
    assert 'action="/review/check"' in page and 'name="value"' in page
    form = _check_form(page)
    assert form["question_id"] == question.id
    drawn = draw(question.compute, int(form["seed"]))

    empty = client.post("/review/check", data=form | {"value": " "})
    assert empty.status_code == 422 and "Type a number." in empty.text
    assert _field(empty.text, "seed") == form["seed"]  # the same values, asked again

    checked = client.post("/review/check", data=form | {"value": f"{drawn.answer:.10g}"})
    assert checked.status_code == 200
    assert '<h2 id="verdict" class="verdict-title">Right</h2>' in checked.text
    assert format_number(drawn.answer, digits=10) in checked.text
    assert "data-answer hidden" not in checked.text
    suggested = re.search(r'data-rating="(\d)" data-suggested', checked.text)
    assert suggested and suggested.group(1) == "3"  # right, no time given: Good
    assert (
        client.get("/account/export.json").json()["attempts"][-1]["question_id"]
        != form["attempt_id"]
    )
    before = len(client.get("/account/export.json").json()["attempts"])
    rated = client.post(
        "/review",
        data={
            "csrf_token": form["csrf_token"],
            "question_id": question.id,
            "attempt_id": _field(checked.text, "attempt_id"),
            "response": _field(checked.text, "response"),
            "shown": "",
            "duration_ms": "",
            "rating": "2",  # the learner chose Hard over the suggested Good
        },
        follow_redirects=False,
    )
    assert rated.status_code == 303
    export = client.get("/account/export.json").json()
    assert len(export["attempts"]) == before + 1
    kept = export["attempts"][-1]
    assert kept["attempt_id"] == form["attempt_id"] and kept["correct"] is True
    assert kept["rating"] == 2 and kept["drawn"]["seed"] == int(form["seed"])
    assert export["review_log"][-1] | {"reviewed_at": None} == {
        "question_id": question.id,
        "rating": 2,
        "source": "review",
        "attempt_id": form["attempt_id"],
        "reviewed_at": None,
    }


def test_a_wrong_order_suggests_again_and_a_garbled_answer_is_refused(
    client: TestClient, app: FastAPI, clock: Clock
) -> None:
    question = next(q for q in _bank(app).for_lesson("roberta") if q.type == "order")
    _answer(client, question, _wrong(question))
    clock.advance(minutes=2)
    page = client.get("/review").text
    form = _check_form(page)
    assert form["question_id"] == question.id and sorted(form["shown"].split(",")) == sorted(
        o.id for o in question.options
    )
    ids = [o.id for o in question.options]
    backwards = {f"pos_{i}": str(len(ids) - n) for n, i in enumerate(ids)}
    checked = client.post("/review/check", data=form | backwards)
    assert checked.status_code == 200 and "Right</h2>" not in checked.text
    assert re.search(r'data-rating="1" data-suggested', checked.text)
    assert json.loads(_field(checked.text, "response")) == {"order": list(reversed(ids))}
    right = client.post(
        "/review/check", data=form | {f"pos_{i}": str(n + 1) for n, i in enumerate(ids)}
    )
    assert "Right</h2>" in right.text

    garbled = client.post(
        "/review",
        data={
            "csrf_token": form["csrf_token"],
            "question_id": question.id,
            "attempt_id": form["attempt_id"],
            "response": "{not json",
            "rating": "3",
        },
    )
    assert garbled.status_code == 422 and "answer the card again" in garbled.text


def test_single_choice_card_answered_right(client: TestClient, app: FastAPI, clock: Clock) -> None:
    question = next(q for q in _bank(app).for_lesson("roberta") if q.type == "single")
    _answer(client, question, _wrong(question))
    clock.advance(minutes=2)
    form = _check_form(client.get("/review").text)
    checked = client.post("/review/check", data=form | right_response(question))
    assert "Right</h2>" in checked.text


def test_a_signed_in_visit_counts_and_a_signed_out_cookie_does_not(client: TestClient) -> None:
    csrf = _csrf(client)
    registered = client.post(
        "/account/register",
        data={"csrf_token": csrf, "username": "ada", "password": "correct horse battery"},
    )
    assert registered.status_code == 200
    signed_in = client.cookies["bertprep_session"]
    client.get("/lessons/deberta")
    assert [v["lesson"] for v in client.get("/account/export.json").json()["lesson_visits"]] == [
        "deberta"
    ]
    client.post("/account/sign-out", data={"csrf_token": _field(registered.text, "csrf_token")})
    client.cookies.clear()
    client.get("/lessons/roberta", headers={"cookie": f"bertprep_session={signed_in}"})
    signed_in_again = client.post(
        "/account/sign-in",
        data={"csrf_token": _csrf(client), "username": "ada", "password": "correct horse battery"},
    )
    assert signed_in_again.status_code in (200, 303)
    visits = client.get("/account/export.json").json()["lesson_visits"]
    assert [v["lesson"] for v in visits] == ["deberta"]  # the ended session's cookie wrote none
