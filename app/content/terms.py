"""Glossary links in lesson text: the first mention of each term becomes a link to its entry.

``markdown.py`` runs ``TermLinker.link`` over each paragraph's inline tokens after parsing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it.token import Token

__all__ = ["TermLinker"]


class TermLinker:
    """Links the first mention of each glossary term in a document to ``/glossary#<id>``.

    ``terms`` are (spelling, id, definition) triples. A spelling with a capital letter matches
    exactly ("MLM", "ALBERT"); one in lower case matches in any case ("attention mask"). Text in
    headings, links and code is left alone; longer spellings win ("byte-level BPE" over "BPE").
    """

    def __init__(self, terms: Sequence[tuple[str, str, str]]) -> None:
        self._by_spelling = {spelling.lower(): (spelling, id_, d) for spelling, id_, d in terms}
        spellings = sorted(self._by_spelling, key=len, reverse=True)
        alternatives = "|".join(re.escape(s) for s in spellings) or r"(?!x)x"
        self._pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)

    def link(self, children: list[Token], linked: set[str]) -> list[Token]:
        out: list[Token] = []
        depth = 0
        for child in children:
            if child.type == "link_open":
                depth += 1
            elif child.type == "link_close":
                depth -= 1
            if child.type != "text" or depth > 0:
                out.append(child)
                continue
            out.extend(self._split(child.content, linked))
        return out

    def _split(self, text: str, linked: set[str]) -> list[Token]:
        pieces: list[Token] = []
        start = 0
        for match in self._pattern.finditer(text):
            spelling, term_id, definition = self._by_spelling[match.group().lower()]
            if term_id in linked or (spelling != spelling.lower() and match.group() != spelling):
                continue
            linked.add(term_id)
            if match.start() > start:
                pieces.append(_text_token(text[start : match.start()]))
            opening = Token("link_open", "a", 1)
            opening.attrs = {
                "href": f"/glossary#{term_id}",
                "class": "glossary-link",
                "title": definition if len(definition) <= 200 else definition[:199] + "…",
            }
            pieces += [opening, _text_token(match.group()), Token("link_close", "a", -1)]
            start = match.end()
        if start < len(text) or not pieces:
            pieces.append(_text_token(text[start:]))
        return pieces


def _text_token(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token
