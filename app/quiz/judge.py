"""Judging an open answer with a sentence encoder: coverage and evidence from similarity, the
claim's direction from cues an embedding cannot see.

A pure core: the caller hands in ``embed`` (texts -> unit vectors, all-MiniLM-L6-v2 in the app),
so this module needs no model files and no web framework.

1. The answer is split into sentences, and sentences into clauses at ";", "but", "whereas",
   "although" and "while".
2. Each key point is scored by its best-matching clause (cosine). It is covered when that is at
   least the threshold and the clause does not contradict it: an explicit negation on one side
   only ("ALBERT is not faster" against "ALBERT is faster"), an opposite direction ("lower"
   against "about equal", "slower" against "faster"), or numbers that differ from the key
   point's.
3. A clause closer to a misconception than to any key point, and not negating it, makes the
   answer unacceptable; it is reported with the misconception's correction.
4. An answer whose clauses are all far from the key points and the reference is off-topic.

Verdict: ``not_acceptable`` for off-topic, a misconception, a contradicted or missing essential
key point, or too little covered; ``acceptable`` when enough is covered (all essential points
included) with nothing wrong; ``unsure`` when coverage is between the two, or a key point is
covered only near the threshold. Unsure never counts as accepted.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.content.questions import KeyPoint, Question

__all__ = [
    "Embed",
    "Evidence",
    "Judged",
    "Thresholds",
    "clauses",
    "contradicts",
    "judge",
    "thresholds_for",
]

Vectors = NDArray[np.float32]
Embed = Callable[[Sequence[str]], Vectors]  # texts -> [n, d] unit-length rows


@dataclass(frozen=True)
class Thresholds:
    cover: float = 0.45  # a key point is covered by a clause at least this similar
    margin: float = 0.05  # ... and only "unsure" within this of the threshold
    misconception: float = 0.7  # a clause at least this close to a misconception states it
    contradict: float = 0.55  # a clause this close that says the opposite rejects the answer
    off_topic: float = 0.3  # below this for every key point and the reference: off-topic
    accept_share: float = 0.5  # share of key points covered for "acceptable"
    reject_share: float = 0.25  # below this share: "not_acceptable"
    # A key point also matches its closest sentence of the reference (bench/grader.py at 0.45:
    # 105 of 148 agree instead of 98, but 10 wrong answers accepted instead of 4).
    anchors: bool = False
    windows: bool = False  # also score pairs of neighbouring clauses (bench/grader.py: more
    # paraphrases found, more wrong answers accepted)


@dataclass(frozen=True)
class Evidence:
    id: str
    text: str
    covered: bool
    similarity: float
    evidence: str  # the clause that matched best ("" when none)
    contradicted: bool = False


@dataclass(frozen=True)
class MisconceptionHit:
    id: str
    text: str
    correction: str
    similarity: float
    evidence: str


@dataclass(frozen=True)
class Judged:
    verdict: str  # acceptable, unsure, not_acceptable
    score: float  # share of key points covered
    key_points: tuple[Evidence, ...]
    misconceptions: tuple[MisconceptionHit, ...]
    off_topic: bool
    reason: str

    @property
    def acceptable(self) -> bool:
        return self.verdict == "acceptable"


# --- splitting --------------------------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?:])\s+|\n\s*\n+|\n\s*(?=(?:[-*\u2022]|\d+[.)])\s)")
_CLAUSE = re.compile(
    r";\s*|,?\s+\b(?:but|whereas|although|while|though|rather than|instead of)\b\s+|,\s+(?=not\b)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z0-9]+(?:['\u2019][a-z]+)?", re.IGNORECASE)


def clauses(text: str) -> list[str]:
    """The answer's sentences split into clauses, each with at least two words. Single line
    breaks are wrapping, not boundaries; blank lines and list items are."""
    found = []
    for sentence in _SENTENCE.split(text.strip()):
        sentence = " ".join(sentence.split())
        for clause in _CLAUSE.split(sentence):
            clause = clause.strip(" ,-\u2013\u2014*\u2022")
            if len(_WORD.findall(clause)) >= 2:
                found.append(clause)
    return found


# --- polarity ---------------------------------------------------------------------------------

_NEGATORS = {"not", "no", "never", "neither", "nor", "without", "none", "cannot", "nothing"}
_SAME = {
    "same",
    "equal",
    "equals",
    "identical",
    "unchanged",
    "similar",
    "par",
    "match",
    "matches",
    "comparable",
    "roughly",
    "about",
}
_UP = {"more", "higher", "larger", "bigger", "slower", "increase", "increases", "adds", "grows"}
_DOWN = {"fewer", "less", "lower", "smaller", "faster", "reduce", "reduces", "cuts", "halves"}
_NUMBER = re.compile(r"(\d+(?:[.,]\d+)*)\s*(%|\u00d7|x\b|[kmb]\b)?\s*([a-z]+)?", re.IGNORECASE)


def _words(text: str) -> list[str]:
    return [w.lower().replace("\u2019", "'") for w in _WORD.findall(text)]


def _negated(words: Sequence[str]) -> bool:
    """An odd number of negators ("no longer" counts once, as its "no")."""
    return sum(w in _NEGATORS or w.endswith("n't") for w in words) % 2 == 1


def _direction(words: Sequence[str]) -> set[str]:
    found = set()
    if _SAME & set(words):
        found.add("same")
    if _UP & set(words):
        found.add("up")
    if _DOWN & set(words):
        found.add("down")
    return found


def _quantities(text: str) -> dict[str, list[float]]:
    """Numbers by what they count: the unit after them ("%", "x", "M") or the next word
    ("6 layers" -> "layers")."""
    found: dict[str, list[float]] = {}
    for raw, unit, word in _NUMBER.findall(text):
        try:
            value = float(raw.replace(",", ""))
        except ValueError:
            continue
        key = (unit or word or "").lower().replace("\u00d7", "x")
        if key:
            found.setdefault(key, []).append(value)
    return found


def _numbers_differ(clause: str, claim: str) -> bool:
    """A number counting the same thing on both sides, with no value within 5% of the claim's."""
    mine, theirs = _quantities(clause), _quantities(claim)
    return any(
        not any(abs(a - b) <= 0.05 * max(abs(b), 1e-9) for a in mine[key] for b in theirs[key])
        for key in mine.keys() & theirs.keys()
    )


_STOP = {
    "the",
    "and",
    "for",
    "are",
    "was",
    "its",
    "it's",
    "that",
    "this",
    "with",
    "from",
    "than",
    "but",
    "has",
    "have",
    "had",
    "can",
    "each",
    "every",
    "into",
    "one",
    "per",
    "same",
    "they",
    "their",
    "there",
    "when",
    "which",
    "what",
    "who",
    "you",
    "your",
    "not",
    "no",
    "any",
}


def _content(words: Sequence[str]) -> set[str]:
    return {w for w in words if len(w) >= 3 and w not in _STOP and w not in _NEGATORS}


def overlap(clause: str, claim: str) -> float:
    """Shared content words over the shorter side's: how much of a claim's wording is reused."""
    c, k = _content(_words(clause)), _content(_words(claim))
    return len(c & k) / min(len(c), len(k)) if c and k else 0.0


def contradicts(clause: str, claim: str) -> bool:
    """Whether ``clause`` says the opposite of ``claim``.

    - A negation on one side only, or numbers counting the same thing none of which is within 5%
      of the claim's ("6 layers" against "12 layers"), count when the clause reuses a third of
      the claim's wording or more: a paraphrase in other words
      says nothing about which claim a stray negator or number belongs to.
    - An opposite direction ("lower" against "about equal", "slower" against "faster") counts when
      the two share a subject word.

    A compound claim ("X is not needed, not that it is harmful") is split like an answer, and
    the clause is checked against the part whose wording it reuses most.
    """
    parts = clauses(claim) or [claim]  # a compound claim: the part the clause speaks to most
    claim = max(parts, key=lambda part: overlap(clause, part))
    shared = overlap(clause, claim)
    if shared == 0.0:
        return False
    c, k = _words(clause), _words(claim)
    dc, dk = _direction(c), _direction(k)
    if dk == {"same"} and dc and "same" not in dc:
        return True
    if dk and "same" not in dk and dc and "same" not in dc and not (dk & dc):
        return True
    if shared < 1 / 3:
        return False
    if _negated(c) != _negated(k):
        return True
    return _numbers_differ(clause, claim)


# --- judging ----------------------------------------------------------------------------------


def thresholds_for(question: Question, base: Thresholds | None = None) -> Thresholds:
    """``base`` (the defaults when None) with the question's own thresholds (its ``judge:``)."""
    overrides: dict[str, Any] = dict(question.judge)
    return replace(base or Thresholds(), **overrides)


def judge(
    question: Question, text: str, embed: Embed, thresholds: Thresholds | None = None
) -> Judged:
    """The verdict on ``text`` as an answer to an open ``question``, with its evidence; by the
    question's own thresholds unless ``thresholds`` are given."""
    if thresholds is None:
        thresholds = thresholds_for(question)
    found = clauses(text)
    # Candidates: each clause, and each pair of neighbours (a point made across two sentences).
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(found)] if thresholds.windows else []
    parts = found + pairs
    points = question.key_points
    if not parts:
        return _off_topic(points, "The answer has no sentence to judge.")
    refs = [p.text for p in points] + [m.text for m in question.misconceptions]
    reference = clauses(_plain(question.reference_answer_html)) if thresholds.anchors else []
    vectors = embed([*parts, *refs, _plain(question.reference_answer_html), *reference])
    answer, targets = vectors[: len(parts)], vectors[len(parts) : len(parts) + len(refs) + 1]
    sims = answer @ targets.T  # [clauses, key points + misconceptions + reference]
    point_sims = sims[:, : len(points)]
    if reference:  # each key point also in the reference's words: its closest sentence there
        ref_vectors = vectors[len(parts) + len(refs) + 1 :]  # [reference clauses, d]
        anchor = np.argmax(targets[: len(points)] @ ref_vectors.T, axis=1)  # [key points]
        point_sims = np.maximum(point_sims, answer @ ref_vectors[anchor].T)
    mis_sims = sims[:, len(points) : len(points) + len(question.misconceptions)]
    if float(sims.max()) < thresholds.off_topic:
        return _off_topic(points, "The answer is about something else.")
    evidence = tuple(
        _evidence(point, point_sims[:, i], parts, thresholds) for i, point in enumerate(points)
    )
    hits = _misconceptions(question, parts, mis_sims, point_sims, thresholds)
    return _verdict(question, evidence, hits, thresholds)


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def _off_topic(points: Sequence[object], reason: str) -> Judged:
    empty = tuple(
        Evidence(p.id, p.text, False, 0.0, "")  # type: ignore[attr-defined]
        for p in points
    )
    return Judged("not_acceptable", 0.0, empty, (), True, reason)


def _evidence(point: KeyPoint, column: Vectors, parts: Sequence[str], t: Thresholds) -> Evidence:
    """The key point's best clause that does not contradict it; a contradiction is reported."""
    order = np.argsort(-column)
    best = int(order[0])
    for index in order:
        similarity = float(column[index])
        if similarity < t.cover:
            break
        if not contradicts(parts[int(index)], point.text):
            return Evidence(point.id, point.text, True, similarity, parts[int(index)])
    similarity = float(column[best])
    contradicted = similarity >= t.contradict and contradicts(parts[best], point.text)
    return Evidence(point.id, point.text, False, similarity, parts[best], contradicted)


def _misconceptions(
    question: Question,
    parts: Sequence[str],
    mis_sims: Vectors,
    point_sims: Vectors,
    t: Thresholds,
) -> tuple[MisconceptionHit, ...]:
    """Each clause states at most one misconception, its closest; each is reported once."""
    hits: dict[str, MisconceptionHit] = {}
    if not question.misconceptions:
        return ()
    for i, clause in enumerate(parts):
        j = int(np.argmax(mis_sims[i]))
        wrong, similarity = question.misconceptions[j], float(mis_sims[i, j])
        closer = similarity > float(point_sims[i].max(initial=0.0))
        if similarity < t.misconception or not closer or wrong.id in hits:
            continue
        if not contradicts(clause, wrong.text):
            hits[wrong.id] = MisconceptionHit(
                wrong.id, wrong.text, wrong.correction, similarity, clause
            )
    return tuple(hits.values())


def _verdict(
    question: Question,
    evidence: tuple[Evidence, ...],
    hits: tuple[MisconceptionHit, ...],
    t: Thresholds,
) -> Judged:
    score = sum(e.covered for e in evidence) / len(evidence)
    essential = {p.id for p in question.key_points if p.essential}

    def result(verdict: str, reason: str) -> Judged:
        return Judged(verdict, score, evidence, hits, False, reason)

    if hits:
        return result("not_acceptable", f"It states a misconception: {hits[0].text}")
    contradicted = [e for e in evidence if e.contradicted]
    if contradicted:
        return result("not_acceptable", f"It says the opposite of: {contradicted[0].text}")
    missing = [e for e in evidence if e.id in essential and not e.covered]
    if missing:
        return result("not_acceptable", f"It misses an essential point: {missing[0].text}")
    if score < t.reject_share:
        return result("not_acceptable", "It covers too little of what the question asks.")
    near = [e for e in evidence if e.covered and e.similarity < t.cover + t.margin]
    if score >= t.accept_share and len(near) < sum(e.covered for e in evidence):
        return result("acceptable", "It covers the key points and says nothing wrong.")
    return result("unsure", "Compare it with the reference answer and rate yourself.")
