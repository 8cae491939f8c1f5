"""An in-memory SQLite FTS5 index over lesson sections, glossary terms and questions, built
once from the content index.

It lives in its own in-memory database, so it works the same whatever the main database is.
A query whose words all match is answered as typed. When a word matches nothing ("ALBRT"), it is
replaced by the closest indexed word (``app.search.spelling``) and those hits come back marked
``fuzzy``, after any exact ones; a query that is fine never gets fuzzy hits.
"""

from __future__ import annotations

import html
import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from app.content.glossary import Term
from app.content.index import Section
from app.content.mathtext import html_text
from app.content.questions import Question
from app.errors import InvalidInput
from app.search.spelling import Speller

__all__ = ["KINDS", "MAX_QUERY_LENGTH", "SearchHit", "SearchIndex", "query_terms", "to_fts_query"]

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
# Markers that cannot occur in content; swapped for <mark> after HTML-escaping the snippet.
_OPEN, _CLOSE = "\x02", "\x03"
_TERM = re.compile(r"\w+", re.UNICODE)


KINDS = ("section", "glossary", "question")


@dataclass(frozen=True)
class SearchHit:
    lesson_slug: str
    lesson_title: str
    anchor: str  # a section's anchor; a glossary term's id; a question's id
    heading: str
    snippet_html: str  # escaped text with <mark> around matches
    heading_html: str
    kind: str = "section"  # or "glossary", "question"
    fuzzy: bool = False  # found by a corrected spelling of the query

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.lesson_slug, self.anchor)

    @property
    def url(self) -> str:
        if self.kind == "glossary":
            return f"/glossary#{self.anchor}"
        if self.kind == "question":
            return f"/quiz/{self.lesson_slug}?question={self.anchor}"
        base = f"/lessons/{self.lesson_slug}"
        return f"{base}#{self.anchor}" if self.anchor else base


def _marked(text: str) -> str:
    return html.escape(text).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def query_terms(query: str) -> list[str]:
    """The words of ``query``, lowercased (at most MAX_TERMS). Raises InvalidInput."""
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
    return terms[:MAX_TERMS]


def to_fts_query(query: str) -> str:
    """User text to an FTS5 query: every word must match, as a prefix. Raises InvalidInput."""
    return _fts(query_terms(query))


def _fts(terms: list[str]) -> str:
    return " ".join(f'"{term}"*' for term in terms)


class SearchIndex:
    def __init__(
        self,
        sections: Iterable[Section],
        lesson_titles: dict[str, str],
        *,
        glossary: Iterable[Term] = (),
        questions: Iterable[Question] = (),
    ) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(
            "CREATE VIRTUAL TABLE sections USING fts5("
            "slug UNINDEXED, anchor UNINDEXED, lesson_title UNINDEXED, title UNINDEXED, "
            "kind UNINDEXED, heading, body, tokenize = 'porter unicode61')"
        )
        sections = list(sections)
        rows = _section_rows(sections, lesson_titles)
        rows += _glossary_rows(glossary)
        headings = {(s.lesson_slug, s.anchor): s.heading for s in sections}
        rows += _question_rows(questions, lesson_titles, headings)
        self._db.executemany("INSERT INTO sections VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        self._db.commit()
        self._speller = Speller([*lesson_titles.values(), *(f"{r[5]} {r[6]}" for r in rows)])

    def search(self, query: str, *, limit: int = 20) -> list[SearchHit]:
        """Hits for every word of ``query``, best first (BM25, headings weigh most); then, when a
        word matched nothing, the hits for its corrected spelling, marked ``fuzzy``."""
        terms = query_terms(query)
        hits = self._match(_fts(terms), limit)
        corrected = self._corrected(terms) if len(hits) < limit else None
        if corrected:
            seen = {hit.key for hit in hits}
            more = self._match(_fts(corrected), limit, fuzzy=True)
            hits += [hit for hit in more if hit.key not in seen][: limit - len(hits)]
        return _lesson_named_first(hits, "-".join(corrected or terms))

    def correction(self, query: str) -> str | None:
        """``query`` respelt so that every word matches something ("albrt" -> "albert"), or
        None when it needs no correction or none is close. Raises InvalidInput."""
        corrected = self._corrected(query_terms(query))
        return " ".join(corrected) if corrected else None

    def _corrected(self, terms: list[str]) -> list[str] | None:
        return self._speller.correct(terms, self._matches)

    def _matches(self, term: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM sections WHERE sections MATCH ? LIMIT 1", (_fts([term]),)
            ).fetchone()
        return row is not None

    def _match(self, fts: str, limit: int, *, fuzzy: bool = False) -> list[SearchHit]:
        sql = (
            "SELECT slug, anchor, lesson_title, title, kind, "
            f"snippet(sections, 6, '{_OPEN}', '{_CLOSE}', '…', 28), "
            f"highlight(sections, 5, '{_OPEN}', '{_CLOSE}') "
            "FROM sections WHERE sections MATCH ? "
            # Short question prompts would outscore the sections that teach: they count half.
            "ORDER BY bm25(sections, 0, 0, 0, 0, 0, 6.0, 1.0) "
            "* (CASE kind WHEN 'question' THEN 0.5 ELSE 1.0 END) LIMIT ?"
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
                heading_html=_heading_html(kind, anchor, heading, heading_marked),
                kind=kind,
                fuzzy=fuzzy,
            )
            for slug, anchor, title, heading, kind, snippet, heading_marked in rows
        ]


Row = tuple[str, str, str, str, str, str, str]


def _lesson_named_first(hits: list[SearchHit], slug: str) -> list[SearchHit]:
    """A query that names a lesson ("distilbert", "attention cost") gets that lesson first."""
    named = [h for h in hits if h.kind == "section" and not h.anchor and h.lesson_slug == slug]
    return named + [h for h in hits if h not in named]


def _section_rows(sections: Iterable[Section], lesson_titles: dict[str, str]) -> list[Row]:
    # A lesson's opening text has no heading of its own: its title is searched as body text,
    # so a word in the title does not outrank the section that is actually about it.
    return [
        (
            s.lesson_slug,
            s.anchor,
            lesson_titles[s.lesson_slug],
            s.heading,
            "section",
            s.heading if s.anchor else "",
            s.text if s.anchor else f"{s.heading}. {s.text}",
        )
        for s in sections
    ]


def _glossary_rows(glossary: Iterable[Term]) -> list[Row]:
    # A term is found by its name and aliases (as a heading) and its definition.
    return [
        (
            t.lesson_slug,
            t.id,
            "Glossary",
            t.term,
            "glossary",
            " ".join(t.spellings),
            f"{t.term}: {html_text(t.definition_html)}",  # the snippet marks the term too
        )
        for t in glossary
    ]


def _question_rows(
    questions: Iterable[Question],
    lesson_titles: dict[str, str],
    headings: dict[tuple[str, str], str],
) -> list[Row]:
    # A question by its prompt, never its answer; shown under the section it is about.
    return [
        (
            q.lesson,
            q.id,
            lesson_titles.get(q.lesson, q.lesson),
            headings.get((q.lesson, q.anchor), ""),
            "question",
            "",
            html_text(q.prompt_html),
        )
        for q in questions
    ]


def _heading_html(kind: str, anchor: str, heading: str, marked: str) -> str:
    """A section's heading marked where it matched; a term's name or a question's section as
    they are (a term's searched heading column also holds its aliases)."""
    return _marked(marked) if kind == "section" and anchor else html.escape(heading)
