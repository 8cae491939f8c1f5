"""The two ASGI middlewares every request passes: security headers, and the request-body limit."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PayloadTooLarge
from app.handlers import app_error_response

__all__ = ["MAX_BODY_BYTES", "BodyLimit", "ResponseHeaders"]

Header = tuple[bytes, bytes]

# The Swagger UI page carries an inline bootstrap script; every other page runs only our files.
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_DOCS_CSP = _CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


class ResponseHeaders:
    """Pure ASGI middleware (cheap on the hot path): browser security headers on every response,
    and the header ``extra(scope)`` returns, if any (the session cookie when the request started a
    session: the accounts feature's ``session_cookie_header``)."""

    def __init__(self, app: ASGIApp, *, extra: Callable[[Scope], Header | None]) -> None:
        self.app, self.extra = app, extra

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = (_DOCS_CSP if scope["path"] == "/docs" else _CSP).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    *message.get("headers", []),
                    (b"content-security-policy", csp),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                cookie = self.extra(scope)
                if cookie is not None:
                    headers.append(cookie)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


MAX_BODY_BYTES = 64 * 1024  # the largest legitimate body is an open answer of 5,000 characters


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413: a problem document under ``/api/``,
    the site's error page elsewhere (``app_error_response``, as every other error).

    Declared sizes are refused before reading; undeclared (chunked) bodies are counted as they
    arrive and raise PayloadTooLarge, which the error handlers render. Added inside
    ``ResponseHeaders``, so its pages carry the same security headers as any other.
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.limit:
            refused = PayloadTooLarge(
                f"The request body is {int(declared):,} bytes; the limit is {self.limit:,}."
            )
            response = await app_error_response(Request(scope, receive), refused)
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise PayloadTooLarge(
                    f"The request body is over the limit of {self.limit:,} bytes."
                )
            return message

        await self.app(scope, counted, send)
