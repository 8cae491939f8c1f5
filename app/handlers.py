"""The exception handlers: every error becomes a response, in one place.

Under ``/api/`` every error is an RFC 9457 ``application/problem+json`` body; elsewhere it is the
``errors/<status>.html`` page (falling back to ``errors/error.html``) in the site's layout, saying
what happened and what to do next. The error classes are in ``app/errors.py``; ``create_app``
installs these handlers, and the body-limit middleware answers through ``app_error_response``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.errors import (
    AppError,
    BadRequest,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    Unavailable,
    wait_in_words,
)

__all__ = ["app_error_response", "install_error_handlers", "problem_response"]

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def wants_problem_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def problem_response(
    request: Request,
    *,
    status: int,
    detail: str,
    errors: Sequence[dict[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = list(errors)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def error_page(
    request: Request, *, status: int, detail: str, headers: Mapping[str, str] | None = None
) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    template = templates.env.select_template([f"errors/{status}.html", "errors/error.html"])
    retry_after = (headers or {}).get("Retry-After", "")
    context = {
        "status": status,
        "title": HTTPStatus(status).phrase,
        "detail": detail,
        "retry_in": wait_in_words(int(retry_after)) if retry_after.isdigit() else None,
        "back": _same_site_referrer(request),
    }
    response: Response = templates.TemplateResponse(
        request, str(template.name), context, status_code=status, headers=headers
    )
    return response


def _same_site_referrer(request: Request) -> str | None:
    """The page the visitor came from, for a "Go back" link: only one on this site, and only
    when it is not the address that just failed (no JavaScript: the CSP allows none inline)."""
    referrer = request.headers.get("referer", "")
    origin = f"{request.url.scheme}://{request.url.netloc}"
    if not referrer.startswith(origin + "/"):
        return None
    path = referrer[len(origin) :]
    return None if path.split("?")[0] == request.url.path else path


def _respond(
    request: Request,
    *,
    status: int,
    detail: str,
    errors: Sequence[dict[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    if wants_problem_json(request):
        return problem_response(
            request, status=status, detail=detail, errors=errors, headers=headers
        )
    return error_page(request, status=status, detail=detail, headers=headers)


async def app_error_response(request: Request, exc: AppError) -> Response:
    """The response for one of our errors: a problem document under ``/api/``, else a page."""
    headers: dict[str, str] | None = None
    if isinstance(exc, RateLimited | Unavailable):
        headers = {"Retry-After": str(exc.retry_after)}
    elif isinstance(exc, Unauthorized):
        headers = {"WWW-Authenticate": 'Bearer realm="bertprep"'}
    return _respond(
        request, status=exc.status, detail=exc.message, errors=exc.errors, headers=headers
    )


def _unreadable_body(request: Request, exc: StarletteHTTPException) -> AppError:
    """What FastAPI's "error parsing the body" (400) really was: a body over the limit, counted
    as it arrived (413), or one that is not the JSON or form it claims to be (400)."""
    cause = exc.__cause__
    if isinstance(cause, PayloadTooLarge):
        return cause
    if "json" in request.headers.get("content-type", ""):
        return BadRequest("The request body is not valid JSON (UTF-8).")
    return BadRequest(
        "The form could not be read: send it as application/x-www-form-urlencoded "
        "or multipart/form-data, or go back and submit it again."
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(part) for part in err.get("loc", ())], "msg": err.get("msg", "")}
        for err in exc.errors()
    ]


_PLACES = {"path": "in the address", "query": "in the query string", "body": "in the form"}


def _where(loc: Sequence[str]) -> str:
    """``["path", "interview_id"]`` -> "interview_id in the address"."""
    place, *names = loc
    return " ".join([".".join(names) or "the request", _PLACES.get(place, f"in the {place}")])


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """The methods of the resource at this path (FastAPI's 405 names only the first route's).

    Documented paths answer from the OpenAPI document; where both a fixed and a parameterised
    path match (``/reviews/due`` and ``/reviews/{question_id}``), the fixed one is the resource.
    Other paths ask the router, method by method.
    """
    path = request.url.path
    templates = [
        (template, operations)
        for template, operations in request.app.openapi().get("paths", {}).items()
        if re.fullmatch(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)), path)
    ]
    if templates:
        _, operations = min(templates, key=lambda item: item[0].count("{"))
        return sorted(method.upper() for method in operations)
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    ]


def install_error_handlers(app: FastAPI) -> None:
    async def on_app_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AppError)  # registered for AppError only
        return await app_error_response(request, exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        headers = dict(exc.headers or {})
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"There is nothing at {request.url.path}."
        if exc.status_code == 405:
            allowed = _allowed_methods(request)
            headers["Allow"] = ", ".join(allowed)
            detail = (
                f"{request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}."
            )
        if exc.status_code == 400 and "parsing the body" in detail:
            return await app_error_response(request, _unreadable_body(request, exc))
        return _respond(request, status=exc.status_code, detail=detail, headers=headers)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        not_json = [e for e in exc.errors() if e.get("type") == "json_invalid"]
        if not_json:  # the body is not JSON at all: nothing in it could be checked
            reason = not_json[0].get("ctx", {}).get("error", "")
            at = not_json[0].get("loc", ("body", 0))[-1]
            detail = f"The request body is not valid JSON: {reason} (at character {at})."
            return _respond(request, status=400, detail=detail)
        errors = _validation_errors(exc)
        if wants_problem_json(request):
            summary = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
        else:  # a page: name the part of the address or form a person can change
            summary = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in errors)
        return _respond(request, status=422, detail=f"Invalid request — {summary}", errors=errors)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _respond(request, status=500, detail="Something went wrong on our side.")

    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
