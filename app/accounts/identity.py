"""Who is asking: a session cookie (guests and signed-in learners) or an API token.

Every visitor of a page that needs a learner gets a guest identity and a signed cookie at once;
the learner row is written the first time they save something (``ensure_learner``), so crawlers
reading lessons leave nothing behind. A guest's cookie names their public id. A signed-in
browser's cookie also carries the secret of its ``learner_session`` row, and is signed in only
while that row exists: signing out, changing the password or deleting the account ends it in
every process at once. A guest cookie that names what has since become an account (a copy
taken before registering, say) is not signed in: its visitor starts over as a new guest.

The cookie is written by the app's response-header middleware from
``request.state.session_cookie``: handlers stay free to return any response. Looking a visitor
up is database work: ``page_identity`` is a plain ``def`` (FastAPI runs it in the thread pool)
and ``api_identity`` hands its lookups to the thread pool (``run_with_session``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from sqlalchemy import inspect
from sqlmodel import Session
from starlette.types import Scope

from app.accounts import repository
from app.accounts.security import SESSION_COOKIE, SESSION_MAX_AGE, SessionClaims, Signer, hash_token
from app.accounts.tables import ApiToken, Learner
from app.accounts.token_cache import CachedToken, TokenCache
from app.clock import as_utc, now
from app.db import SessionDep, retry_on_conflict, run_with_session
from app.errors import Forbidden, Unauthorized

__all__ = [
    "ApiIdentity",
    "FormIdentity",
    "Identity",
    "PageIdentity",
    "TokenAuth",
    "api_identity",
    "csrf_token_for",
    "ensure_learner",
    "require_csrf",
    "session_cookie_header",
    "start_guest",
    "start_session",
    "token_cache",
]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass
class Identity:
    public_id: str
    learner: Learner | None  # None: a guest who has not saved anything yet
    via: str  # "session" or "token"
    session_id: int | None = None  # the learner_session row of a signed-in browser

    @property
    def registered(self) -> bool:
        return self.learner is not None and self.learner.username is not None

    @property
    def username(self) -> str | None:
        return self.learner.username if self.learner is not None else None

    @property
    def csrf_subject(self) -> str:
        """What this visitor's CSRF token is derived from: a new session means a new token."""
        return self.public_id if self.session_id is None else f"{self.public_id}:{self.session_id}"


def _signer(request: Request) -> Signer:
    signer: Signer = request.app.state.signer
    return signer


def start_session(request: Request, claims: SessionClaims) -> None:
    """Send a new session cookie with this response."""
    request.state.session_cookie = _signer(request).session(claims)


def start_guest(request: Request) -> str:
    """Give a cookie-less visitor a new guest session, without reading or writing the database
    (the row is made when they first save something); returns the cookie's value."""
    start_session(request, SessionClaims(repository.new_public_id()))
    value: str = request.state.session_cookie
    return value


def _from_cookie(request: Request, session: Session) -> Identity | None:
    """The visitor the cookie names, or None when there is no valid, live session in it."""
    claims = _signer(request).read_session(request.cookies.get(SESSION_COOKIE))
    if claims is None:
        return None
    if claims.secret is not None:
        found = repository.signed_in(
            session, public_id=claims.public_id, secret_hash=hash_token(claims.secret)
        )
        if found is None:
            return None  # signed out, password changed, or account deleted
        account, browser = found
        return Identity(claims.public_id, account, "session", browser.id)
    guest = repository.by_public_id(session, public_id=claims.public_id)
    if guest is not None and guest.username is not None:
        return None  # a guest cookie for what is now an account is nobody's key to it
    return Identity(claims.public_id, guest, "session")


def page_identity(request: Request, session: SessionDep) -> Identity:
    """The visitor of a page: from the cookie, or a brand-new guest with a fresh cookie."""
    identity = _from_cookie(request, session)
    if identity is None:
        identity = Identity(repository.new_public_id(), None, "session")
        start_session(request, SessionClaims(identity.public_id))
    request.state.identity = identity
    return identity


async def api_identity(request: Request) -> Identity:
    """The caller of the JSON API: a Bearer token, or a browser session with a CSRF header.

    A script's token is usually in the token cache: the answer call then reads nothing before
    its write, and does not leave the event loop to find out who is calling. Lookups run in a
    worker thread (``run_with_session``)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return await _from_token(request, hash_token(credentials.strip()))
    identity = await run_with_session(request, lambda session: _from_cookie(request, session))
    if identity is None:
        raise Unauthorized(
            "Send 'Authorization: Bearer <token>' (create one on /account or with "
            "POST /api/v1/tokens), or call from a signed-in browser session."
        )
    if request.method not in SAFE_METHODS and not _signer(request).csrf_ok(
        identity.csrf_subject, request.headers.get("x-csrf-token")
    ):
        raise Forbidden(
            "A browser session must send the X-CSRF-Token header; scripts should use a Bearer token."
        )
    return identity


async def _from_token(request: Request, token_hash: str) -> Identity:
    cache = token_cache(request)
    found = cache.get(token_hash)
    if found is None:
        found = await run_with_session(request, lambda session: _looked_up(session, token_hash))
        cache.put(token_hash, found)  # a hit never extends the entry: revocations get through
    moment = now()
    last = found.last_used_at
    if last is None or moment - as_utc(last) >= TOKEN_TOUCH_INTERVAL:
        token_id = found.token_id
        await run_with_session(request, lambda session: _touch(session, token_id, moment))
        cache.update(token_hash, replace(found, last_used_at=moment))
    return Identity(found.public_id, found.learner, "token")


def _looked_up(session: Session, token_hash: str) -> CachedToken:
    found = repository.learner_for_token(session, token_hash=token_hash)
    if found is None:
        raise Unauthorized("That API token is not valid or has been revoked.")
    return found


def _touch(session: Session, token_id: int, moment: datetime) -> None:
    """Record when a token was last used, to the minute: one write a minute, not one a call."""

    def write() -> None:
        fresh = session.get(ApiToken, token_id)
        if fresh is not None:
            fresh.last_used_at = moment
            session.add(fresh)
        session.commit()

    retry_on_conflict(session, write)


def token_cache(request: Request) -> TokenCache:
    cache: TokenCache = request.app.state.token_cache
    return cache


def csrf_token_for(request: Request) -> str:
    """The CSRF token for the current page's visitor (used by templates in every form)."""
    identity: Identity | None = getattr(request.state, "identity", None)
    return _signer(request).csrf_token(identity.csrf_subject) if identity else ""


async def require_csrf(
    request: Request, identity: Annotated[Identity, Depends(page_identity)]
) -> Identity:
    """Refuse a form POST that does not carry this visitor's CSRF token (403)."""
    form = await request.form()
    if not _signer(request).csrf_ok(identity.csrf_subject, str(form.get("csrf_token") or "")):
        raise Forbidden(
            "This form expired or did not come from this site. Go back, reload the page and try again."
        )
    return identity


def ensure_learner(session: Session, identity: Identity) -> Learner:
    """The learner row, created for a guest the first time they save something.

    After a rolled-back write the row may be gone again (or made meanwhile by a concurrent
    request of the same guest): look it up before creating it.
    """
    learner = identity.learner
    if learner is not None and (identity.via == "token" or inspect(learner).persistent):
        return learner  # a token's learner was just read from the database
    learner = repository.by_public_id(session, public_id=identity.public_id)
    if learner is None:
        learner = repository.create_learner(session, public_id=identity.public_id)
    identity.learner = learner
    return learner


class TokenAuth(SecurityBase):
    """``api_identity`` as FastAPI's security dependency: every operation that needs a caller
    then declares the Bearer scheme in OpenAPI (``/docs`` gets its Authorize button, and "Try it
    out" sends the token). The same single dependency as before, so the answer call pays
    nothing for it."""

    def __init__(self) -> None:
        self.scheme_name = "bearerAuth"
        self.model = HTTPBearerModel(
            bearerFormat="bp_…",
            description=(
                "A personal API token: make one with POST /api/v1/tokens (HTTP Basic) or on "
                "/account, then send `Authorization: Bearer <token>`. A signed-in browser "
                "session works too; its changes must send `X-CSRF-Token`."
            ),
        )

    async def __call__(self, request: Request) -> Identity:
        return await api_identity(request)


PageIdentity = Annotated[Identity, Depends(page_identity)]
ApiIdentity = Annotated[Identity, Depends(TokenAuth())]
FormIdentity = Annotated[Identity, Depends(require_csrf)]


def session_cookie_header(scope: Scope) -> tuple[bytes, bytes] | None:
    """The Set-Cookie header for a session started during this request, if one was."""
    value = scope.get("state", {}).get("session_cookie")
    if not value:
        return None
    cookie = f"{SESSION_COOKIE}={value}; Path=/; Max-Age={SESSION_MAX_AGE}; HttpOnly; SameSite=Lax"
    if scope.get("scheme") == "https":
        cookie += "; Secure"
    return b"set-cookie", cookie.encode()
