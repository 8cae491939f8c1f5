"""``/account``: register, sign in and out, change the password, API tokens, export, delete.

Every form has CSRF. Handlers are plain ``def``s: FastAPI reads the form on the event loop,
then runs the handler, with its database work and password hashing, in the thread pool.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.accounts import repository, service
from app.accounts.export import export_learner
from app.accounts.identity import (
    FormIdentity,
    Identity,
    PageIdentity,
    start_session,
    token_cache,
)
from app.accounts.learner_data import learner_data
from app.accounts.passwords import MAX_PASSWORD, MIN_PASSWORD, PASSWORD_RULES
from app.accounts.security import SessionClaims
from app.db import SessionDep
from app.errors import AppError, InvalidInput, RateLimited
from app.web import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
TOKEN_ID_MAX = 2**63 - 1


# What the forms state before submission and give the browser to check: the server's own rules.
SIGN_UP_RULES = {
    "username": service.USERNAME_RULES,
    "username_min": service.MIN_USERNAME,
    "username_max": service.MAX_USERNAME,
    "username_pattern": service.USERNAME_PATTERN,
    "password": PASSWORD_RULES,
    "password_min": MIN_PASSWORD,
    "password_max": MAX_PASSWORD,
}


def _account_page(
    request: Request,
    identity: Identity,
    session: Session,
    *,
    error: AppError | None = None,
    form_name: str | None = None,
    new_token: str | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    tokens = (
        repository.tokens_of(session, learner=identity.learner)
        if identity.registered and identity.learner
        else []
    )
    page = render(
        request,
        "accounts/account.html",
        {
            "identity": identity,
            "tokens": tokens,
            "error": error.message if error else None,
            "form_name": form_name,
            "new_token": new_token,
            "values": values or {},
            "rules": SIGN_UP_RULES,
        },
        status_code=error.status if error else status_code,
    )
    if isinstance(error, RateLimited):
        page.headers["Retry-After"] = str(error.retry_after)
    return page


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, identity: PageIdentity, session: SessionDep) -> HTMLResponse:
    return _account_page(request, identity, session)


@router.post("/account/register", response_class=HTMLResponse)
def register(
    request: Request,
    identity: FormIdentity,
    session: SessionDep,
    username: FormText = "",
    password: FormText = "",
) -> Response:
    try:
        signed_in = service.register(
            session, identity=identity, username=username, password=password, start_session=True
        )
    except AppError as exc:
        values = {"username": username}
        return _account_page(
            request, identity, session, error=exc, form_name="register", values=values
        )
    start_session(request, SessionClaims(signed_in.learner.public_id, signed_in.secret))
    return RedirectResponse("/account?welcome=1", status_code=303)


@router.post("/account/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    identity: FormIdentity,
    session: SessionDep,
    username: FormText = "",
    password: FormText = "",
) -> Response:
    try:
        signed_in = service.sign_in(
            session,
            identity=identity,
            username=username,
            password=password,
            client=_client(request),
            data=learner_data(request),
        )
    except AppError as exc:
        values = {"username": username}
        return _account_page(
            request, identity, session, error=exc, form_name="sign-in", values=values
        )
    start_session(request, SessionClaims(signed_in.learner.public_id, signed_in.secret))
    return RedirectResponse("/progress", status_code=303)


@router.post("/account/sign-out")
def sign_out(request: Request, identity: FormIdentity, session: SessionDep) -> RedirectResponse:
    service.sign_out(session, identity=identity)
    start_session(request, SessionClaims(repository.new_public_id()))
    return RedirectResponse("/account", status_code=303)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    identity: FormIdentity,
    session: SessionDep,
    current_password: FormText = "",
    new_password: FormText = "",
) -> Response:
    if not identity.registered or identity.learner is None:
        raise InvalidInput("Sign in first: only an account has a password.")
    learner = identity.learner
    try:
        signed_in = service.change_password(
            session,
            learner=learner,
            current=current_password,
            new=new_password,
            client=_client(request),
            keep_signed_in=True,
        )
    except AppError as exc:
        return _account_page(request, identity, session, error=exc, form_name="password")
    if learner.id is not None:
        token_cache(request).forget_learner(learner.id)
    start_session(request, SessionClaims(signed_in.learner.public_id, signed_in.secret))
    return RedirectResponse("/account?password=1", status_code=303)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(
    request: Request, identity: FormIdentity, session: SessionDep, name: FormText = ""
) -> HTMLResponse:
    if not identity.registered or identity.learner is None:
        raise InvalidInput("Create an account first: tokens belong to a registered learner.")
    secret, _token = service.create_token(session, learner=identity.learner, name=name)
    return _account_page(request, identity, session, new_token=secret, status_code=201)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=TOKEN_ID_MAX)],
    identity: FormIdentity,
    session: SessionDep,
    request: Request,
) -> RedirectResponse:
    if identity.learner is None:
        raise InvalidInput("You have no tokens.")
    service.revoke_token(session, learner=identity.learner, token_id=token_id)
    token_cache(request).forget_token(token_id)
    return RedirectResponse("/account", status_code=303)


@router.get("/account/export.json")
def export(request: Request, identity: PageIdentity, session: SessionDep) -> Response:
    document = export_learner(
        session,
        learner=identity.learner,
        public_id=identity.public_id,
        data=learner_data(request),
    )
    body = json.dumps(document, indent=2)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="bertprep-export.json"'},
    )


@router.post("/account/delete", response_class=HTMLResponse)
def delete(
    request: Request, identity: FormIdentity, session: SessionDep, confirm: FormText = ""
) -> Response:
    expected = identity.username or "delete"
    if confirm.strip().lower() != expected:
        problem = InvalidInput(f"Type '{expected}' to confirm that everything should be deleted.")
        return _account_page(request, identity, session, form_name="delete", error=problem)
    learner_id = service.delete_account(session, identity=identity, data=learner_data(request))
    if learner_id is not None:
        token_cache(request).forget_learner(learner_id)
    start_session(request, SessionClaims(repository.new_public_id()))
    return RedirectResponse("/account?deleted=1", status_code=303)
