"""Every page on a 390 by 844 phone: nothing scrolls the page sideways, and a table too wide for
the screen scrolls inside its container with its first column pinned.

Each page is its own test (the id names it), so a failure says which page overflowed and which
elements stick out past the right edge.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.content import load_content
from app.quiz.calculated import FORMULAS
from tests.browser.test_learner_browser import answer
from tests.conftest import CONTENT_DIR
from tests.live import live_server

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
CONTENT = load_content(CONTENT_DIR, formulas=FORMULAS)
LESSONS = [lesson.slug for lesson in CONTENT.lessons]
PAGES = [
    "/",
    "/lessons",
    *(f"/lessons/{slug}" for slug in LESSONS),
    "/glossary",
    "/search?q=bert",
    "/search?q=distilbrt",
    "/search?q=" + "supercalifragilistic" * 5,  # one long word echoed back
    "/quiz",
    "/quiz/bert",
    "/review",
    "/progress",
    "/interview",
    "/lab",
    "/account",
    "/docs",
    "/no-such-page",
    "/lessons/" + "no-such-lesson" * 6,  # a 404 that echoes a long slug
]

# What sticks out past the right edge (and is not inside something that scrolls or clips), and
# every table wider than its box: is it in a scroll container, is its first column pinned?
MEASURE = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });  // "The numbers" too
  const width = window.innerWidth, out = [], tables = [];
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const contained = el => {  // an absolute box may escape its scrolling ancestor: report it
    if (['absolute', 'fixed'].includes(getComputedStyle(el).position)) return false;
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (p === document.body) return false;
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(p).overflowX)
          && p.getBoundingClientRect().right <= width + 1) return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1 && !contained(el)) out.push(name(el) + ' ends at ' + Math.round(box.right));
  }
  for (const table of document.querySelectorAll('table')) {
    const wrap = table.closest('.table-wrap, .table-scroll');
    const box = table.getBoundingClientRect();
    if (!wrap || wrap.scrollWidth <= wrap.clientWidth + 1) {
      if (box.width > width) tables.push({table: name(table), wrapped: !!wrap});
      continue;
    }
    const cell = table.querySelector('tbody tr > :first-child') || table.querySelector('tr > :first-child');
    wrap.scrollLeft = wrap.scrollWidth;  // scrolled to the far right, the label is still in view
    const shift = Math.abs(cell.getBoundingClientRect().left - wrap.getBoundingClientRect().left);
    wrap.scrollLeft = 0;
    tables.push({table: name(table), wrapped: true, wide: true,
                 sticky: getComputedStyle(cell).position === 'sticky', shift: shift});
  }
  return {scrollWidth: document.documentElement.scrollWidth, width: width, out: out.slice(0, 10), tables: tables};
}"""


def assert_fits(page: Any, label: str) -> list[dict[str, Any]]:
    """The page at ``label`` fits the phone's width; returns what it found about its tables."""
    found = page.evaluate(MEASURE)
    assert found["width"] == PHONE["width"]
    assert found["scrollWidth"] <= found["width"], (
        f"{label} scrolls sideways: {found['scrollWidth']} px wide; sticking out: {found['out']}"
    )
    for table in found["tables"]:
        assert table["wrapped"], f"{label}: {table['table']} is wider than the phone, unwrapped"
        if table.get("wide"):
            assert table["sticky"], f"{label}: {table['table']} scrolls but its first column moves"
            assert table["shift"] <= 2, f"{label}: {table['table']} first column left view"
    return list(found["tables"])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(tmp_path_factory.mktemp("phone") / "data") as base:
        yield base


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, color_scheme="light")
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.mark.parametrize("path", PAGES, ids=PAGES)
def test_page_fits_a_phone(phone: Any, base_url: str, path: str) -> None:
    response = phone.goto(f"{base_url}{path}")
    assert response is not None and response.status in (200, 404)
    if path == "/docs":
        phone.wait_for_selector(".opblock", timeout=15_000)
    assert_fits(phone, path)


def test_lesson_tables_scroll_with_their_first_column_pinned(phone: Any, base_url: str) -> None:
    """The check above is not vacuous: some lesson tables are wider than a phone."""
    wide = []
    for slug in LESSONS:
        phone.goto(f"{base_url}/lessons/{slug}")
        wide += [t for t in assert_fits(phone, f"/lessons/{slug}") if t.get("wide")]
    assert len(wide) >= 3, wide


def test_pages_with_data_fit_a_phone(phone: Any, base_url: str, artifacts: Path) -> None:
    """Progress, the account's tokens, a mock interview's report and the lab's results, once
    there is something to show."""
    phone.goto(f"{base_url}/quiz/albert")
    answer(phone, right=False)
    phone.wait_for_selector(".verdict")
    assert_fits(phone, "/quiz/albert feedback")
    single = next(q for q in CONTENT.questions.for_lesson("bert") if q.type == "single")
    phone.goto(f"{base_url}/quiz/bert?question={single.id}")
    answer(phone, right=True)  # a right choice carries two tags: "correct answer", "your choice"
    phone.wait_for_selector(".verdict")
    assert_fits(phone, "/quiz/bert feedback, answered right")
    phone.goto(f"{base_url}/progress")
    assert_fits(phone, "/progress with answers")

    phone.goto(f"{base_url}/account")
    phone.fill("#reg-username", "phone")
    phone.fill("#reg-password", "correct horse battery")
    phone.get_by_role("button", name="Create account").click()
    phone.wait_for_url(re.compile(r"/account\?welcome=1$"))
    phone.fill("#token-name", "a rather long token name for a flashcard script")
    phone.get_by_role("button", name="Create token").click()
    phone.wait_for_selector("#new-token")
    assert_fits(phone, "/account with a token")

    phone.goto(f"{base_url}/interview")
    for box in phone.locator("input[name=lessons]").all():
        if box.get_attribute("value") != "albert":
            box.uncheck()
    phone.check("input[name=length][value='3']")
    phone.get_by_role("button", name="Start the interview").click()
    for position in (1, 2, 3):
        phone.wait_for_url(re.compile(rf"/questions/{position}$"))
        assert_fits(phone, f"/interview question {position}")
        phone.fill("textarea[name=text]", "I am not sure.")
        phone.get_by_role("button", name=re.compile("^Send")).click()
    phone.wait_for_selector(".interview-report")
    assert_fits(phone, "/interview report")

    phone.goto(f"{base_url}/lab?preset=tiny&focus=albert")
    phone.check("input[name=source][value=length]")
    phone.fill("#lab-seq-len", "16")
    phone.fill("#lab-runs", "1")
    phone.get_by_role("button", name="Run the comparison").click()
    phone.wait_for_selector("#results", timeout=60_000)
    tables = assert_fits(phone, "/lab results")
    assert any(t.get("wide") for t in tables), tables  # the results table scrolls, pinned
    phone.screenshot(path=str(artifacts / "phone-lab-results.png"), full_page=True)
