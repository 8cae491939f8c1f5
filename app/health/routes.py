"""``/healthz``: the process answers. ``/readyz``: the database answers, is migrated, content is loaded."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from app.db import ping
from app.migrate import current_revision

__all__ = ["router"]

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    schema_revision: str | None
    lessons: int


@router.get("/healthz", summary="Liveness: the process is up")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: database reachable and migrated, content loaded",
    responses={503: {"model": Readiness, "description": "Not ready; the body says which part"}},
)
def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    revision: str | None = None
    try:
        ping(state.engine)
        revision = current_revision(state.engine)
        database = (
            "ok"
            if revision == state.schema_head
            else (
                f"schema at {revision or 'empty'}, expected {state.schema_head}: run 'bertprep migrate'"
            )
        )
    except SQLAlchemyError as exc:
        database = f"unreachable: {type(exc).__name__}"
    lessons = len(state.content)
    ready = database == "ok" and lessons > 0
    body = Readiness(
        status="ready" if ready else "unavailable",
        database=database,
        schema_revision=revision,
        lessons=lessons,
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
