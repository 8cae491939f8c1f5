"""Spelling correction for search: the indexed word closest to a word that matches nothing.

Edits allowed grow with the word's length, as in Elasticsearch's ``fuzziness: AUTO``: none under
three letters, one up to five, two beyond. A transposition counts as one edit (optimal string
alignment distance, from rapidfuzz). Among equally close words the most frequent wins.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

__all__ = ["Speller", "max_edits"]

_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)


def max_edits(word: str) -> int:
    return 0 if len(word) < 3 else 1 if len(word) <= 5 else 2


class Speller:
    def __init__(self, texts: Iterable[str]) -> None:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(_WORD.findall(text.lower()))
        self._counts = counts
        self._words = list(counts)

    def closest(self, word: str) -> tuple[str, int] | None:
        """The indexed word nearest ``word`` and its distance, or None when none is close."""
        limit = max_edits(word)
        if not limit:
            return None
        found = process.extract(
            word, self._words, scorer=OSA.distance, score_cutoff=limit, limit=None
        )
        if not found:
            return None
        best = min(distance for _, distance, _ in found)
        nearest = [w for w, distance, _ in found if distance == best]
        return max(nearest, key=lambda w: (self._counts[w], w)), int(best)

    def correct(self, terms: list[str], known: Callable[[str], bool]) -> list[str] | None:
        """``terms`` with each unknown one replaced by its closest word (two unknown neighbours
        may be one word split in two: "sentance piece"); None when nothing changed or an unknown
        term has no close word."""
        out: list[str] = []
        changed, i = False, 0
        while i < len(terms):
            term = terms[i]
            if known(term):
                out.append(term)
                i += 1
                continue
            single = self.closest(term)
            joined = self.closest(term + terms[i + 1]) if i + 1 < len(terms) else None
            if joined and (single is None or joined[1] <= single[1]):
                out.append(joined[0])
                i += 2
            elif single:
                out.append(single[0])
                i += 1
            else:
                return None
            changed = True
        return out if changed else None
