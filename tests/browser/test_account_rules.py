"""The sign-up form in Chromium: the rules are on screen before anything is sent, and the
browser's own checks (from the server's constants) refuse what the server would refuse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.accounts.service import USERNAME_RULES
from tests.live import live_server

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    with live_server(tmp_path / "data") as base:
        yield base


NAMES = {"Ada.Lovelace": True, "a_b-c": True, "ad a": False, "ädä": False, "ada!": False}


def test_the_browser_checks_the_username_as_the_server_does(browser: Any, base_url: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(base_url + "/account")
        assert page.get_by_text(USERNAME_RULES).first.is_visible()  # before any submission
        field = page.locator("#reg-username")
        for name, valid in NAMES.items():
            field.fill(name)
            mismatch = field.evaluate("input => input.validity.patternMismatch")
            assert mismatch is (not valid), name
    finally:
        page.close()
