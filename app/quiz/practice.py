"""Practice sessions, pure: which questions a session asks, how far it has got, what its
summary says, and whether a resent answer is the same answer. No framework, no database:
``practice_repository.py`` stores sessions, ``practice_pages.py`` serves them."""

from __future__ import annotations

import random
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.errors import InvalidInput

__all__ = [
    "DEFAULT_LENGTH",
    "LENGTHS",
    "MAX_LENGTH",
    "Item",
    "Progress",
    "missed",
    "new_session_id",
    "parse_length",
    "parse_session_id",
    "plan",
    "progress",
    "same_response",
    "time_taken",
]

LENGTHS = (5, 10, 20)  # offered on the pages; any length from 1 to MAX_LENGTH is accepted
DEFAULT_LENGTH = 10
MAX_LENGTH = 100
_ID = re.compile(r"[A-Za-z0-9_-]{16}")


@dataclass(frozen=True)
class Item:
    """One position of a session answered (or skipped): what counted there."""

    position: int  # 0-based, into the session's question list
    question_id: str
    attempt_id: str | None  # None: skipped
    correct: bool
    score: float

    @property
    def skipped(self) -> bool:
        return self.attempt_id is None


@dataclass(frozen=True)
class Progress:
    """Where a session stands: ``done`` of ``total`` positions recorded."""

    total: int
    done: int
    right: int
    current: int | None  # the next position to ask (0-based), None when every one is done

    @property
    def finished(self) -> bool:
        return self.current is None

    @property
    def number(self) -> int:
        """The 1-based number of the question asked now (the last one when finished)."""
        return self.total if self.current is None else self.current + 1


def new_session_id() -> str:
    """A random, unguessable id for the URL (16 URL-safe characters, 96 bits)."""
    return secrets.token_urlsafe(12)


def parse_session_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise InvalidInput(
            "This form's practice session id is not one this site makes; start the session again."
        )
    return value


def parse_length(value: str | None, *, available: int) -> int:
    """The session length asked for (``DEFAULT_LENGTH`` when not given), capped at the number
    of questions there are."""
    if value is None or value == "":
        length = DEFAULT_LENGTH
    elif value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_LENGTH:
        length = int(value)
    else:
        raise InvalidInput(
            f"A practice session is 1 to {MAX_LENGTH} questions long, e.g. length=10; "
            f"got {value[:20]!r}."
        )
    return max(1, min(length, available))


def plan(
    pool: Sequence[str],
    *,
    length: int,
    latest: Mapping[str, tuple[bool, datetime]],
    due: Mapping[str, datetime],
    now: datetime,
    rng: random.Random,
    first: str | None = None,
) -> list[str]:
    """The questions of a session, in the order asked: ``first`` (the one already on the
    page), then unseen ones, then ones last answered wrong, then ones due for review (earliest
    first), then the rest, least recently answered first. ``latest``: each answered
    question's last result (correct, when); ``due``: each card's due time."""
    rest = [q for q in dict.fromkeys(pool) if q != first]
    unseen = [q for q in rest if q not in latest]
    weak = [q for q in rest if q in latest and not latest[q][0]]
    rng.shuffle(unseen)
    rng.shuffle(weak)
    known = [q for q in rest if q in latest and latest[q][0]]
    overdue = sorted((q for q in known if q in due and due[q] <= now), key=lambda q: due[q])
    others = sorted((q for q in known if q not in overdue), key=lambda q: latest[q][1])
    ordered = ([first] if first else []) + unseen + weak + overdue + others
    return ordered[:length]


def progress(questions: Sequence[str], items: Sequence[Item]) -> Progress:
    done = {item.position for item in items}
    current = next((i for i in range(len(questions)) if i not in done), None)
    right = sum(1 for item in items if item.correct)
    return Progress(len(questions), len(done), right, current)


def missed(questions: Sequence[str], items: Sequence[Item]) -> list[str]:
    """The questions answered wrong or skipped, in the session's order."""
    by_position = {item.position: item for item in items}
    return [
        q
        for i, q in enumerate(questions)
        if i in by_position and (by_position[i].skipped or not by_position[i].correct)
    ]


def time_taken(started: datetime, ended: datetime) -> str:
    """``12 min 5 s``, ``45 s``, ``1 h 3 min``: for the summary."""
    seconds = max(0, int((ended - started) / timedelta(seconds=1)))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s"
    return f"{seconds} s"


def same_response(kind: str, first: Mapping[str, Any], again: Mapping[str, Any]) -> bool:
    """Whether an answer resent with a stored attempt id is the answer stored (a reload or a
    double click) rather than a different one (Back, change, submit)."""
    if kind == "multiple":
        return sorted(map(str, first.get("choices") or [])) == sorted(
            map(str, again.get("choices") or [])
        )
    if kind == "open":
        return (str(first.get("text", "")).strip(), first.get("rating")) == (
            str(again.get("text", "")).strip(),
            again.get("rating"),
        )
    if kind == "numeric":
        return first.get("value") == again.get("value") and first.get("seed") == again.get("seed")
    return dict(first) == dict(again)
