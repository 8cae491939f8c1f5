"""What the interview tests share: the real question bank, and answers that miss or cover."""

from __future__ import annotations

from app.content import load_content
from app.content.questions import Question
from app.quiz.calculated import FORMULAS
from tests.conftest import CONTENT_DIR

BANK = load_content(CONTENT_DIR, formulas=FORMULAS).questions

# Says nothing any key point or its keywords say: every key point is missed.
MISSES_ALL = "I would have to look that up; I remember it is a design choice the authors made."


def question(question_id: str) -> Question:
    found = BANK.get(question_id)
    assert found is not None, question_id
    return found


def follow_up_targets(question_id: str) -> set[str]:
    return {p.follow_up for p in question(question_id).key_points if p.follow_up}


def covering(question_id: str) -> str:
    """An answer with a keyword of every key point (what the keyword grader counts)."""
    return "In short: " + "; ".join(p.keywords[0] for p in question(question_id).key_points) + "."


def strong(question_id: str) -> str:
    """The question's labelled strong sample (content/questions/*.yaml)."""
    return next(s.text for s in question(question_id).samples if s.kind == "strong")
