"""An in-memory SQLite FTS5 index over lesson sections, built once from the content index.

It lives in its own in-memory database, so it works the same whatever the main database is.
"""

from __future__ import annotations

import html
import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from app.content.index import Section
from app.errors import InvalidInput

__all__ = ["MAX_QUERY_LENGTH", "SearchHit", "SearchIndex", "to_fts_query"]

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
# Markers that cannot occur in content; swapped for <mark> after HTML-escaping the snippet.
_OPEN, _CLOSE = "\x02", "\x03"
_TERM = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchHit:
    lesson_slug: str
    lesson_title: str
    anchor: str
    heading: str
    snippet_html: str  # escaped text with <mark> around matches
    heading_html: str

    @property
    def url(self) -> str:
        base = f"/lessons/{self.lesson_slug}"
        return f"{base}#{self.anchor}" if self.anchor else base


def _marked(text: str) -> str:
    return html.escape(text).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def to_fts_query(query: str) -> str:
    """User text to an FTS5 query: every word must match, as a prefix. Raises InvalidInput."""
    stripped = query.strip()
    if not stripped:
        raise InvalidInput("Type something to search for, e.g. 'disentangled' or 'masking'.")
    if len(stripped) > MAX_QUERY_LENGTH:
        raise InvalidInput(
            f"That search is {len(stripped)} characters long; keep it under {MAX_QUERY_LENGTH}."
        )
    terms = _TERM.findall(stripped.lower())
    if not terms:
        raise InvalidInput("A search needs at least one letter or digit.")
    return " ".join(f'"{term}"*' for term in terms[:MAX_TERMS])


class SearchIndex:
    def __init__(self, sections: Iterable[Section], lesson_titles: dict[str, str]) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(
            "CREATE VIRTUAL TABLE sections USING fts5("
            "slug UNINDEXED, anchor UNINDEXED, lesson_title UNINDEXED, title UNINDEXED, "
            "heading, body, tokenize = 'porter unicode61')"
        )
        # A lesson's opening text has no heading of its own: its title is searched as body text,
        # so a word in the title does not outrank the section that is actually about it.
        self._db.executemany(
            "INSERT INTO sections VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    s.lesson_slug,
                    s.anchor,
                    lesson_titles[s.lesson_slug],
                    s.heading,
                    s.heading if s.anchor else "",
                    s.text if s.anchor else f"{s.heading}. {s.text}",
                )
                for s in sections
            ],
        )
        self._db.commit()

    def search(self, query: str, *, limit: int = 20) -> list[SearchHit]:
        """Sections matching every word of ``query``, best first (BM25, headings weigh most)."""
        fts = to_fts_query(query)
        sql = (
            "SELECT slug, anchor, lesson_title, title, "
            f"snippet(sections, 5, '{_OPEN}', '{_CLOSE}', '…', 28), "
            f"highlight(sections, 4, '{_OPEN}', '{_CLOSE}') "
            "FROM sections WHERE sections MATCH ? "
            "ORDER BY bm25(sections, 0, 0, 0, 0, 6.0, 1.0) LIMIT ?"
        )
        with self._lock:
            rows = self._db.execute(sql, (fts, limit)).fetchall()
        return [
            SearchHit(
                lesson_slug=slug,
                lesson_title=title,
                anchor=anchor,
                heading=heading,
                snippet_html=_marked(snippet),
                heading_html=_marked(heading_marked) if anchor else html.escape(heading),
            )
            for slug, anchor, title, heading, snippet, heading_marked in rows
        ]
