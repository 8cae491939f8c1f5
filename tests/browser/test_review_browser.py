"""Review in Chromium, driven by the keyboard: the rating buttons say when each rating brings
the card back (fsrs' own intervals), and a calculated numeric card is answered in review, with
the rating its result suggests, and kept. The history is made through the real app."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fsrs import Card, Rating, Scheduler

from app.content import load_content
from app.quiz.calculated import FORMULAS, draw
from app.quiz.scheduling import format_interval
from tests.conftest import CONTENT_DIR, new_id
from tests.live import live_server
from tests.quiz.test_attempts_api import right_response

pytestmark = pytest.mark.browser

BANK = load_content(CONTENT_DIR, formulas=FORMULAS).questions
LESSON = "attention-cost"  # its second question is calculated, its first a single choice
SHOTS = Path("/work/note/shots")


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    with live_server(tmp_path / "data") as base:
        yield base


def _new_card_labels() -> dict[str, str]:
    """What fsrs itself gives a new card for each rating, fuzz off, formatted."""
    now = datetime.now(UTC)
    exact = Scheduler(enable_fuzzing=False)
    card = Card(card_id=1, due=now)
    return {
        str(int(r)): format_interval(exact.review_card(card, r, now)[0].due - now) for r in Rating
    }


def _met_the_lesson(page: Any, base_url: str) -> None:
    """A guest answers one question (their learner row), then opens the lesson."""
    page.goto(f"{base_url}/account")
    csrf = page.locator("input[name=csrf_token]").first.input_value()
    first = BANK.for_lesson(LESSON)[0]
    sent = page.request.post(
        f"{base_url}/api/v1/attempts",
        headers={"X-CSRF-Token": csrf},
        data={"attempt_id": new_id(), "question_id": first.id, "response": right_response(first)},
    )
    assert sent.status == 201, sent.text()
    page.goto(f"{base_url}/lessons/{LESSON}")
    for _ in range(50):  # the visit is written just after the page is sent
        if page.request.get(f"{base_url}/api/v1/reviews/due").json()["new"]:
            return
        time.sleep(0.05)
    raise AssertionError("the lesson visit was not recorded")


def _shot(page: Any, name: str, width: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"review-{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_review_labels_intervals_and_answers_a_numeric_card(
    browser: Any, base_url: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _met_the_lesson(page, base_url)
    calculated = BANK.for_lesson(LESSON)[1]

    page.goto(f"{base_url}/review")
    assert page.locator("input[name=question_id]").first.input_value() == calculated.id
    new_before = int(page.locator(".due-new strong").inner_text())
    assert page.locator("[data-answer]").is_hidden()
    page.keyboard.press("Space")
    assert page.locator("[data-answer]").is_visible()
    labels = {
        b.get_attribute("data-rating"): b.locator(".rating-interval").inner_text()
        for b in page.locator("[data-rating]").all()
    }
    assert labels == _new_card_labels()
    _shot(page, "flipped", width)

    page.goto(f"{base_url}/review")  # the same card again, with fresh values
    seed = int(page.locator("input[name=seed]").input_value())
    answer = draw(calculated.compute, seed).answer
    field = page.locator("#value")
    page.keyboard.type(f"{answer:.10g}")  # typing a number starts the answer in its field
    page.keyboard.press("1")  # typed into the field, not taken as a rating
    assert field.input_value() == f"{answer:.10g}1"
    page.keyboard.press("Backspace")
    _shot(page, "numeric-typed", width)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#verdict").inner_text() == "Right"
    suggested = page.locator("[data-suggested]")
    assert suggested.evaluate("el => el === document.activeElement")
    assert suggested.get_attribute("data-rating") in ("3", "4")  # right: Good, or Easy if quick
    _shot(page, "numeric-answered", width)
    with page.expect_navigation():
        page.keyboard.press("2")  # the learner's own choice: Hard
    assert int(page.locator(".due-new strong").inner_text()) == new_before - 1

    exported = page.request.get(f"{base_url}/account/export.json").json()
    kept = exported["attempts"][-1]
    assert kept["question_id"] == calculated.id and kept["correct"] is True
    assert kept["rating"] == 2 and kept["drawn"]["seed"] == seed
    assert exported["review_log"][-1]["source"] == "review"

    page.goto(f"{base_url}/progress")
    _shot(page, "progress", width)
    assert errors == []
    context.close()


def test_a_reader_who_arrives_on_a_lesson_finds_its_cards_in_review(
    browser: Any, base_url: str
) -> None:
    """A first page that is a lesson (a link from elsewhere, no cookie yet) counts as opened."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base_url}/lessons/{LESSON}")
    assert [c["name"] for c in context.cookies()] == ["bertprep_session"]
    for _ in range(50):  # the visit is written just after the page is sent
        due = page.request.get(f"{base_url}/api/v1/reviews/due").json()
        if due["new"]:
            break
        time.sleep(0.05)
    assert [i["question_id"] for i in due["queue"]] == [q.id for q in BANK.for_lesson(LESSON)]
    page.goto(f"{base_url}/review")
    assert "Nothing due right now" not in page.content()
    first = BANK.for_lesson(LESSON)[0]
    assert page.locator("input[name=question_id]").first.input_value() == first.id
    context.close()
