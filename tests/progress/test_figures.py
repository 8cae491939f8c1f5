"""The progress figures agree, through the real app: a scripted history of answers over days,
then the page, the API and fsrs' own computation held against each other."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fsrs import Card, Scheduler, State

from app.content.questions import Question
from tests.conftest import Clock, new_id
from tests.quiz.test_attempts_api import right_response

pytestmark = pytest.mark.both_databases


def _csrf(client: TestClient) -> str:
    match = re.search(r'name="csrf_token" value="([^"]*)"', client.get("/account").text)
    assert match
    return html.unescape(match.group(1))


def _answer(client: TestClient, csrf: str, question: Question, *, right: bool) -> None:
    wrong = next(o.id for o in question.options if not o.correct)
    response = right_response(question) if right else {"choice": wrong}
    sent = client.post(
        "/api/v1/attempts",
        headers={"X-CSRF-Token": csrf},
        json={"attempt_id": new_id(), "question_id": question.id, "response": response},
    )
    assert sent.status_code == 201, sent.text


def _fsrs_recall(scheduler: Scheduler, cards: list[dict[str, Any]], now: datetime) -> float:
    """fsrs' own retrievability, averaged over the cards last reviewed a day or more ago."""
    values = []
    for c in cards:
        last = datetime.fromisoformat(c["last_review"])
        if (now - last).days < 1:
            continue
        card = Card(
            card_id=1,
            state=State(c["state"]),
            step=c["step"],
            stability=c["stability"],
            difficulty=c["difficulty"],
            due=datetime.fromisoformat(c["due"]),
            last_review=last,
        )
        values.append(scheduler.get_card_retrievability(card, now))
    assert values, "the script leaves cards reviewed days ago"
    return sum(values) / len(values)


def _tiles(page: str) -> dict[str, str]:
    found = re.findall(
        r'<span class="stat-value">([^<]*)</span><span class="stat-label">([^<]*)', page
    )
    return {label.strip(" ·"): value for value, label in found}


def test_accuracy_recall_and_mastery_agree_on_a_scripted_history(
    client: TestClient, app: FastAPI, clock: Clock
) -> None:
    questions = [q for q in app.state.content.questions.questions if q.type == "single"][:9]
    csrf = _csrf(client)
    for n, question in enumerate(questions):  # day 0: 9 questions, 5 right the first time
        _answer(client, csrf, question, right=n < 5)
    today = _tiles(client.get("/progress").text)
    assert today["right first time"] == "56%"
    assert today["predicted recall"] == "\u2013"  # every card was seen today: no figure yet
    clock.advance(days=3)
    for question in questions[5:]:  # day 3: the four missed ones, right this time
        _answer(client, csrf, question, right=True)
    clock.advance(days=2)

    figures = client.get("/api/v1/progress").json()
    assert (figures["first_tries"], figures["first_try_correct"]) == (9, 5)
    assert figures["first_try_accuracy"] == pytest.approx(5 / 9)
    assert (figures["attempts"], figures["correct"]) == (13, 9)  # retries count here only
    cards = client.get("/account/export.json").json()["review_cards"]
    expected = _fsrs_recall(app.state.scheduler, cards, clock.now)
    assert figures["retention"] == pytest.approx(expected, abs=1e-12)
    assert figures["retention_cards"] == len(cards) == 9
    assert 0 < expected < 1

    page = client.get("/progress").text
    tiles = _tiles(page)
    assert tiles["right first time"] == "56%" and tiles["answers"] == "13"
    assert tiles["predicted recall"] == f"{min(99, round(100 * expected))}%"
    # No figure in this history is exactly 1 (the accuracy chart's axis does go to 100%).
    assert "100%" not in tiles.values() and 'class="chart-value">100%' not in page
    assert "5 of the 9 questions you have answered were right on your first try" in page
    assert "averaged over the 9 cards you last saw a day or more ago" in page

    states = {c["question_id"]: c for c in cards}
    for lesson in figures["lessons"]:
        ids = [q.id for q in app.state.content.questions.for_lesson(lesson["lesson"])]
        mastered = [
            i
            for i in ids
            if i in states
            and states[i]["state"] == State.Review
            and datetime.fromisoformat(states[i]["due"]) > clock.now
        ]
        assert lesson["mastered"] == len(mastered), lesson["lesson"]
        assert lesson["mastery"] == pytest.approx(len(mastered) / len(ids), abs=1e-4)
    assert sum(lesson["right_last_time"] for lesson in figures["lessons"]) == 9
