"""One exception hierarchy, one place that turns it into a response.

    AppError            500  base class; ``status`` and a human ``message``
    ├── BadRequest      400
    ├── Unauthorized    401  asks for a Bearer token (``WWW-Authenticate``)
    ├── Forbidden       403  e.g. a form without a valid CSRF token
    ├── NotFound        404
    ├── Conflict        409
    ├── PayloadTooLarge 413
    ├── InvalidInput    422
    ├── RateLimited     429  carries ``retry_after`` seconds
    └── Unavailable     503  over capacity, or the database cannot serve now; ``retry_after``

``wait_in_words(seconds)`` says a ``retry_after`` the way a page does: "30 seconds", "2 minutes".

Standard library only, so the pure cores (grading, scheduling, stats, the cost model) can raise
them without loading a web framework. ``app/handlers.py`` turns them into responses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "AppError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "Unauthorized",
    "Unavailable",
    "wait_in_words",
]


class AppError(Exception):
    status: int = 500
    title: str = "Internal Server Error"

    def __init__(self, message: str, *, errors: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errors = list(errors)


class BadRequest(AppError):
    status, title = 400, "Bad Request"


class Unauthorized(AppError):
    status, title = 401, "Unauthorized"


class Forbidden(AppError):
    status, title = 403, "Forbidden"


class NotFound(AppError):
    status, title = 404, "Not Found"


class Conflict(AppError):
    status, title = 409, "Conflict"


class PayloadTooLarge(AppError):
    status, title = 413, "Content Too Large"


class InvalidInput(AppError):
    status, title = 422, "Unprocessable Content"


class RateLimited(AppError):
    status, title = 429, "Too Many Requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(AppError):
    """The server cannot serve this now but will soon: it is over capacity, or the database is
    busy, unreachable or not migrated. Always answered fast, with ``Retry-After``."""

    status, title = 503, "Service Unavailable"

    def __init__(self, message: str, *, retry_after: int = 2) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def wait_in_words(seconds: int) -> str:
    """``30`` -> "30 seconds", ``150`` -> "3 minutes", ``9000`` -> "3 hours": seconds under two
    minutes, then whole units rounded up, so whoever comes back then is not refused again."""
    seconds = max(1, seconds)
    count, unit = seconds, "second"
    if seconds >= 2 * 3600:
        count, unit = -(-seconds // 3600), "hour"
    elif seconds >= 120:
        count, unit = -(-seconds // 60), "minute"
    return f"{count} {unit}{'s' if count != 1 else ''}"
