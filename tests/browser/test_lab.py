"""A learner in Chromium: from a lesson into the lab, a prediction, a comparison at the tiny
preset, its table, charts and feedback; then the same page in dark mode and on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import live_server

pytestmark = pytest.mark.browser

# Fastest first: a guess, not the answer (the test checks the feedback, not the guess).
PREDICTION = {"distilbert": "1", "albert": "2", "bert": "3", "roberta": "4", "deberta": "5"}

# Records, just after the submit, what lab.js shows while the server runs (it survives the
# navigation to the results in sessionStorage).
WATCH_SUBMIT = """
document.querySelector("form[data-lab-form]").addEventListener("submit", function (event) {
  var form = event.target;
  setTimeout(function () {
    sessionStorage.setItem("lab-submit", JSON.stringify({
      disabled: form.querySelector("[data-run]").disabled,
      progress: !form.querySelector("[data-progress]").hidden,
      text: form.querySelector("[data-progress-text]").textContent
    }));
  }, 0);
});
"""


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    with live_server(tmp_path / "data") as base:
        yield base


def test_lesson_to_lab_prediction_and_results(browser: Any, base_url: str, artifacts: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{base_url}/lessons/albert")
    page.get_by_role("link", name="See it in the lab").click()
    page.wait_for_url(f"{base_url}/lab?preset=tiny&focus=albert")
    assert page.locator(".lab-weights-title").inner_text() == (
        "Random weights measure cost, not quality."
    )
    assert "ALBERT lesson" in page.locator(".lab-focus").inner_text()

    page.check("input[name=source][value=length]")
    page.fill("#lab-seq-len", "24")
    page.fill("#lab-runs", "2")
    estimate = page.locator("[data-lab-form] [data-estimate-text]").first
    assert estimate.inner_text().startswith("Estimated:")

    # A rank given twice is flagged at once; the server would refuse it too.
    page.select_option("#rank-bert", "1")
    page.select_option("#rank-roberta", "1")
    warning = page.locator("[data-rank-warning]")
    assert warning.is_visible() and "used twice" in warning.inner_text()
    for name, rank in PREDICTION.items():
        page.select_option(f"#rank-{name}", rank)
    assert warning.is_hidden()

    page.evaluate(WATCH_SUBMIT)
    page.get_by_role("button", name="Run the comparison").click()
    page.wait_for_selector("#results", timeout=30_000)
    submitted = page.evaluate("JSON.parse(sessionStorage.getItem('lab-submit'))")
    assert submitted["disabled"] and submitted["progress"], submitted
    assert submitted["text"].startswith("Running 5 models on the server: 0 s")

    feedback = page.locator(".lab-verdict-message").inner_text()
    assert feedback.startswith("You ordered") or feedback == "You predicted the order exactly."
    table = page.locator(".lab-table").first
    assert table.is_visible()
    for title in ("BERT", "RoBERTa", "DistilBERT", "ALBERT", "DeBERTa-v3"):
        assert table.locator("tbody th", has_text=title).count() >= 1
    assert table.locator("tr.is-focus").inner_text().startswith("ALBERT")
    charts = {
        "lab-latency": "Latency, median of the runs",
        "lab-modules": "Time per module",
        "lab-params": "Parameters by part",
    }
    for chart_id, title in charts.items():
        svg = page.locator(f"svg#{chart_id}")
        assert svg.is_visible()
        assert svg.locator("title").first.text_content() == title
        box = svg.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 120, box
    assert page.locator(".lab-explanations a[href^='/lessons/']").count() == 5
    page.screenshot(path=str(artifacts / "lab-results.png"), full_page=True)

    page.locator("#theme-toggle").click()
    assert page.locator("html").get_attribute("data-theme") == "dark"
    # Scrolled below the sticky header, which would cover an element screenshot's top.
    page.evaluate("window.scrollTo(0, document.querySelector('.lab-charts').offsetTop - 70)")
    page.screenshot(path=str(artifacts / "lab-charts-dark.png"))

    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a phone"
    page.evaluate("window.scrollTo(0, document.querySelector('#results').offsetTop)")
    page.screenshot(path=str(artifacts / "lab-phone-dark.png"))

    assert errors == []  # no CSP violations or script errors
    context.close()
