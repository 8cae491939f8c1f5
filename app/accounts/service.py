"""Account use cases: register, sign in, tokens. Each commits once."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session

from app.accounts import repository
from app.accounts.identity import Identity
from app.accounts.security import hash_password, hash_token, new_token, verify_password
from app.accounts.tables import ApiToken, Learner
from app.errors import Conflict, InvalidInput, RateLimited, Unauthorized

__all__ = [
    "FAILURE_WINDOW",
    "MAX_FAILURES_PER_CLIENT",
    "MAX_FAILURES_PER_USERNAME",
    "authenticate",
    "create_token",
    "register",
    "sign_in",
    "validate_credentials",
]

USERNAME = re.compile(r"^[a-z0-9_.-]{3,40}$")
MIN_PASSWORD, MAX_PASSWORD = 8, 256
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_CLIENT = 20


def validate_credentials(username: str, password: str) -> str:
    """The normalised username; InvalidInput saying what to change."""
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise InvalidInput("Usernames are 3-40 characters: letters, digits, '.', '_' or '-'.")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(f"Passwords are {MIN_PASSWORD} to {MAX_PASSWORD} characters long.")
    return name


def register(
    session: Session, *, identity: Identity | None, username: str, password: str
) -> Learner:
    """A new account; a guest's own row is upgraded in place, so their history stays theirs."""
    name = validate_credentials(username, password)
    if repository.by_username(session, username=name) is not None:
        raise Conflict(f"The username '{name}' is taken; choose another.")
    learner = identity.learner if identity is not None else None
    if learner is not None and learner.username is not None:
        raise Conflict(
            f"You are signed in as '{learner.username}'. Sign out to create another account."
        )
    if learner is None:
        public_id = identity.public_id if identity is not None else repository.new_public_id()
        learner = repository.create_learner(session, public_id=public_id)
    learner.username = name
    learner.password_hash = hash_password(password)
    session.add(learner)
    session.commit()
    return learner


def authenticate(session: Session, *, username: str, password: str, client: str) -> Learner:
    """The learner these credentials belong to. Failures are counted per username and client."""
    by_user, by_client, oldest = repository.count_failures(
        session, username=username, client=client, window=FAILURE_WINDOW
    )
    if by_user >= MAX_FAILURES_PER_USERNAME or by_client >= MAX_FAILURES_PER_CLIENT:
        retry = (
            FAILURE_WINDOW - (repository.now() - repository.as_utc(oldest))
            if oldest
            else FAILURE_WINDOW
        )
        seconds = max(1, int(retry.total_seconds()))
        raise RateLimited(
            f"Too many failed sign-ins. Try again in {seconds // 60 + 1} minutes.",
            retry_after=seconds,
        )
    learner = repository.by_username(session, username=username)
    if not verify_password(learner.password_hash if learner else None, password) or learner is None:
        repository.record_failure(session, username=username, client=client)
        session.commit()
        raise Unauthorized("Wrong username or password.")
    return learner


def sign_in(
    session: Session, *, identity: Identity, username: str, password: str, client: str
) -> Learner:
    """Authenticate; a guest's history (if any) moves into the account."""
    learner = authenticate(session, username=username, password=password, client=client)
    guest = identity.learner
    if guest is not None and guest.username is None and guest.id != learner.id:
        repository.merge_guest(session, guest=guest, into=learner)
    session.commit()
    return learner


def create_token(session: Session, *, learner: Learner, name: str) -> tuple[str, ApiToken]:
    """A new token: the secret is returned once, only its hash is stored."""
    label = name.strip()[:60] or "API token"
    secret = new_token()
    token = repository.add_token(
        session, learner=learner, name=label, token_hash=hash_token(secret), prefix=secret[:10]
    )
    session.commit()
    return secret, token
