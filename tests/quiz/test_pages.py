"""The quiz, review, progress and account pages, driven as a browser without JavaScript would."""

from __future__ import annotations

import html
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.quiz.calculated import draw, format_number
from tests.conftest import Clock, make_account, new_id
from tests.quiz.test_attempts_api import right_response

pytestmark = pytest.mark.both_databases


def _field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no field {name}"
    return match.group(1)


def _answer_form(client: TestClient, lesson: str = "albert") -> tuple[str, dict[str, str]]:
    page = client.get(f"/quiz/{lesson}")
    assert page.status_code == 200
    names = ("csrf_token", "attempt_id", "question_id", "shown", "started_ms")
    fields = {name: _field(page.text, name) for name in names}
    if 'name="seed"' in page.text:  # a calculated question
        fields["seed"] = _field(page.text, "seed")
    return page.text, fields


def test_first_visit_gets_a_guest_cookie(client: TestClient) -> None:
    response = client.get("/quiz")
    cookie = response.headers["set-cookie"]
    assert (
        cookie.startswith("bertprep_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    )
    assert "Secure" not in cookie  # plain http here; https adds Secure
    assert "set-cookie" not in client.get("/quiz").headers  # kept, not renewed


def test_post_without_csrf_is_refused(client: TestClient) -> None:
    _, fields = _answer_form(client)
    fields["csrf_token"] = "forged"
    response = client.post("/quiz/albert", data=fields | {"choice": "a"})
    assert response.status_code == 403
    assert "expired or did not come from this site" in response.text


def test_answer_shows_feedback_and_is_saved(client: TestClient, app: FastAPI) -> None:
    tries = 3 * len(app.state.content.questions.for_lesson("albert"))
    for _ in range(tries):  # draw until a single-choice question comes up
        _, fields = _answer_form(client)
        question = app.state.content.questions.get(fields["question_id"])
        if question.type == "single":
            break
        client.get(f"/quiz/albert?after={question.id}")
    assert question.type == "single"
    right = right_response(question)["choice"]
    response = client.post("/quiz/albert", data=fields | {"choice": right})
    assert response.status_code == 200
    assert "Right" in response.text and "correct answer" in response.text
    for option in question.options:
        assert option.explanation_html.split("\n")[0][:40] in response.text
    assert f'href="{question.lesson_url}"' in response.text
    progress = client.get("/progress").text
    assert '>1</span><span class="stat-label">answers' in progress


def test_invalid_numeric_input_keeps_the_form(client: TestClient, app: FastAPI) -> None:
    question = next(q for q in app.state.content.questions.questions if q.type == "numeric")
    page = client.get("/quiz/mixed")
    fields = {n: _field(page.text, n) for n in ("csrf_token", "attempt_id", "started_ms")}
    response = client.post(
        "/quiz/mixed", data=fields | {"question_id": question.id, "shown": "", "value": "lots"}
    )
    assert response.status_code == 422
    assert "is not a number" in response.text and 'value="lots"' in response.text
    assert client.get("/account/export.json").json()["attempts"] == []


def test_open_question_reveals_then_rates(client: TestClient, app: FastAPI) -> None:
    question = next(q for q in app.state.content.questions.questions if q.type == "open")
    page = client.get(f"/quiz/{question.lesson}")
    fields = {n: _field(page.text, n) for n in ("csrf_token", "attempt_id", "started_ms")}
    fields |= {"question_id": question.id, "shown": ""}
    text = question.key_points[0].keywords[0]
    reveal = client.post(f"/quiz/{question.lesson}", data=fields | {"text": text})
    assert reveal.status_code == 200 and "A strong answer" in reveal.text
    assert f"1 of {len(question.key_points)} covered" in reveal.text
    assert "Graded by keywords only" in reveal.text  # this app has no model files
    assert client.get("/account/export.json").json()["attempts"] == []
    rated = client.post(f"/quiz/{question.lesson}", data=fields | {"text": text, "rating": "2"})
    assert rated.status_code == 200 and "you rated yourself <strong>Hard</strong>" in rated.text
    assert client.get("/account/export.json").json()["attempts"][0]["rating"] == 2


def test_review_queue_rates_with_a_form(client: TestClient, app: FastAPI, clock: Clock) -> None:
    _, fields = _answer_form(client)  # the guest's first answer makes their learner row
    question = app.state.content.questions.get(fields["question_id"])
    client.post("/quiz/albert", data=fields | _form_answer(question, fields))
    client.get("/lessons/bert")  # review draws new cards from the lessons opened
    page = client.get("/review")
    assert f"{len(app.state.content.questions.for_lesson('bert'))}</strong> new" in page.text
    question_id = _field(page.text, "question_id")
    assert 'href="/review?show=1"' in page.text and "hidden" in page.text
    shown = client.get("/review?show=1").text
    assert "data-answer hidden" not in shown
    rated = client.post(
        "/review",
        data={
            "csrf_token": _field(page.text, "csrf_token"),
            "question_id": question_id,
            "rating": "1",
        },
        follow_redirects=False,
    )
    assert rated.status_code == 303
    clock.advance(minutes=2)
    assert "1</strong> learning" in client.get("/review").text


def test_register_keeps_history_then_sign_out_and_in(client: TestClient, app: FastAPI) -> None:
    _, fields = _answer_form(client)
    question = app.state.content.questions.get(fields["question_id"])
    client.post("/quiz/albert", data=fields | _form_answer(question, fields))
    csrf = _field(client.get("/account").text, "csrf_token")
    registered = client.post(
        "/account/register",
        data={"csrf_token": csrf, "username": "ada", "password": "correct horse"},
    )
    assert (
        registered.status_code == 200
        and "Everything you answered as a guest is still here" in registered.text
    )
    assert len(client.get("/account/export.json").json()["attempts"]) == 1
    csrf = _field(registered.text, "csrf_token")
    client.post("/account/sign-out", data={"csrf_token": csrf})
    assert client.get("/account/export.json").json()["attempts"] == []
    csrf = _field(client.get("/account").text, "csrf_token")
    wrong = client.post(
        "/account/sign-in", data={"csrf_token": csrf, "username": "ada", "password": "nope nope"}
    )
    assert wrong.status_code == 401 and "Wrong username or password" in wrong.text
    signed_in = client.post(
        "/account/sign-in",
        data={"csrf_token": csrf, "username": "ada", "password": "correct horse"},
    )
    assert signed_in.status_code == 200 and "ada, here is what you know" in signed_in.text
    assert len(client.get("/account/export.json").json()["attempts"]) == 1


def test_signing_in_moves_a_guests_history_into_the_account(
    client: TestClient, app: FastAPI
) -> None:
    """Attempts and review logs move; a card only where the account has none for its question."""
    auth = make_account(client, "ada")
    guest = TestClient(app)
    answered = []
    for _ in range(2):
        _, fields = _answer_form(guest)
        question = app.state.content.questions.get(fields["question_id"])
        assert (
            guest.post("/quiz/albert", data=fields | _form_answer(question, fields)).status_code
            == 200
        )
        answered.append(question)
    shared = answered[0]
    for _ in range(2):  # the account's own card for the first question: rated twice
        body = {
            "attempt_id": new_id(),
            "question_id": shared.id,
            "response": right_response(shared),
        }
        assert client.post("/api/v1/attempts", json=body, headers=auth).status_code == 201
    csrf = _field(guest.get("/account").text, "csrf_token")
    signed_in = guest.post(
        "/account/sign-in",
        data={"csrf_token": csrf, "username": "ada", "password": "correct horse"},
    )
    assert signed_in.status_code == 200
    export = client.get("/api/v1/me/export", headers=auth).json()
    assert len(export["attempts"]) == 4 and len(export["review_log"]) == 4
    cards = {c["question_id"]: c for c in export["review_cards"]}
    assert set(cards) == {q.id for q in answered}
    assert cards[shared.id]["reps"] == 2  # the account's schedule won
    assert cards[answered[1].id]["reps"] == 1  # the guest's card moved over
    assert guest.get("/account/export.json").json() == export


def _form_answer(question: object, fields: dict[str, str]) -> dict[str, str]:
    seed = int(fields["seed"]) if "seed" in fields else None
    response = right_response(question, seed)  # type: ignore[arg-type]
    if "choice" in response:
        return {"choice": response["choice"]}
    if "choices" in response:
        return {"choices": response["choices"]}
    if "order" in response:
        return {f"pos_{item}": str(i + 1) for i, item in enumerate(response["order"])}
    if "value" in response and isinstance(response["value"], bool):
        return {"value": "true" if response["value"] else "false"}
    if "value" in response:
        return {"value": str(response["value"])}
    return {"text": response["text"], "rating": "3"}


def test_tokens_and_delete_from_the_account_page(client: TestClient) -> None:
    csrf = _field(client.get("/account").text, "csrf_token")
    page = client.post(
        "/account/register",
        data={"csrf_token": csrf, "username": "ada", "password": "correct horse"},
    )
    csrf = _field(page.text, "csrf_token")
    created = client.post("/account/tokens", data={"csrf_token": csrf, "name": "flashcards"})
    assert created.status_code == 201
    token = re.search(r'id="new-token">([^<]+)<', created.text).group(1)  # type: ignore[union-attr]
    assert (
        client.get("/api/v1/progress", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    again = client.get("/account").text
    assert token not in again and "flashcards" in again
    refused = client.post("/account/delete", data={"csrf_token": csrf, "confirm": "wrong"})
    assert refused.status_code == 422 and "Type 'ada'" in html.unescape(refused.text)
    deleted = client.post("/account/delete", data={"csrf_token": csrf, "confirm": "ada"})
    assert "were deleted" in deleted.text
    assert (
        client.get("/api/v1/progress", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_progress_page_draws_charts_with_text_alternatives(client: TestClient) -> None:
    page = client.get("/progress").text
    assert page.count('<svg class="chart') == 4
    for chart in ("mastery", "accuracy", "activity", "forecast"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in page
        assert f'<desc id="{chart}-desc">' in page
    assert "The numbers" in page


def test_cookie_is_secure_over_https(app: FastAPI) -> None:
    with TestClient(app, base_url="https://testserver") as secure:
        assert "; Secure" in secure.get("/quiz").headers["set-cookie"]


def test_home_shows_today_to_a_returning_learner(
    client: TestClient, app: FastAPI, clock: Clock
) -> None:
    assert "Know the BERT family" in client.get("/").text  # a newcomer gets the introduction
    _, fields = _answer_form(client)
    question = app.state.content.questions.get(fields["question_id"])
    assert (
        client.post("/quiz/albert", data=fields | _form_answer(question, fields)).status_code == 200
    )
    clock.advance(minutes=15)
    home = client.get("/").text
    assert "Welcome back" in home and "Know the BERT family" not in home
    assert "day streak" in home and 'href="/progress"' in home


def test_calculated_question_through_the_form(client: TestClient, app: FastAPI) -> None:
    bank = app.state.content.questions
    page, fields = _answer_form(client)
    for _ in range(40):  # draw until a calculated question comes up
        if bank.get(fields["question_id"]).compute is not None:
            break
        page, fields = _answer_form(client, f"albert?after={fields['question_id']}")
    question = bank.get(fields["question_id"])
    assert question.compute is not None and "seed" in fields
    drawn = draw(question.compute, int(fields["seed"]))
    for value in drawn.values.values():
        assert format_number(value) in page
    assert "{{" not in page and "drawn at random" in page
    typed = format_number(drawn.answer)  # with thousands separators, as a learner types it
    response = client.post("/quiz/albert", data=fields | {"value": typed})
    assert response.status_code == 200, response.text
    assert '<h1 id="verdict">Right</h1>' in response.text
    assert "Drawn for you" in response.text and "{{" not in response.text
    for name, value in drawn.values.items():
        assert f"<strong>{name}</strong> = {format_number(value)}" in response.text
    assert format_number(drawn.answer, digits=10) in response.text
    (attempt,) = client.get("/account/export.json").json()["attempts"]
    assert attempt["drawn"] == drawn.as_json()


def test_calculated_question_without_its_seed_keeps_the_form(
    client: TestClient, app: FastAPI
) -> None:
    question = next(q for q in app.state.content.questions.questions if q.compute is not None)
    page = client.get("/quiz/mixed")
    fields = {n: _field(page.text, n) for n in ("csrf_token", "attempt_id", "started_ms")}
    response = client.post(
        "/quiz/mixed", data=fields | {"question_id": question.id, "shown": "", "value": "12"}
    )
    assert response.status_code == 422 and "drawn values were lost" in response.text
    assert 'name="seed"' in response.text  # a fresh draw to answer instead
    kept = client.post(
        "/quiz/mixed",
        data=fields | {"question_id": question.id, "shown": "", "seed": "77", "value": "lots"},
    )
    assert kept.status_code == 422 and "is not a number" in kept.text
    assert '<input type="hidden" name="seed" value="77">' in kept.text  # the same values again
    assert client.get("/account/export.json").json()["attempts"] == []


def test_calculated_card_in_review_keeps_its_values_when_shown(
    client: TestClient, app: FastAPI, clock: Clock
) -> None:
    question = next(q for q in app.state.content.questions.questions if q.compute is not None)
    page = client.get("/quiz/mixed")
    fields = {n: _field(page.text, n) for n in ("csrf_token", "attempt_id", "started_ms")}
    fields |= {"question_id": question.id, "shown": "", "seed": "5", "value": "1"}
    assert client.post("/quiz/mixed", data=fields).status_code == 200  # wrong: due again soon
    clock.advance(minutes=2)
    review = client.get("/review").text
    assert _field(review, "question_id") == question.id and "{{" not in review
    seed = re.search(r'href="/review\?show=1&amp;seed=(\d+)"', review)
    assert seed, "the Show answer link keeps the drawn values"
    shown = client.get(f"/review?show=1&seed={seed.group(1)}").text
    drawn = draw(question.compute, int(seed.group(1)))
    assert f"<strong>{format_number(drawn.answer, digits=10)}</strong>" in shown
    assert "{{" not in shown


def test_a_multiple_choice_form_sent_with_nothing_ticked_asks_again(
    client: TestClient, app: FastAPI
) -> None:
    question = next(q for q in app.state.content.questions.questions if q.type == "multiple")
    page = client.get(f"/quiz/{question.lesson}")
    shown = ",".join(o.id for o in question.options)
    sent = client.post(
        f"/quiz/{question.lesson}",
        data={
            "csrf_token": _field(page.text, "csrf_token"),
            "attempt_id": new_id(),
            "question_id": question.id,
            "shown": shown,
        },
    )
    assert sent.status_code == 422 and "at least one" in sent.text
    assert client.get("/account/export.json").json()["attempts"] == []
