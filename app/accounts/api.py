"""``/api/v1/accounts``, ``/api/v1/tokens``, ``/api/v1/me``."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field

from app.accounts import repository, service
from app.accounts.export import export_learner
from app.accounts.identity import ApiIdentity, token_cache
from app.accounts.learner_data import learner_data
from app.accounts.tables import ApiToken
from app.api import BASIC_AUTH, problem_responses
from app.clock import as_utc
from app.db import SessionDep
from app.errors import NotFound, Unauthorized
from app.pagination import Page, paging

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class AccountIn(BaseModel):
    username: str = Field(min_length=1, max_length=80, examples=["ada"])
    password: str = Field(min_length=1, max_length=1024, examples=["correct horse battery"])


class AccountOut(BaseModel):
    username: str
    created_at: datetime


class TokenIn(BaseModel):
    name: str = Field(default="API token", max_length=60, examples=["my script"])


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="the first characters of the token, to tell tokens apart")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        assert token.id is not None
        return cls(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            created_at=as_utc(token.created_at),
            last_used_at=as_utc(token.last_used_at) if token.last_used_at else None,
            revoked_at=as_utc(token.revoked_at) if token.revoked_at else None,
        )


class TokenCreated(TokenOut):
    token: str = Field(description="the secret; shown only in this response")


@router.post(
    "/accounts", status_code=201, summary="Create an account", responses=problem_responses(409, 422)
)
def create_account(body: AccountIn, session: SessionDep) -> AccountOut:
    learner = service.register(
        session, identity=None, username=body.username, password=body.password
    ).learner
    assert learner.username is not None
    return AccountOut(username=learner.username, created_at=as_utc(learner.created_at))


def _basic(request: Request) -> tuple[str, str]:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        raise Unauthorized(
            "Send your username and password with HTTP Basic authentication to create a token."
        )
    try:
        username, _, password = (
            base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized(
            "The Basic credentials are not valid base64 of 'username:password'."
        ) from None
    return username, password


@router.post(
    "/tokens",
    status_code=201,
    summary="Create a personal API token (HTTP Basic: username and password)",
    responses=problem_responses(401, 422, 429),
    openapi_extra={"security": [{BASIC_AUTH: []}]},
)
def create_token(
    request: Request, session: SessionDep, body: TokenIn | None = None
) -> TokenCreated:
    username, password = _basic(request)
    learner = service.authenticate(
        session, username=username, password=password, client=_client(request)
    )
    secret, token = service.create_token(session, learner=learner, name=(body or TokenIn()).name)
    return TokenCreated(**TokenOut.of(token).model_dump(), token=secret)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get(
    "/tokens", summary="My API tokens (never the secrets)", responses=problem_responses(401)
)
def list_tokens(
    identity: ApiIdentity,
    session: SessionDep,
    page: Annotated[Page, Depends(paging(what="tokens"))],
) -> list[TokenOut]:
    if identity.learner is None:
        return []
    tokens = repository.tokens_of(session, learner=identity.learner)
    return [TokenOut.of(t) for t in page.of(tokens)]


@router.delete(
    "/tokens/{token_id}",
    status_code=204,
    summary="Revoke one of my tokens",
    responses=problem_responses(401, 403, 404),
)
def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    identity: ApiIdentity,
    session: SessionDep,
    request: Request,
) -> Response:
    if identity.learner is None:
        raise NotFound(f"You have no API token with id {token_id}.")
    service.revoke_token(session, learner=identity.learner, token_id=token_id)
    token_cache(request).forget_token(token_id)
    return Response(status_code=204)


@router.get(
    "/me/export", summary="Everything bertprep keeps about me", responses=problem_responses(401)
)
def export_me(identity: ApiIdentity, session: SessionDep, request: Request) -> dict[str, Any]:
    return export_learner(
        session,
        learner=identity.learner,
        public_id=identity.public_id,
        data=learner_data(request),
    )


@router.delete(
    "/me",
    status_code=204,
    summary="Delete my account and all my data",
    responses=problem_responses(401, 403),
)
def delete_me(identity: ApiIdentity, session: SessionDep, request: Request) -> Response:
    learner_id = service.delete_account(session, identity=identity, data=learner_data(request))
    if learner_id is not None:
        token_cache(request).forget_learner(learner_id)
    return Response(status_code=204)


class PasswordIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024, examples=["lantern piano orbit"])


@router.put(
    "/me/password",
    status_code=204,
    summary="Change my password: every session and every token (this one too) ends",
    responses=problem_responses(401, 403, 422, 429),
)
def change_password(
    body: PasswordIn, identity: ApiIdentity, session: SessionDep, request: Request
) -> Response:
    learner = identity.learner
    if learner is None or learner.username is None:
        raise Unauthorized("Only an account has a password; sign in or use an account's token.")
    service.change_password(
        session,
        learner=learner,
        current=body.current_password,
        new=body.new_password,
        client=_client(request),
        keep_signed_in=False,
    )
    if learner.id is not None:
        token_cache(request).forget_learner(learner.id)
    return Response(status_code=204)
