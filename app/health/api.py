"""``/healthz``: the process answers. ``/readyz``: the database answers, is migrated, content is loaded."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.migrate import SchemaGate

__all__ = ["router"]

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    dialect: str
    schema_revision: str | None
    expected_revision: str | None
    lessons: int


@router.get("/healthz", summary="Liveness: the process is up")
async def healthz() -> Health:
    # On the event loop, touching nothing: it answers however busy the database side is.
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: database reachable and migrated, content loaded",
    responses={503: {"model": Readiness, "description": "Not ready; the body says which part"}},
)
def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    schema: SchemaGate = state.schema
    status = schema.check()  # looks again, so a migration made meanwhile is seen
    lessons = len(state.content)
    ready = status.current and lessons > 0
    body = Readiness(
        status="ready" if ready else "unavailable",
        database="ok" if status.current else status.message,
        dialect=status.dialect,
        schema_revision=status.revision,
        expected_revision=status.head,
        lessons=lessons,
    )
    headers = None if ready else {"Retry-After": "5"}
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503, headers=headers)
