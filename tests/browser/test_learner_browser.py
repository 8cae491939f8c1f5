"""A new learner in Chromium: lesson → quiz (one right, one wrong) → explanations → progress →
register → sign out and in → history kept → a review session driven by the keyboard."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.content import load_content
from app.content.questions import Question
from app.quiz.calculated import FORMULAS, draw
from tests.conftest import CONTENT_DIR
from tests.live import live_server

pytestmark = pytest.mark.browser

BANK = load_content(CONTENT_DIR, formulas=FORMULAS).questions


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    with live_server(tmp_path / "data") as base:
        yield base


def shown(page: Any) -> Question:
    """The question the page is showing."""
    question = BANK.get(page.locator("input[name=question_id]").input_value())
    assert question is not None
    return question


def answer(page: Any, *, right: bool) -> Question:
    """Answer the question on the page through its form, right or wrong on purpose."""
    question = shown(page)
    kind = question.type
    if kind in ("single", "multiple"):
        wanted = [o.id for o in question.options if o.correct == right]
        if kind == "single" or not right:
            wanted = wanted[:1]
        for option_id in wanted:
            page.check(f"input[value='{option_id}']")
    elif kind == "truefalse":
        value = question.answer_bool if right else not question.answer_bool
        page.check(f"input[name=value][value='{'true' if value else 'false'}']")
    elif kind == "numeric" and question.compute is not None:  # calculated: the page's seed
        expected = draw(question.compute, int(page.locator("input[name=seed]").input_value()))
        page.fill("#value", f"{expected.answer if right else 2 * expected.answer + 1:.10g}")
    elif kind == "numeric":
        assert question.answer_number is not None and question.tolerance is not None
        value = (
            question.answer_number
            if right
            else question.answer_number + 10 * question.tolerance + 1
        )
        page.fill("#value", f"{value:.10g}")
    elif kind == "order":
        ids = [o.id for o in question.options]
        for position, option_id in enumerate(ids if right else list(reversed(ids)), start=1):
            page.select_option(f"#pos_{option_id}", str(position))
    else:
        text = " ".join(k.keywords[0] for k in question.key_points) if right else "I am not sure."
        page.fill("textarea[name=text]", text)
        page.get_by_role("button", name="Check my answer").click()
        page.get_by_role("button", name=re.compile("Good" if right else "Again")).click()
        return question
    page.get_by_role("button", name="Submit answer").click()
    return question


def test_learner_journey(browser: Any, base_url: str, artifacts: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{base_url}/lessons/albert")
    page.get_by_role("link", name="Practise this lesson").click()
    page.wait_for_url(f"{base_url}/quiz/albert")

    for _ in range(50):  # an open answer's verdict is the judge's: start on a closed question
        if shown(page).type != "open":
            break
        page.reload()
    first = answer(page, right=True)
    page.wait_for_selector(".verdict")
    assert page.locator("#verdict").inner_text() == "Right"
    assert page.locator(".explanation").is_visible()
    page.get_by_role("link", name="Next question →").click()
    second = answer(page, right=False)
    page.wait_for_selector(".verdict")
    wrong = ("Not acceptable", "Unsure") if second.type == "open" else ("Not quite", "Partly right")
    assert page.locator("#verdict").inner_text() in wrong
    assert first.id != second.id
    page.screenshot(path=str(artifacts / "quiz-feedback.png"), full_page=True)

    page.goto(f"{base_url}/progress")
    tiles = page.locator(".stat-tiles").inner_text()
    assert "2\nanswers" in tiles and "50%\nright" in tiles
    assert page.locator("svg.chart").count() == 4

    page.goto(f"{base_url}/account")
    page.fill("#reg-username", "ada")
    page.fill("#reg-password", "correct horse battery")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/account\?welcome=1$"))
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{base_url}/progress")
    assert "0\nanswers" in page.locator(".stat-tiles").inner_text()
    page.goto(f"{base_url}/account")
    page.fill("#in-username", "ada")
    page.fill("#in-password", "correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/progress")
    assert "2\nanswers" in page.locator(".stat-tiles").inner_text()
    page.screenshot(path=str(artifacts / "progress.png"), full_page=True)

    page.goto(f"{base_url}/lessons/albert")  # review draws new cards from lessons opened
    page.goto(f"{base_url}/review")
    new_before = int(page.locator(".due-new strong").inner_text())
    prompt = page.locator("#prompt").inner_text()
    assert page.locator("[data-answer]").is_hidden()
    page.keyboard.press("Space")
    assert page.locator("[data-answer]").is_visible()
    page.screenshot(path=str(artifacts / "review.png"), full_page=True)
    with page.expect_navigation():
        page.keyboard.press("3")  # Good: the card leaves the queue for later
    assert int(page.locator(".due-new strong").inner_text()) == new_before - 1
    assert page.locator("#prompt").inner_text() != prompt
    page.keyboard.press("Space")
    with page.expect_navigation():
        page.keyboard.press("1")  # Again: it stays in learning
    assert int(page.locator(".due-new strong").inner_text()) == new_before - 2
    assert errors == []
    context.close()
