"""Account use cases: register, sign in and out, change the password, tokens, delete.

Every write goes through ``retry_on_conflict``, the one write path (``BEGIN IMMEDIATE`` and
retries on SQLite, advisory locks where PostgreSQL needs them). Password hashing and checking
(argon2, tens of milliseconds of CPU) always happen outside a write transaction. All of these
block: routes call them from the thread pool.

Sign-in limits (``FAILURE_WINDOW`` = 15 minutes): 5 wrong guesses for one username from one
client address; 50 for one username from anywhere (a slower global limit, so a distributed
guesser is stopped too, while one guesser cannot lock the owner out for 15 minutes); 20 from
one client for any usernames. A guess is counted *before* its password is checked, in the same
transaction as the count that let it through, and uncounted when it was right: parallel guesses
can never slip past the limit, and every checked wrong guess is counted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from app.accounts import repository
from app.accounts.identity import Identity
from app.accounts.learner_data import LearnerData
from app.accounts.passwords import password_problem
from app.accounts.security import (
    hash_password,
    hash_token,
    new_session_secret,
    new_token,
    verify_password,
)
from app.accounts.tables import ApiToken, Learner
from app.clock import now
from app.db import retry_on_conflict
from app.errors import Conflict, InvalidInput, NotFound, RateLimited, Unauthorized, wait_in_words

__all__ = [
    "FAILURE_WINDOW",
    "MAX_FAILURES_PER_CLIENT",
    "MAX_FAILURES_PER_PAIR",
    "MAX_FAILURES_PER_USERNAME",
    "MAX_USERNAME",
    "MIN_USERNAME",
    "USERNAME_PATTERN",
    "USERNAME_RULES",
    "SignedIn",
    "authenticate",
    "change_password",
    "create_token",
    "delete_account",
    "register",
    "revoke_token",
    "sign_in",
    "sign_out",
    "validate_credentials",
]

MIN_USERNAME, MAX_USERNAME = 3, 40
USERNAME = re.compile(rf"^[a-z0-9_.-]{{{MIN_USERNAME},{MAX_USERNAME}}}$")  # after strip, lower
USERNAME_RULES = f"{MIN_USERNAME} to {MAX_USERNAME} characters: letters, digits, '.', '_' or '-'"
# The same rule for the browser's ``pattern`` attribute (a JavaScript regex, compiled with the
# ``v`` flag, where ``-`` in a class needs its backslash): capitals too, as they are lowercased.
USERNAME_PATTERN = rf"[A-Za-z0-9_.\-]{{{MIN_USERNAME},{MAX_USERNAME}}}"
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_PAIR = 5  # one username, one client address
MAX_FAILURES_PER_USERNAME = 50  # one username, any address
MAX_FAILURES_PER_CLIENT = 20  # one address, any username


@dataclass(frozen=True)
class SignedIn:
    """A learner and the secret of the browser session just started for them (its cookie)."""

    learner: Learner
    secret: str


def _username(raw: str) -> str:
    return raw.strip().lower()


def validate_credentials(username: str, password: str) -> str:
    """The normalised username; InvalidInput saying what to change."""
    name = _username(username)
    if not USERNAME.fullmatch(name):
        raise InvalidInput(f"Usernames are {USERNAME_RULES}.")
    problem = password_problem(password, username=name)
    if problem:
        raise InvalidInput(problem)
    return name


def _start_session(session: Session, learner: Learner) -> str:
    assert learner.id is not None
    secret = new_session_secret()
    repository.add_session(session, learner_id=learner.id, secret_hash=hash_token(secret))
    return secret


def register(
    session: Session,
    *,
    identity: Identity | None,
    username: str,
    password: str,
    start_session: bool = False,
) -> SignedIn:
    """A new account; a guest's own row is upgraded in place, so their history stays theirs.

    With ``start_session`` the browser that registered is signed in with a new session (its
    guest cookie, and any copy of it, is then no longer anyone's key to the account)."""
    name = validate_credentials(username, password)
    password_hash = hash_password(password)

    def write() -> SignedIn:
        if repository.by_username(session, username=name) is not None:
            raise Conflict(f"The username '{name}' is taken; choose another.")
        learner = (
            repository.by_public_id(session, public_id=identity.public_id) if identity else None
        )
        if learner is not None and learner.username is not None:
            raise Conflict(
                f"You are signed in as '{learner.username}'. Sign out to create another account."
            )
        if learner is None:
            public_id = identity.public_id if identity is not None else repository.new_public_id()
            learner = repository.create_learner(session, public_id=public_id)
        learner.username = name
        learner.password_hash = password_hash
        session.add(learner)
        session.flush()
        secret = _start_session(session, learner) if start_session else ""
        session.commit()
        return SignedIn(learner, secret)

    return retry_on_conflict(session, write)


def _limit_reached(counts: repository.FailureCounts) -> datetime | None:
    """The oldest failure of the first limit reached (it frees a guess when it ages out)."""
    for count, limit, oldest in (
        (counts.pair, MAX_FAILURES_PER_PAIR, counts.oldest_pair),
        (counts.username, MAX_FAILURES_PER_USERNAME, counts.oldest_username),
        (counts.client, MAX_FAILURES_PER_CLIENT, counts.oldest_client),
    ):
        if count >= limit:
            return oldest or now()
    return None


def authenticate(session: Session, *, username: str, password: str, client: str) -> Learner:
    """The learner these credentials belong to; Unauthorized, or RateLimited past a limit."""
    name = _username(username)[:MAX_USERNAME]
    keys: Sequence[str] = (f"sign-in:name:{name}", f"sign-in:client:{client[:64]}")

    def count_and_record() -> tuple[int, Learner | None]:
        counts = repository.count_failures(
            session, username=name, client=client, window=FAILURE_WINDOW
        )
        oldest = _limit_reached(counts)
        if oldest is not None:
            wait = FAILURE_WINDOW - (now() - oldest)
            seconds = max(1, int(wait.total_seconds()) + 1)
            raise RateLimited(
                f"Too many failed sign-ins. Try again in {wait_in_words(seconds)}.",
                retry_after=seconds,
            )
        failure_id = repository.record_failure(session, username=name, client=client)
        learner = repository.by_username(session, username=name)
        session.commit()
        return failure_id, learner

    failure_id, learner = retry_on_conflict(session, count_and_record, serialize=keys)
    if learner is None or not verify_password(learner.password_hash, password):
        raise Unauthorized("Wrong username or password.")

    def forget() -> None:
        repository.forget_failure(session, failure_id=failure_id)
        session.commit()

    retry_on_conflict(session, forget)
    return learner


def sign_in(
    session: Session,
    *,
    identity: Identity,
    username: str,
    password: str,
    client: str,
    data: Sequence[LearnerData],
) -> SignedIn:
    """Authenticate and start a new browser session; a guest's history moves into the account
    (each of ``data`` moves its rows, then the guest's row goes)."""
    learner = authenticate(session, username=username, password=password, client=client)

    def write() -> SignedIn:
        guest = repository.by_public_id(session, public_id=identity.public_id)
        if guest is not None and guest.username is None and guest.id != learner.id:
            assert guest.id is not None and learner.id is not None
            for owner in data:
                owner.merge(session, guest.id, learner.id)
            repository.delete_learner(session, learner_id=guest.id)
        secret = _start_session(session, learner)
        session.commit()
        return SignedIn(learner, secret)

    return retry_on_conflict(session, write)


def sign_out(session: Session, *, identity: Identity) -> None:
    """End this browser's session (every copy of its cookie stops working)."""
    session_id = identity.session_id
    if session_id is None:
        return

    def write() -> None:
        repository.end_session(session, session_id=session_id)
        session.commit()

    retry_on_conflict(session, write)


def change_password(
    session: Session,
    *,
    learner: Learner,
    current: str,
    new: str,
    client: str,
    keep_signed_in: bool,
) -> SignedIn:
    """A new password; every session and every token of the learner ends with the old one.

    The current password is checked like a sign-in (the same limits). With ``keep_signed_in``
    the browser that asked gets a fresh session, so only the others are signed out."""
    assert learner.username is not None and learner.id is not None
    checked = authenticate(session, username=learner.username, password=current, client=client)
    name = validate_credentials(learner.username, new)
    if new == current:
        raise InvalidInput("The new password is the same as the current one.")
    password_hash = hash_password(new)
    learner_id = checked.id
    assert learner_id is not None

    def write() -> SignedIn:
        fresh = repository.by_username(session, username=name)
        if fresh is None or fresh.id != learner_id:
            raise NotFound("This account no longer exists.")
        fresh.password_hash = password_hash
        session.add(fresh)
        repository.end_sessions(session, learner_id=learner_id)
        repository.revoke_tokens(session, learner_id=learner_id)
        secret = _start_session(session, fresh) if keep_signed_in else ""
        session.commit()
        return SignedIn(fresh, secret)

    return retry_on_conflict(session, write)


def create_token(session: Session, *, learner: Learner, name: str) -> tuple[str, ApiToken]:
    """A new token: the secret is returned once, only its hash is stored."""
    label = name.strip()[:60] or "API token"
    secret = new_token()

    def write() -> ApiToken:
        token = repository.add_token(
            session, learner=learner, name=label, token_hash=hash_token(secret), prefix=secret[:10]
        )
        session.commit()
        return token

    return secret, retry_on_conflict(session, write)


def revoke_token(session: Session, *, learner: Learner, token_id: int) -> ApiToken:
    def write() -> ApiToken:
        token = repository.revoke_token(session, learner=learner, token_id=token_id)
        session.commit()
        return token

    return retry_on_conflict(session, write)


def delete_account(
    session: Session, *, identity: Identity, data: Sequence[LearnerData]
) -> int | None:
    """Delete the learner (account or guest history) and everything they own (what each of
    ``data`` keeps, then their own rows); their id."""
    learner = identity.learner
    if learner is None or learner.id is None:
        return None
    learner_id = learner.id

    def write() -> None:
        for owner in data:
            owner.delete(session, learner_id)
        repository.delete_learner(session, learner_id=learner_id)
        session.commit()

    retry_on_conflict(session, write)
    return learner.id
