"""A three-question mock interview in Chromium against a live server with MiniLM: strong answers
typed into the textareas (the content's labelled samples), the clock ticking, Back and resend
refused with a way on, then the report with its verdicts and highlighted evidence; the same
report on a phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.interview.flow import strong
from tests.lab.needs import models_dir
from tests.live import live_server

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    env = {"BERTPREP_MODELS_DIR": str(models_dir())}
    with live_server(tmp_path / "data", extra_env=env) as base:
        yield base


def resend_and_go_back(page: Any, stale: Any) -> None:
    """The first answer is in: sending the stale copy of its form is refused with a way on,
    and so is going Back to it; then on to question 2."""
    stale.fill("textarea[name=text]", "A different answer, sent again.")
    stale.get_by_role("button", name=re.compile("^Send")).click()
    stale.wait_for_selector(".verdict")
    assert "already recorded" in stale.locator(".verdict").inner_text()
    stale.get_by_role("link", name=re.compile("Carry on")).click()
    assert "Question 2 of 3" in stale.locator(".breadcrumb").inner_text()
    stale.close()
    page.go_back()
    if page.locator("textarea[name=text]").count():  # a page restored from the cache: resend it
        page.get_by_role("button", name=re.compile("^Send")).click()
    page.wait_for_selector(".verdict")
    assert "already recorded" in page.locator(".verdict").inner_text()
    page.get_by_role("link", name=re.compile("Carry on")).click()
    page.wait_for_url(re.compile(r"/questions/2$"))


def test_a_mock_interview_to_its_report(browser: Any, base_url: str, artifacts: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{base_url}/")
    page.get_by_role("link", name="Interview", exact=True).click()
    page.wait_for_url(f"{base_url}/interview")
    assert "The real grader is not available" not in page.content()
    for box in page.locator("input[name=lessons]").all():
        if box.get_attribute("value") != "albert":
            box.uncheck()
    page.check("input[name=length][value='3']")
    page.get_by_role("button", name="Start the interview").click()
    page.wait_for_url(re.compile(r"/interview/\d+/questions/1$"))
    url = page.url.removesuffix("/questions/1")

    clock = page.locator("[data-elapsed]")
    shown = clock.inner_text()
    page.wait_for_function(
        "shown => document.querySelector('[data-elapsed]').textContent !== shown", arg=shown
    )  # the clock ticks (static/js/interview.js)
    asked = []
    for position in (1, 2, 3):
        assert f"Question {position} of 3" in page.locator(".breadcrumb").inner_text()
        question_id = page.locator("[data-question]").get_attribute("data-question")
        assert question_id is not None
        asked.append(question_id)
        page.fill("textarea[name=text]", strong(question_id))
        if position == 1:
            page.screenshot(path=str(artifacts / "interview-question.png"), full_page=True)
            stale = context.new_page()  # the same question left open in a second tab
            stale.goto(page.url)
        page.get_by_role("button", name=re.compile("^Send")).click()
        page.wait_for_url(re.compile(rf"/questions/{position + 1}$|/interview/\d+$"))
        if position == 1:
            resend_and_go_back(page, stale)

    page.wait_for_selector(".interview-report")
    assert len(set(asked)) == 3
    verdicts = page.locator(".interview-answer .verdict h2").all_inner_texts()
    assert [re.sub(r"^\d+\s*", "", v) for v in verdicts] == ["Acceptable"] * 3
    assert page.locator(".interview-evidence mark.hl-point").count() >= 3
    assert "A different answer, sent again." not in page.content()
    tiles = page.locator(".interview-tiles").inner_text()
    assert "100%" in tiles and "MiniLM" in tiles
    assert page.locator(".interview-reread a").count() == 3
    page.screenshot(path=str(artifacts / "interview-report.png"), full_page=True)

    phone = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    phone.add_cookies(context.cookies())
    small = phone.new_page()
    small.goto(url)
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the report is {width} px wide on a 390 px phone"
    small.screenshot(path=str(artifacts / "interview-report-phone.png"), full_page=True)
    phone.close()

    page.goto(f"{base_url}/progress")
    assert "Mock interviews" in page.content()
    assert page.locator(f"a[href='{url.removeprefix(base_url)}']").inner_text() == "Report"
    refused = "the server responded with a status of 409"  # the resend after Back, on purpose
    assert [e for e in errors if refused not in e] == []
    context.close()
