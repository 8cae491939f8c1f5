"""The one clock. Every moment the app stores or compares is timezone-aware UTC.

Standard library only, so any core can use it. (A test that needs to move time passes its own
clock to ``create_app``; ``now`` is the default.)
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["as_utc", "now"]


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; they are stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
