"""``LearnerData``: what a feature that keeps rows per learner gives accounts (its export
sections, merging a guest into an account, deleting), so that accounts imports no feature.
``create_app`` lists them in ``app.state.learner_data``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from fastapi import Request
from sqlmodel import Session

from app.clock import as_utc

__all__ = ["LearnerData", "iso", "learner_data"]


class LearnerData(Protocol):
    def export(self, session: Session, learner_id: int | None) -> dict[str, list[dict[str, Any]]]:
        """This feature's sections of the export document, in order; ``learner_id`` None is a
        guest with no row yet (every section empty)."""
        ...

    def merge(self, session: Session, guest_id: int, into_id: int) -> None:
        """A guest signed in to an account: the guest's rows become the account's."""
        ...

    def delete(self, session: Session, learner_id: int) -> None:
        """The learner is being deleted: so are their rows."""
        ...


def iso(value: Any) -> Any:
    """A time as the export writes it (ISO 8601, UTC); anything else as it is."""
    return as_utc(value).isoformat() if hasattr(value, "isoformat") else value


def learner_data(request: Request) -> Sequence[LearnerData]:
    """The app's learner data owners (besides accounts' own tables)."""
    owners: Sequence[LearnerData] = request.app.state.learner_data
    return owners
