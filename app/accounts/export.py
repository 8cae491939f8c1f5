"""Everything bertprep keeps about a learner, as one JSON document: accounts' own rows, and
the sections of each feature that keeps rows per learner (``LearnerData``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from app.accounts import repository as accounts
from app.accounts.learner_data import LearnerData, iso
from app.accounts.tables import Learner

__all__ = ["export_learner"]

FORMAT = "bertprep-export/1"


def export_learner(
    session: Session, *, learner: Learner | None, public_id: str, data: Sequence[LearnerData]
) -> dict[str, Any]:
    if learner is None or learner.id is None:
        document: dict[str, Any] = {
            "format": FORMAT,
            "learner": {"id": public_id, "username": None},
        }
        for owner in data:
            document.update(owner.export(session, None))
        document["api_tokens"] = []
        return document
    document = {
        "format": FORMAT,
        "learner": {
            "id": learner.public_id,
            "username": learner.username,
            "created_at": iso(learner.created_at),
        },
    }
    for owner in data:
        document.update(owner.export(session, learner.id))
    document["api_tokens"] = [
        {
            "id": t.id,
            "name": t.name,
            "prefix": t.prefix,
            "created_at": iso(t.created_at),
            "last_used_at": iso(t.last_used_at) if t.last_used_at else None,
            "revoked_at": iso(t.revoked_at) if t.revoked_at else None,
        }
        for t in accounts.tokens_of(session, learner=learner)
    ]
    return document
