"""Pieces every JSON API router shares: the problem+json schema for OpenAPI, and the Basic scheme
that only the token call uses (the Bearer scheme comes with the API identity dependency)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from app.pagination import LINK_HEADER

__all__ = ["BASIC_AUTH", "ProblemDetail", "install_problem_openapi", "problem_responses"]

BASIC_AUTH = "basicAuth"  # an operation declares it with openapi_extra={"security": ...}
_BASIC_SCHEME = {
    "type": "http",
    "scheme": "basic",
    "description": "Username and password: only to create a token (POST /api/v1/tokens).",
}


class ProblemDetail(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(default="about:blank", examples=["about:blank"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["There is no lesson called 'gpt'."])
    instance: str = Field(examples=["/api/v1/lessons/gpt"])
    errors: list[dict[str, Any]] | None = None


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not authenticated: send Authorization: Bearer <token>",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Request body too large",
    422: "Invalid input: the detail says what to fix",
    429: "Too many requests: retry after the Retry-After header",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries declaring problem+json bodies for these statuses."""
    schema = {"$ref": "#/components/schemas/ProblemDetail"}
    return {
        status: {
            "model": ProblemDetail,
            "description": _DESCRIPTIONS.get(status, "Error"),
            "content": {"application/problem+json": {"schema": schema}},
        }
        for status in statuses
    }


def install_problem_openapi(app: FastAPI) -> None:
    """Make the OpenAPI document say what the API really sends for validation errors.

    FastAPI documents every 422 as ``application/json`` ``HTTPValidationError``; our handler
    answers ``application/problem+json`` (see app/errors.py). Rewrite those entries once.
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        problem = {"$ref": "#/components/schemas/ProblemDetail"}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if "requestBody" in operation:  # a body that is not JSON at all
                    operation["responses"].setdefault(
                        "400",
                        {
                            "description": "The body is not valid JSON",
                            "content": {
                                "application/problem+json": {
                                    "schema": {"$ref": "#/components/schemas/ProblemDetail"}
                                }
                            },
                        },
                    )
                if any(p.get("name") == "limit" for p in operation.get("parameters", [])):
                    ok = operation["responses"].get("200", {})
                    ok.setdefault("headers", {})["Link"] = LINK_HEADER
                invalid = operation.get("responses", {}).get("422")
                if invalid is not None:
                    invalid["content"] = {"application/problem+json": {"schema": problem}}
                    invalid["description"] = _DESCRIPTIONS[422]
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes.setdefault(BASIC_AUTH, _BASIC_SCHEME)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ProblemDetail", ProblemDetail.model_json_schema())
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
