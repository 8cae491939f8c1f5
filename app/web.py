"""Templates and static assets shared by every feature."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app import __version__
from app.clock import as_utc
from app.config import PROJECT_ROOT
from app.content import ContentIndex

__all__ = [
    "STATIC_DIR",
    "TEMPLATES_DIR",
    "ContentDep",
    "PageCache",
    "asset_url_factory",
    "get_content",
    "make_templates",
    "render",
]

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def asset_url_factory(static_dir: Path, generated: dict[str, bytes]) -> Callable[[str], str]:
    """``static('css/app.css')`` -> ``/static/css/app.css?v=<hash>``: a new URL whenever it changes."""
    hashes = {name: _digest(data) for name, data in generated.items()}
    for path in static_dir.rglob("*"):
        if path.is_file():
            hashes[path.relative_to(static_dir).as_posix()] = _digest(path.read_bytes())

    def static(name: str) -> str:
        try:
            return f"/static/{name}?v={hashes[name]}"
        except KeyError:
            raise ValueError(f"no static asset named {name!r}") from None

    return static


def relative(moment: datetime, now: datetime) -> str:
    """'in 10 minutes', 'in 3 days', 'in under a minute', 'now', '2 hours ago' — for due dates
    on pages. A moment seconds ahead is not "now": a card due in 40 s is not in the queue yet."""
    moment = as_utc(moment)
    seconds = (moment - now).total_seconds()
    ahead, seconds = seconds >= 0, abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size)
            text = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {text}" if ahead else f"{text} ago"
    return "in under a minute" if ahead and seconds >= 1 else "now"


def make_templates(
    static: Callable[[str], str], *, csrf_token: Callable[..., str], debug: bool
) -> Jinja2Templates:
    """The Jinja environment every page renders with. ``csrf_token`` is the accounts feature's
    token function (templates call ``csrf_token(request)`` in forms)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        auto_reload=debug,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = static
    env.globals["csrf_token"] = csrf_token
    env.filters["relative"] = relative
    env.globals["version"] = __version__
    return Jinja2Templates(env=env)


class PageCache:
    """Rendered pages that depend on nothing but the immutable content, keyed by path.

    A lesson page is the same bytes for every visitor until the process restarts, so it is
    rendered on first request and served from memory afterwards. Anything per-visitor must not
    go through this cache. Disabled (``enabled=False``) in debug, where templates reload.
    """

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._pages: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self._pages.get(key)

    def put(self, key: str, html: str) -> bytes:
        body = html.encode("utf-8")
        if self.enabled:
            self._pages[key] = body
        return body


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render template ``name`` for this request with the app's Jinja environment."""
    templates: Jinja2Templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(
        request, name, context or {}, status_code=status_code, headers=headers
    )
    return response


async def get_content(request: Request) -> ContentIndex:
    """Async on purpose: a sync dependency costs a thread-pool hop on every request."""
    index: ContentIndex = request.app.state.content
    return index


ContentDep = Annotated[ContentIndex, Depends(get_content)]
