"""A practice session in Chromium: pick its length on /quiz, answer five questions of whatever
type come up ("x of 5" on each page), read the summary's rows and links, then go again with
the ones missed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_learner_browser import BANK, answer, shown
from tests.live import live_server

pytestmark = pytest.mark.browser

RIGHT = ("Right", "Acceptable")


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    with live_server(tmp_path / "data") as base:
        yield base


def test_a_practice_session_to_its_summary_and_again(
    browser: Any, base_url: str, artifacts: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{base_url}/quiz")
    page.get_by_role("navigation", name="Session length").get_by_role("link", name="5").click()
    page.locator("a[href='/quiz/albert?length=5']").click()
    verdicts: list[tuple[str, str]] = []
    for number in range(1, 6):
        label = page.locator(".practice-progress-label")
        assert re.fullmatch(rf"Question {number} of 5( · \d right so far)?", label.inner_text())
        assert page.locator("progress").get_attribute("value") == str(number - 1)
        question = answer(page, right=number % 2 == 1)
        page.wait_for_selector(".verdict")
        assert (
            page.locator(".practice-progress-label")
            .inner_text()
            .startswith(f"Question {number} of 5")
        )
        assert page.locator("progress").get_attribute("value") == str(number)
        verdict = page.locator("#verdict").inner_text()
        verdicts.append((question.id, "right" if verdict in RIGHT else "missed"))
        next_label = "See the summary →" if number == 5 else "Next question →"
        page.get_by_role("link", name=next_label).click()
    page.wait_for_url(re.compile(r"/quiz/albert/s/[A-Za-z0-9_-]{16}/summary$"))

    rows = page.locator("tr.summary-row")
    assert rows.count() == 5
    for i, (question_id, result) in enumerate(verdicts):
        row = rows.nth(i)
        assert row.get_attribute("data-question") == question_id
        assert (row.get_attribute("data-result") == "right") == (result == "right")
        question = BANK.get(question_id)
        assert question is not None
        assert row.locator("a[data-section]").get_attribute("href") == question.lesson_url
    right = sum(1 for _, r in verdicts if r == "right")
    assert page.locator("#summary-title").inner_text() == f"Session done: {right} of 5 right"
    assert "Time taken" in page.locator("[data-time-taken]").inner_text()
    page.screenshot(path=str(artifacts / "practice-summary.png"), full_page=True)

    missed = [q for q, r in verdicts if r != "right"]
    assert missed, "every other answer was wrong on purpose"
    page.get_by_role("button", name=f"Again with the ones I missed ({len(missed)})").click()
    page.wait_for_url(re.compile(r"/quiz/albert/s/[A-Za-z0-9_-]{16}$"))
    assert page.locator(".practice-progress-label").inner_text() == f"Question 1 of {len(missed)}"
    assert shown(page).id == missed[0]
    assert errors == []
    context.close()


def test_back_and_a_different_answer_shows_the_first_result(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.goto(f"{base_url}/quiz/bert?length=3")
    for _ in range(50):  # a closed question: its verdict is the answer key's, not the judge's
        if shown(page).type != "open":
            break
        page.reload()
    first = answer(page, right=True)
    page.wait_for_selector(".verdict")
    assert page.locator("#verdict").inner_text() == "Right"
    page.go_back()  # Chromium shows the same form again, the same attempt id in it
    assert shown(page).id == first.id
    answer(page, right=False)
    page.wait_for_selector(".verdict")
    assert (
        "Already answered — your first answer counted"
        in page.locator("[data-resubmitted]").inner_text()
    )
    assert page.locator(".first-answer-label").inner_text().lower() == "result of your first answer"
    assert page.locator("#verdict").inner_text() == "Right"
    assert page.locator(".practice-progress-label").inner_text() == (
        "Question 1 of 3 · 1 right so far"
    )
    page.get_by_role("link", name="End here: summary").click()
    assert page.locator("tr.summary-row[data-result='right']").count() == 1
    assert page.locator("tr.summary-row[data-result='not reached']").count() == 2
    context.close()
