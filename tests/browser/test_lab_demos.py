"""The lab's three demos in Chromium, each run from its form on /lab with the real MiniLM: the
tokens of four tokenizers, the cosine heat-map, and int8 against float32; then on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.lab.needs import models_dir
from tests.live import live_server

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    env = {"BERTPREP_MODELS_DIR": str(models_dir())}
    with live_server(tmp_path / "data", extra_env=env) as base:
        yield base


def test_each_demo_runs_from_the_lab_page(browser: Any, base_url: str, artifacts: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{base_url}/lab")
    page.fill("#tokenize-text", "Unbelievably naïve 😀")
    page.get_by_role("button", name="Tokenize").click()
    page.wait_for_url(f"{base_url}/lab/tokenize#tokenize")
    rows = page.locator("#tokenize .token-row")
    assert rows.count() == 4
    assert "WordPiece (MiniLM's own)" in rows.nth(0).inner_text()
    assert rows.nth(0).locator(".token-unknown").inner_text() == "[UNK]"
    assert rows.nth(2).locator(".token-unknown").count() == 0  # byte-level BPE knows every byte
    assert page.locator("#tokenize-text").input_value() == "Unbelievably naïve 😀"
    page.locator("#tokenize").screenshot(path=str(artifacts / "lab-demo-tokenize.png"))

    page.fill(
        "#similarity-sentences", "A cat sat on the mat.\nA cat was sitting on a rug.\nBonds fell."
    )
    page.get_by_role("button", name="Compare the sentences").click()
    page.wait_for_url(f"{base_url}/lab/similarity#similarity")
    cells = page.locator("table.heatmap td.heat")
    assert cells.count() == 9
    values = [float(v) for v in cells.all_inner_texts()]
    assert values[0] == values[4] == values[8] == 1.0
    assert values[1] == values[3] and values[1] > values[2]
    page.locator("#similarity").screenshot(path=str(artifacts / "lab-demo-similarity.png"))

    page.get_by_role("button", name="Quantize and compare").click()
    page.wait_for_url(f"{base_url}/lab/quantize#quantize")
    tiles = page.locator("#quantize .stat-tiles").inner_text()
    assert "smaller weights" in tiles and "lowest cosine" in tiles
    assert page.locator("#quantize table.demo-cosines tbody tr").count() == 2
    page.locator("#quantize").screenshot(path=str(artifacts / "lab-demo-quantize.png"))

    assert errors == []
    page.fill("#similarity-sentences", "only one")
    page.get_by_role("button", name="Compare the sentences").click()
    error = page.locator("#similarity-error")
    assert "at least 2 items" in error.inner_text()
    assert page.locator("#similarity-sentences").get_attribute("aria-invalid") == "true"

    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a phone"
    assert errors == [  # the 422 answer to the bad input, and nothing else
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]
    context.close()
