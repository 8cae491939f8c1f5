"""Pieces every JSON API router shares: the problem+json schema for OpenAPI."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["ProblemDetail", "problem_responses"]


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
