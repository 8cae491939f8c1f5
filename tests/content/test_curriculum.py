"""The curriculum as the product promises it, checked on the real content: every lesson cites its
papers, opens with an answer-first box, draws at least one diagram of its own and has at least
eight questions, three of them open; the glossary and the bank are as large as promised."""

from __future__ import annotations

import re

import pytest

from app.content import load_content
from app.content.index import ContentIndex, Lesson
from app.quiz.calculated import FORMULAS
from tests.conftest import CONTENT_DIR

ARXIV = re.compile(r"^\d{4}\.\d{4,5}$")
INDEX: ContentIndex = load_content(CONTENT_DIR, formulas=FORMULAS)


@pytest.mark.parametrize("lesson", INDEX.lessons, ids=lambda lesson: lesson.slug)
def test_every_lesson_is_complete(lesson: Lesson) -> None:
    assert lesson.sources and all(ARXIV.match(s.arxiv) for s in lesson.sources)
    assert lesson.answer_first, 'open with !!! answer "In an interview"'
    assert lesson.figures >= 1, "draw at least one diagram (docs/CONTENT.md, Diagrams)"
    questions = INDEX.questions.for_lesson(lesson.slug)
    assert len(questions) >= 8
    assert sum(q.type == "open" for q in questions) >= 3
    assert "interview" in lesson.html and 'class="admonition interview"' in lesson.html


def test_the_curriculum_covers_what_interviews_ask() -> None:
    slugs = {lesson.slug for lesson in INDEX.lessons}
    assert {
        "bert",
        "roberta",
        "distilbert",
        "albert",
        "deberta",
        "cheat-sheet",
        "encoders-decoders",
        "attention-cost",
        "tokenizers",
        "pretraining-objectives",
        "sentence-embeddings",
        "fine-tuning",
        "compression",
        "positions",
        "modern-encoders",
    } <= slugs
    questions = INDEX.questions.questions
    assert len(questions) >= 150
    assert sum(q.compute is not None for q in questions) >= 25  # 15 before the curriculum grew, +10
    assert len(INDEX.glossary) >= 40
