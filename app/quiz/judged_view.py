"""What the pages show of a judged open answer (``templates/quiz/_judgement.html``): the verdict,
the learner's text with its evidence highlighted, and the rating the verdict suggests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.quiz import open_answers
from app.quiz.highlights import highlight
from app.quiz.open_answers import Graded

__all__ = ["RATINGS", "SUGGESTED_RATING", "judged_context", "stored_context"]

RATINGS = ((1, "Again"), (2, "Hard"), (3, "Good"), (4, "Easy"))

# The self-rating a verdict suggests (the learner still chooses): Good, Hard, Again.
SUGGESTED_RATING = {"acceptable": 3, "unsure": 2, "not_acceptable": 1}


def judged_context(text: str, graded: Graded) -> dict[str, Any]:
    return {
        "text": text,
        "judged": graded.judged,
        "grader": graded.grader,
        "segments": highlight(text, graded.judged),
        "suggested": SUGGESTED_RATING[graded.judged.verdict],
    }


def stored_context(text: str, judgement: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The context for an answer stored with its judgement; None for one stored before the
    judge (graded by keywords then, with nothing kept to show)."""
    return judged_context(text, open_answers.from_json(judgement)) if judgement else None
