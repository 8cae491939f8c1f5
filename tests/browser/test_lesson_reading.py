"""Reading a lesson in Chromium: the contents follow the section in view (static/js/toc.js) and a
heading's "#" link copies its address, and is still a plain link without JavaScript."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import live_server

pytestmark = pytest.mark.browser

LESSON = "/lessons/attention-cost"


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    with live_server(tmp_path / "data") as base:
        yield base


def current(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all(
            ".toc a[aria-current=true]", "links => links.map(a => a.getAttribute('href'))"
        )
    )


def test_contents_follow_the_section_in_view(browser: Any, base_url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base_url}{LESSON}")
    anchors = page.eval_on_selector_all(
        ".lesson-body h2[id]", "hs => hs.map(h => h.id).filter(id => id !== 'sources')"
    )
    assert len(anchors) >= 3
    for anchor in (anchors[2], anchors[0], anchors[1]):  # down, back up, down again
        page.locator(f"h2#{anchor}").evaluate("h => h.scrollIntoView({block: 'start'})")
        page.wait_for_function(
            "href => document.querySelector('.toc a[aria-current=true]')?.getAttribute('href') === href",
            arg=f"#{anchor}",
        )
        assert current(page) == [f"#{anchor}"]  # one section at a time
    style = page.locator(f".toc a[href='#{anchors[1]}']").evaluate(
        "a => getComputedStyle(a).fontWeight"
    )
    assert int(style) >= 600
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function(  # a function, not a bare expression: the page's CSP forbids eval
        "href => document.querySelector('.toc a[aria-current=true]')?.getAttribute('href') === href",
        arg="#sources",
    )
    assert errors == []
    page.close()


def test_a_heading_link_copies_the_sections_address(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    page.goto(f"{base_url}{LESSON}")
    heading = page.locator(".lesson-body h2[id]").nth(1)
    anchor = heading.get_attribute("id")
    heading.hover()
    link = heading.locator("a.heading-anchor")
    assert link.get_attribute("href") == f"#{anchor}"
    link.click()
    note = heading.locator(".copy-note")
    note.wait_for()
    assert note.inner_text() == "Link copied" and note.get_attribute("role") == "status"
    assert page.evaluate("navigator.clipboard.readText()") == f"{base_url}{LESSON}#{anchor}"
    assert page.url == f"{base_url}{LESSON}#{anchor}"  # and it went there
    context.close()


def test_without_javascript_heading_links_are_plain_links(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}{LESSON}")
    heading = page.locator(".lesson-body h2[id]").nth(2)
    anchor = heading.get_attribute("id")
    link = heading.locator("a.heading-anchor")
    link.click()
    assert page.url.endswith(f"#{anchor}")
    assert page.locator(".toc a[aria-current]").count() == 0
    context.close()
