"""``/account``: register, sign in and out, API tokens, export, delete. Every form has CSRF."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.accounts import repository, service
from app.accounts.export import export_learner
from app.accounts.identity import (
    FormIdentity,
    Identity,
    PageIdentity,
    start_session,
    token_cache,
)
from app.accounts.security import SessionClaims
from app.db import SessionDep
from app.errors import AppError, InvalidInput
from app.web import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _account_page(
    request: Request,
    identity: Identity,
    session: Any,
    *,
    error: str | None = None,
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
    return render(
        request,
        "accounts/account.html",
        {
            "identity": identity,
            "tokens": tokens,
            "error": error,
            "form_name": form_name,
            "new_token": new_token,
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, identity: PageIdentity, session: SessionDep) -> HTMLResponse:
    return _account_page(request, identity, session)


async def _credentials(request: Request) -> tuple[str, str]:
    form = await request.form()
    return str(form.get("username") or ""), str(form.get("password") or "")


@router.post("/account/register", response_class=HTMLResponse)
async def register(request: Request, identity: FormIdentity, session: SessionDep) -> Response:
    username, password = await _credentials(request)
    try:
        # argon2 takes ~0.1 s of CPU: never on the event loop.
        learner = await run_in_threadpool(
            lambda: service.register(
                session, identity=identity, username=username, password=password
            )
        )
    except AppError as exc:
        return _account_page(
            request,
            identity,
            session,
            error=exc.message,
            form_name="register",
            status_code=exc.status,
            values={"username": username},
        )
    start_session(request, SessionClaims(learner.public_id, learner.session_version))
    return RedirectResponse("/account?welcome=1", status_code=303)


@router.post("/account/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, identity: FormIdentity, session: SessionDep) -> Response:
    username, password = await _credentials(request)
    client = request.client.host if request.client else "unknown"
    try:
        learner = await run_in_threadpool(
            lambda: service.sign_in(
                session, identity=identity, username=username, password=password, client=client
            )
        )
    except AppError as exc:
        headers = {"Retry-After": str(exc.retry_after)} if hasattr(exc, "retry_after") else None
        page = _account_page(
            request,
            identity,
            session,
            error=exc.message,
            form_name="sign-in",
            status_code=exc.status,
            values={"username": username},
        )
        if headers:
            page.headers.update(headers)
        return page
    start_session(request, SessionClaims(learner.public_id, learner.session_version))
    return RedirectResponse("/progress", status_code=303)


@router.post("/account/sign-out")
async def sign_out(request: Request, identity: FormIdentity) -> RedirectResponse:
    start_session(request, SessionClaims(repository.new_public_id(), 0))
    return RedirectResponse("/account", status_code=303)


@router.post("/account/tokens", response_class=HTMLResponse)
async def create_token(
    request: Request, identity: FormIdentity, session: SessionDep
) -> HTMLResponse:
    if not identity.registered or identity.learner is None:
        raise InvalidInput("Create an account first: tokens belong to a registered learner.")
    form = await request.form()
    secret, _token = service.create_token(
        session, learner=identity.learner, name=str(form.get("name") or "")
    )
    return _account_page(request, identity, session, new_token=secret, status_code=201)


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token(
    token_id: int, identity: FormIdentity, session: SessionDep, request: Request
) -> RedirectResponse:
    if identity.learner is None:
        raise InvalidInput("You have no tokens.")
    repository.revoke_token(session, learner=identity.learner, token_id=token_id)
    session.commit()
    token_cache(request).forget_token(token_id)
    return RedirectResponse("/account", status_code=303)


@router.get("/account/export.json")
def export(identity: PageIdentity, session: SessionDep) -> Response:
    body = json.dumps(
        export_learner(session, learner=identity.learner, public_id=identity.public_id), indent=2
    )
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="bertprep-export.json"'},
    )


@router.post("/account/delete", response_class=HTMLResponse)
async def delete(request: Request, identity: FormIdentity, session: SessionDep) -> Response:
    form = await request.form()
    expected = identity.username or "delete"
    if str(form.get("confirm") or "").strip().lower() != expected:
        return _account_page(
            request,
            identity,
            session,
            form_name="delete",
            status_code=422,
            error=f"Type '{expected}' to confirm that everything should be deleted.",
        )
    if identity.learner is not None:
        repository.delete_learner(session, learner=identity.learner)
        session.commit()
        if identity.learner.id is not None:
            token_cache(request).forget_learner(identity.learner.id)
    start_session(request, SessionClaims(repository.new_public_id(), 0))
    return RedirectResponse("/account?deleted=1", status_code=303)
