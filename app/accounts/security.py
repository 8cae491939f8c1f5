"""Secrets: password hashes (argon2), API tokens (only their SHA-256 is stored), signed session
cookies (itsdangerous) and CSRF tokens. No web framework and no database here."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer

__all__ = [
    "SESSION_COOKIE",
    "SESSION_MAX_AGE",
    "TOKEN_PREFIX",
    "SessionClaims",
    "Signer",
    "hash_password",
    "hash_token",
    "new_session_secret",
    "new_token",
    "verify_password",
]

SESSION_COOKIE = "bertprep_session"
SESSION_MAX_AGE = 180 * 24 * 3600  # a guest's progress should outlive a semester
TOKEN_PREFIX = "bp_"

_HASHER = PasswordHasher()
# Verifying against this when the username is unknown keeps the timing of both cases alike.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")
# Each argon2 call runs its own native threads (parallelism 4) at full tilt for tens of
# milliseconds. A class signing up at once would start dozens of them together, and the event
# loop's thread would then get a sliver of the CPU. At most one call per core runs at a time;
# the others wait in their worker threads.
_ARGON2_AT_ONCE = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


def hash_password(password: str) -> str:
    with _ARGON2_AT_ONCE:
        return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        with _ARGON2_AT_ONCE:
            matched = _HASHER.verify(password_hash or _DUMMY_HASH, password)
        return matched and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A personal API token: shown once, never stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SessionClaims:
    """What a session cookie says: the visitor's public id and, once signed in, the secret of
    their ``learner_session`` row (a guest's cookie carries none)."""

    public_id: str
    secret: str | None = None


def new_session_secret() -> str:
    return secrets.token_urlsafe(32)


class Signer:
    """Signs session cookies and derives CSRF tokens from the app's secret key."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="bertprep-session")
        self._csrf_key = hashlib.sha256(("csrf:" + secret_key).encode()).digest()

    def session(self, claims: SessionClaims) -> str:
        data = {"id": claims.public_id}
        if claims.secret is not None:
            data["s"] = claims.secret
        return self._serializer.dumps(data)

    def read_session(self, cookie: str | None) -> SessionClaims | None:
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            return None
        secret = data.get("s")
        return SessionClaims(data["id"], secret if isinstance(secret, str) else None)

    def csrf_token(self, subject: str) -> str:
        """The CSRF token of a session (``Identity.csrf_subject``): a new session, a new token."""
        return hmac.new(self._csrf_key, subject.encode(), hashlib.sha256).hexdigest()[:40]

    def csrf_ok(self, subject: str, token: str | None) -> bool:
        if not token:
            return False
        # compare_digest refuses non-ASCII str; anything a client sends compares as bytes.
        sent = str(token).encode("utf-8", "surrogatepass")
        return hmac.compare_digest(self.csrf_token(subject).encode(), sent)
