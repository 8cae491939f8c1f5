"""Filling a quiz page's form the way a browser without JavaScript would: the page's hidden
fields, plus a right or a wrong answer to whatever question it shows."""

from __future__ import annotations

import html
import re

from app.content.questions import Question, QuestionBank
from app.quiz.calculated import draw


def hidden_fields(page: str) -> dict[str, str]:
    """Every hidden field of the page's forms (the quiz form is the only one with these)."""
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    }


def shown_question(page: str, bank: QuestionBank) -> Question:
    question = bank.get(hidden_fields(page)["question_id"])
    assert question is not None
    return question


def answer_fields(page: str, question: Question, *, right: bool) -> dict[str, str | list[str]]:
    """The page's hidden fields and an answer, right or wrong on purpose."""
    fields: dict[str, str | list[str]] = dict(hidden_fields(page))
    kind = question.type
    if kind == "single":
        fields["choice"] = next(o.id for o in question.options if o.correct == right)
    elif kind == "multiple":
        correct = [o.id for o in question.options if o.correct]
        wrong = [o.id for o in question.options if not o.correct]
        fields["choices"] = correct if right else (wrong[:1] or correct[:-1])
    elif kind == "truefalse":
        value = question.answer_bool if right else not question.answer_bool
        fields["value"] = "true" if value else "false"
    elif kind == "numeric" and question.compute is not None:
        answer = draw(question.compute, int(str(fields["seed"]))).answer
        fields["value"] = f"{answer if right else 2 * answer + 1:.10g}"
    elif kind == "numeric":
        assert question.answer_number is not None and question.tolerance is not None
        off = 0 if right else 10 * question.tolerance + 1
        fields["value"] = f"{question.answer_number + off:.10g}"
    elif kind == "order":
        ids = [o.id for o in question.options]
        for position, option_id in enumerate(ids if right else ids[::-1], start=1):
            fields[f"pos_{option_id}"] = str(position)
    else:  # open: rated at once (the reveal step is its own test)
        text = " ".join(k.keywords[0] for k in question.key_points) if right else "No idea."
        fields |= {"text": text, "rating": "3" if right else "1"}
    return fields
