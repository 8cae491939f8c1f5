"""Due dates in words (``app.web.relative``): what a page says beside "Nothing due right now"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.web import relative

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (timedelta(seconds=40), "in under a minute"),  # not yet due: not "now"
        (timedelta(seconds=0.2), "now"),
        (timedelta(0), "now"),
        (timedelta(seconds=-30), "now"),
        (timedelta(minutes=1), "in 1 minute"),
        (timedelta(minutes=10), "in 10 minutes"),
        (timedelta(days=3), "in 3 days"),
        (timedelta(hours=-2), "2 hours ago"),
    ],
)
def test_relative_says_when(offset: timedelta, words: str) -> None:
    assert relative(NOW + offset, NOW) == words
