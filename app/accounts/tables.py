"""Tables of the accounts feature."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Integer
from sqlmodel import Field, SQLModel

__all__ = ["ApiToken", "Learner", "LearnerSession", "SignInFailure"]


def _when(*, index: bool = False, nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), index=index, nullable=nullable)


class Learner(SQLModel, table=True):
    """A guest (no username) or a registered learner; registering keeps the same row."""

    __tablename__ = "learner"

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=36, unique=True, index=True)
    username: str | None = Field(default=None, max_length=40, unique=True)
    password_hash: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_column=_when())


class LearnerSession(SQLModel, table=True):
    """A signed-in browser: its cookie carries a secret whose SHA-256 is kept here.

    Signing out deletes the row; changing the password deletes every row of the learner;
    deleting the account deletes them with it. A cookie whose row is gone is not signed in,
    in every process, at once.
    """

    __tablename__ = "learner_session"

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("learner.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    secret_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=_when())


class ApiToken(SQLModel, table=True):
    """A personal API token; only its SHA-256 is kept."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("learner.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    name: str = Field(max_length=60)
    prefix: str = Field(max_length=12)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=_when())
    last_used_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))


class SignInFailure(SQLModel, table=True):
    """One checked sign-in guess, for rate limiting across processes.

    Recorded before the password is checked (in the same transaction as the count that allowed
    it) and deleted again when the password was right, so concurrent guesses can never get
    past the limit between a count and its record."""

    __tablename__ = "sign_in_failure"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=40, index=True)
    client: str = Field(max_length=64, index=True)
    at: datetime = Field(sa_column=_when(index=True))
