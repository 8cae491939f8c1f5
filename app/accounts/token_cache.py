"""Recently checked API tokens, kept for a few seconds in this process.

A script answering questions calls the API many times a second; looking its token up in the
database on every call cost more than the answer itself. An entry lives ``ttl`` seconds. Revoking
a token, changing the password or deleting the account forgets the entries at once in the process
that did it, which is every process when there is one. With several worker processes the app
builds the cache with ``ttl=0`` (nothing is kept): another process could otherwise accept a
revoked token for ``ttl`` seconds (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from app.accounts.tables import Learner

__all__ = ["CachedToken", "TokenCache"]


@dataclass(frozen=True, slots=True)
class CachedToken:
    """What the token query returned: enough to rebuild the learner without a query."""

    token_id: int
    last_used_at: datetime | None
    learner_id: int
    public_id: str
    username: str | None
    created_at: datetime
    # Built once per entry (a table model costs tens of microseconds to construct). Handlers
    # read it and pass it to queries by id; none attaches it to a session.
    learner: Learner = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        learner = Learner(
            id=self.learner_id,
            public_id=self.public_id,
            username=self.username,
            created_at=self.created_at,
        )
        object.__setattr__(self, "learner", learner)


class TokenCache:
    def __init__(
        self,
        *,
        ttl: float = 10.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[float, CachedToken]] = {}

    def get(self, token_hash: str) -> CachedToken | None:
        found = self._entries.get(token_hash)
        if found is None:
            return None
        expires, entry = found
        if self._clock() >= expires:
            del self._entries[token_hash]
            return None
        return entry

    def put(self, token_hash: str, entry: CachedToken) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # rare; a full sweep is simpler than LRU bookkeeping
        self._entries[token_hash] = (self._clock() + self.ttl, entry)

    def update(self, token_hash: str, entry: CachedToken) -> None:
        """Replace an entry's value, keeping when it expires."""
        found = self._entries.get(token_hash)
        if found is not None:
            self._entries[token_hash] = (found[0], entry)

    def forget_token(self, token_id: int) -> None:
        self._drop(lambda entry: entry.token_id == token_id)

    def forget_learner(self, learner_id: int) -> None:
        self._drop(lambda entry: entry.learner_id == learner_id)

    def _drop(self, matches: Callable[[CachedToken], bool]) -> None:
        for key in [k for k, (_, entry) in self._entries.items() if matches(entry)]:
            del self._entries[key]
