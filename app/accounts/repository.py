"""Queries of the accounts feature. Keyword-only; absence that is an error raises NotFound."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Integer, String, delete, func, text, update
from sqlmodel import Session, col, select

from app.accounts.tables import ApiToken, Learner, LearnerSession, SignInFailure
from app.accounts.token_cache import CachedToken
from app.clock import as_utc, now
from app.errors import NotFound

__all__ = [
    "FailureCounts",
    "add_session",
    "add_token",
    "by_public_id",
    "by_username",
    "count_failures",
    "create_learner",
    "delete_learner",
    "end_session",
    "end_sessions",
    "forget_failure",
    "learner_for_token",
    "new_public_id",
    "record_failure",
    "revoke_token",
    "revoke_tokens",
    "signed_in",
    "tokens_of",
]


def new_public_id() -> str:
    return str(uuid.uuid4())


def by_public_id(session: Session, *, public_id: str) -> Learner | None:
    return session.exec(select(Learner).where(Learner.public_id == public_id)).first()


def by_username(session: Session, *, username: str) -> Learner | None:
    return session.exec(select(Learner).where(Learner.username == username.lower())).first()


def create_learner(
    session: Session,
    *,
    public_id: str,
    username: str | None = None,
    password_hash: str | None = None,
) -> Learner:
    learner = Learner(
        public_id=public_id,
        username=username.lower() if username else None,
        password_hash=password_hash,
        created_at=now(),
    )
    session.add(learner)
    session.flush()
    return learner


def delete_learner(session: Session, *, learner_id: int) -> None:
    """The learner's own rows: tokens, sessions, the learner (ON DELETE CASCADE, spelled out
    for safety). What other features keep is deleted first, by them."""
    for table in (ApiToken, LearnerSession):
        session.exec(delete(table).where(col(table.learner_id) == learner_id))
    session.exec(delete(Learner).where(col(Learner.id) == learner_id))


# --- browser sessions -----------------------------------------------------------------------


def add_session(session: Session, *, learner_id: int, secret_hash: str) -> LearnerSession:
    row = LearnerSession(learner_id=learner_id, secret_hash=secret_hash, created_at=now())
    session.add(row)
    session.flush()
    return row


def signed_in(
    session: Session, *, public_id: str, secret_hash: str
) -> tuple[Learner, LearnerSession] | None:
    """The learner and session row a signed-in cookie names, if that session is still live."""
    statement = (
        select(Learner, LearnerSession)
        .join(LearnerSession, col(LearnerSession.learner_id) == col(Learner.id))
        .where(Learner.public_id == public_id, LearnerSession.secret_hash == secret_hash)
    )
    row = session.exec(statement).first()
    return (row[0], row[1]) if row is not None else None


def end_session(session: Session, *, session_id: int) -> None:
    session.exec(delete(LearnerSession).where(col(LearnerSession.id) == session_id))


def end_sessions(session: Session, *, learner_id: int) -> None:
    """Every browser of this learner is signed out."""
    session.exec(delete(LearnerSession).where(col(LearnerSession.learner_id) == learner_id))


# --- tokens -------------------------------------------------------------------------------


def add_token(
    session: Session, *, learner: Learner, name: str, token_hash: str, prefix: str
) -> ApiToken:
    assert learner.id is not None
    token = ApiToken(
        learner_id=learner.id, name=name, token_hash=token_hash, prefix=prefix, created_at=now()
    )
    session.add(token)
    session.flush()
    return token


def revoke_tokens(session: Session, *, learner_id: int) -> None:
    """Every live token of this learner stops working."""
    session.exec(
        update(ApiToken)
        .where(col(ApiToken.learner_id) == learner_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=now())
    )


def tokens_of(session: Session, *, learner: Learner) -> list[ApiToken]:
    statement = (
        select(ApiToken).where(ApiToken.learner_id == learner.id).order_by(col(ApiToken.id).desc())
    )
    return list(session.exec(statement).all())


def revoke_token(session: Session, *, learner: Learner, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.learner_id != learner.id:
        raise NotFound(f"You have no API token with id {token_id}.")
    if token.revoked_at is None:
        token.revoked_at = now()
        session.add(token)
    return token


_TOKEN_LEARNER = text(
    "SELECT t.id AS token_id, t.last_used_at AS last_used_at, l.id AS learner_id, "
    "l.public_id AS public_id, l.username AS username, l.created_at AS created_at "
    "FROM api_token AS t JOIN learner AS l ON l.id = t.learner_id "
    "WHERE t.token_hash = :token_hash AND t.revoked_at IS NULL"
).columns(
    token_id=Integer,
    last_used_at=DateTime(timezone=True),
    learner_id=Integer,
    public_id=String,
    username=String,
    created_at=DateTime(timezone=True),
)


def learner_for_token(session: Session, *, token_hash: str) -> CachedToken | None:
    """A live token and its learner, in one query.

    On the path of every API call, so one prepared statement rather than two ORM loads."""
    row = session.execute(_TOKEN_LEARNER, {"token_hash": token_hash}).first()
    if row is None:
        return None
    return CachedToken(
        token_id=row.token_id,
        last_used_at=row.last_used_at,
        learner_id=row.learner_id,
        public_id=row.public_id,
        username=row.username,
        created_at=row.created_at,
    )


# --- sign-in rate limiting ----------------------------------------------------------------


def record_failure(session: Session, *, username: str, client: str) -> int:
    """Record a guess about to be checked; its id, to forget it if the guess was right."""
    row = SignInFailure(username=username.lower()[:40], client=client[:64], at=now())
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def forget_failure(session: Session, *, failure_id: int) -> None:
    session.exec(delete(SignInFailure).where(col(SignInFailure.id) == failure_id))


@dataclass(frozen=True)
class FailureCounts:
    """Failed guesses in the window: for this username from this client, for this username
    from anywhere, from this client for any username; and when the oldest of each was made."""

    pair: int
    username: int
    client: int
    oldest_pair: datetime | None
    oldest_username: datetime | None
    oldest_client: datetime | None


def count_failures(
    session: Session, *, username: str, client: str, window: timedelta
) -> FailureCounts:
    since = now() - window
    name, source = username.lower()[:40], client[:64]
    recent = col(SignInFailure.at) >= since

    def count(*where: Any) -> tuple[int, datetime | None]:
        total, oldest = session.exec(
            select(func.count(), func.min(SignInFailure.at)).where(recent, *where)
        ).one()
        return int(total), as_utc(oldest) if oldest is not None else None

    pair = count(SignInFailure.username == name, SignInFailure.client == source)
    by_name = count(SignInFailure.username == name)
    by_client = count(SignInFailure.client == source)
    return FailureCounts(pair[0], by_name[0], by_client[0], pair[1], by_name[1], by_client[1])
