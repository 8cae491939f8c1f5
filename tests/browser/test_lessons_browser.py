"""A learner in Chromium: a formula laid out, dark mode toggled, "next" followed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import live_server

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    with live_server(tmp_path / "data") as base:
        yield base


def test_deberta_lesson_math_dark_mode_and_next(
    browser: Any, base_url: str, artifacts: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto(f"{base_url}/lessons/deberta")
    assert page.locator("h1").inner_text().startswith("DeBERTa")

    formula = page.locator(".math-display math").first
    formula.scroll_into_view_if_needed()
    box = formula.bounding_box()
    assert box is not None and box["width"] > 20 and box["height"] > 10, box

    html = page.locator("html")
    light_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    toggle = page.locator("#theme-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert html.get_attribute("data-theme") == "dark"
    assert toggle.get_attribute("aria-pressed") == "true"
    dark_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark_background != light_background
    page.screenshot(path=str(artifacts / "deberta-dark.png"), full_page=False)

    page.locator("a[rel=next]").click()
    page.wait_for_url(f"{base_url}/lessons/cheat-sheet")
    assert page.locator("html").get_attribute("data-theme") == "dark"  # the choice is remembered
    page.screenshot(path=str(artifacts / "cheat-sheet-dark.png"), full_page=False)
    assert errors == []  # no CSP violations or script errors
    context.close()


def test_search_from_the_header_and_keyboard_skip_link(
    browser: Any, base_url: str, artifacts: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base_url}/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.bounding_box()["y"] >= 0  # visible when focused
    page.fill("#site-search", "disentangled")
    page.press("#site-search", "Enter")
    page.wait_for_url("**/search?q=disentangled")
    first = page.locator(".search-hit").first  # the glossary term, then the sections
    assert "disentangled attention" in first.inner_text()
    assert first.locator("mark").count() >= 1
    page.screenshot(path=str(artifacts / "search.png"), full_page=False)
    first.locator("a").click()
    page.wait_for_url("**/glossary#disentangled-attention")
    page.get_by_role("link", name=re.compile("DeBERTa.*Disentangled attention")).click()
    page.wait_for_url("**/lessons/deberta#disentangled-attention")
    page.close()


def test_api_docs_render_offline(browser: Any, base_url: str, artifacts: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base_url) else None)
    page.goto(f"{base_url}/docs")
    page.wait_for_selector(".opblock", timeout=15000)
    assert page.locator(".opblock").count() >= 5
    assert "Unable to render" not in page.content()
    page.screenshot(path=str(artifacts / "api-docs.png"))
    assert [url for url in outside if not url.startswith("data:")] == []
    page.close()
