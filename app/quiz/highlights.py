"""Where the judge's evidence sits in the learner's own text: the clause that covered each key
point, and the one that stated a misconception, as segments a template marks up.

A pure core. The judge reports clauses with whitespace collapsed and list markers trimmed, so
each is found again in the original text word by word (any run of whitespace between words).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.quiz.judge import Judged

__all__ = ["Mark", "Segment", "highlight"]


@dataclass(frozen=True)
class Mark:
    kind: str  # "point" (covered a key point) or "misconception"
    id: str
    label: str  # the key point's or the misconception's text


@dataclass(frozen=True)
class Segment:
    text: str
    marks: tuple[Mark, ...] = field(default=())

    @property
    def kind(self) -> str:
        """ "misconception" if any mark is one, "point" if marked at all, else ""."""
        kinds = {m.kind for m in self.marks}
        return "misconception" if "misconception" in kinds else ("point" if kinds else "")

    @property
    def title(self) -> str:
        return "; ".join(
            ("Misconception: " if m.kind == "misconception" else "Covers: ") + m.label
            for m in self.marks
        )


def _span(text: str, clause: str) -> tuple[int, int] | None:
    words = clause.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    found = re.search(pattern, text)
    return (found.start(), found.end()) if found else None


def _marks(judged: Judged) -> Iterable[tuple[str, Mark]]:
    for point in judged.key_points:
        if point.covered and point.evidence:
            yield point.evidence, Mark("point", point.id, point.text)
    for wrong in judged.misconceptions:
        if wrong.evidence:
            yield wrong.evidence, Mark("misconception", wrong.id, wrong.text)


def highlight(text: str, judged: Judged) -> list[Segment]:
    """``text`` cut into segments, each with the marks of the evidence it belongs to."""
    spans: list[tuple[int, int, Mark]] = []
    for clause, mark in _marks(judged):
        span = _span(text, clause)
        if span:
            spans.append((*span, mark))
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    segments: list[Segment] = []
    for start, end in itertools.pairwise(cuts):
        marks = tuple(m for s, e, m in spans if s <= start and end <= e)
        if segments and segments[-1].marks == marks:  # join neighbours marked alike
            segments[-1] = Segment(segments[-1].text + text[start:end], marks)
        else:
            segments.append(Segment(text[start:end], marks))
    return segments
