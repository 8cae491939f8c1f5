"""The question bank: ``content/questions/<lesson-slug>.yaml``, validated with file and line.

Structure is checked by pydantic models (``question_schema.py``, one per question type);
meaning (one correct option, unique ids, anchors that exist, a positive tolerance …) by plain code
below, and a calculated question's ``compute:`` block against the formula table the caller hands
in (``formulas.py``). Every error is mapped back to the YAML line of the offending value.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.content.formulas import Compute, Formulas, compute_spec, placeholder_problems
from app.content.markdown import render_fragment
from app.content.problems import Problem
from app.content.question_checks import follow_up_problem, semantic_problems, tolerance
from app.content.question_schema import (
    QUESTION,
    QUESTION_TYPES,
    MultipleIn,
    NumericIn,
    OpenIn,
    OrderIn,
    SingleIn,
    TrueFalseIn,
)

__all__ = [
    "QUESTION_TYPES",
    "KeyPoint",
    "Option",
    "Question",
    "QuestionBank",
    "load_questions",
]


@dataclass(frozen=True)
class Option:
    """A choice (single/multiple) or an item to order; ``correct`` is meaningless for items."""

    id: str
    text: str
    html: str
    correct: bool = False
    explanation_html: str = ""


@dataclass(frozen=True)
class KeyPoint:
    id: str
    text: str
    keywords: tuple[str, ...]
    essential: bool = False
    follow_up: str | None = None  # an open question a mock interview may ask when this is missed


@dataclass(frozen=True)
class Misconception:
    id: str
    text: str
    correction: str


@dataclass(frozen=True)
class Sample:
    """A labelled answer to an open question and the verdict a grader must give it."""

    text: str
    verdict: str  # acceptable, unsure, not_acceptable
    kind: str  # strong, paraphrase, partial, misconception, negated, off-topic


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    prompt: str
    prompt_html: str
    explanation_html: str
    lesson: str  # the lesson slug
    anchor: str
    difficulty: int
    tags: tuple[str, ...]
    content_hash: str
    options: tuple[Option, ...] = ()  # single, multiple; order: the items in the right order
    answer_bool: bool | None = None
    answer_number: float | None = None  # numeric with a fixed answer
    tolerance: float | None = None  # numeric: absolute ± …
    relative_tolerance: float | None = None  # … or a fraction of the answer (1% is 0.01)
    unit: str = ""
    compute: Compute | None = None  # calculated numeric: the formula and its inputs
    reference_answer_html: str = ""
    key_points: tuple[KeyPoint, ...] = ()
    misconceptions: tuple[Misconception, ...] = ()
    samples: tuple[Sample, ...] = ()  # labelled answers: test data, not shown to learners
    # The judge's thresholds for this question (name, value), where it sets its own.
    judge: tuple[tuple[str, float], ...] = ()
    path: Path = field(default=Path(), compare=False)

    @property
    def lesson_url(self) -> str:
        return f"/lessons/{self.lesson}#{self.anchor}"


class QuestionBank:
    """All questions, by id and by lesson, in file order."""

    def __init__(self, questions: Iterable[Question]) -> None:
        self.questions = tuple(questions)
        self._by_id = {q.id: q for q in self.questions}

    def __len__(self) -> int:
        return len(self.questions)

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._by_id

    def get(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)

    def for_lesson(self, slug: str) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.lesson == slug)

    @property
    def lessons(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(q.lesson for q in self.questions))


# --- YAML with lines -------------------------------------------------------------------------


def _line_at(node: yaml.Node, loc: Iterable[Any]) -> int:
    """1-based line of the value at a pydantic error location (list indexes and mapping keys).

    For a list or mapping value, the line of its key (``options:``), where an author looks.
    """
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        elif isinstance(node, yaml.MappingNode):
            pairs = [
                (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part
            ]
            if not pairs:
                break
            key, node = pairs[0]
            line = (key if isinstance(node, yaml.CollectionNode) else node).start_mark.line + 1
    return line


def _content_hash(raw: Mapping[str, Any]) -> str:
    """What the learner answers, hashed. Labelled samples are test data, the judge's thresholds
    are the judge's, and a key point's follow-up only says what a mock interview asks next: none
    of them counts."""
    asked = {key: value for key, value in raw.items() if key not in ("samples", "judge")}
    if isinstance(asked.get("key_points"), list):
        asked["key_points"] = [
            {k: v for k, v in point.items() if k != "follow_up"}
            if isinstance(point, dict)
            else point
            for point in asked["key_points"]
        ]
    canonical = json.dumps(asked, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


class _Renderer:
    """Renders Markdown fields, collecting math problems at the field's line."""

    def __init__(self, path: Path, node: yaml.Node) -> None:
        self.path, self.node = path, node
        self.problems: list[Problem] = []

    def __call__(self, text: str, *loc: Any) -> str:
        html, found = render_fragment(text)
        line = _line_at(self.node, loc)
        self.problems += [Problem(self.path, line, p.message) for p in found]
        return html


def _build(
    q: Any, raw: Mapping[str, Any], render: _Renderer, path: Path, formulas: Formulas
) -> Question:
    slug, _, anchor = q.lesson.partition("#")
    common: dict[str, Any] = {
        "id": q.id,
        "type": q.type,
        "prompt": q.prompt,
        "prompt_html": render(q.prompt, "prompt"),
        "explanation_html": render(q.explanation, "explanation"),
        "lesson": slug,
        "anchor": anchor,
        "difficulty": q.difficulty,
        "tags": tuple(q.tags),
        "content_hash": _content_hash(raw),
        "path": path,
    }
    if isinstance(q, SingleIn | MultipleIn):
        common["options"] = tuple(
            Option(
                o.id,
                o.text,
                render(o.text, "options", i, "text"),
                o.correct,
                render(o.explanation, "options", i, "explanation"),
            )
            for i, o in enumerate(q.options)
        )
    elif isinstance(q, OrderIn):
        common["options"] = tuple(
            Option(item.id, item.text, render(item.text, "items", i, "text"))
            for i, item in enumerate(q.items)
        )
    elif isinstance(q, TrueFalseIn):
        common["answer_bool"] = q.answer
    elif isinstance(q, NumericIn):
        absolute, relative = tolerance(q.tolerance)
        common |= {
            "answer_number": q.answer,
            "tolerance": absolute,
            "relative_tolerance": relative,
            "unit": q.unit,
            "compute": compute_spec(q.compute, formulas),
        }
    elif isinstance(q, OpenIn):
        common["reference_answer_html"] = render(q.reference_answer, "reference_answer")
        common["key_points"] = tuple(
            KeyPoint(k.id, k.text, tuple(w.lower() for w in k.keywords), k.essential, k.follow_up)
            for k in q.key_points
        )
        common["misconceptions"] = tuple(
            Misconception(m.id, m.text, m.correction) for m in q.misconceptions
        )
        common["samples"] = tuple(Sample(s.text, s.verdict, s.kind) for s in q.samples)
        common["judge"] = tuple(q.judge.model_dump(exclude_none=True).items()) if q.judge else ()
    return Question(**common)


def _error_message(err: Mapping[str, Any], loc: tuple[Any, ...]) -> str:
    where = ".".join(str(part) for part in loc) or "question"
    if err["type"] == "missing":
        return f"missing required field '{where}'"
    if err["type"] == "extra_forbidden":
        return f"unknown field '{where}'"
    if err["type"] == "union_tag_invalid":
        return f"unknown question type (use one of: {', '.join(QUESTION_TYPES)})"
    if err["type"] == "union_tag_not_found":
        return f"missing required field 'type' (one of: {', '.join(QUESTION_TYPES)})"
    return f"field '{where}': {err['msg']}"


# A question that validated, with the line of its ``id``, of its ``lesson`` and of each key
# point's ``follow_up`` (by key point id).
_Found = tuple[Question, int, int, dict[str, int]]


def _read_file(path: Path, shown: Path, formulas: Formulas) -> tuple[list[_Found], list[Problem]]:
    """The questions that validated in one file, and its problems."""
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(shown, 1, f"cannot read file: {exc}")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.context_mark or exc.problem_mark
        return [], [Problem(shown, mark.line + 1 if mark else 1, f"invalid YAML: {exc.problem}")]
    if root is None:
        return [], []
    if not isinstance(root, yaml.SequenceNode) or not isinstance(data, list):
        return [], [Problem(shown, 1, "a question file is a YAML list of questions ('- id: …')")]
    found: list[_Found] = []
    problems: list[Problem] = []
    for node, raw in zip(root.value, data, strict=True):
        if not isinstance(raw, dict):
            problems.append(
                Problem(
                    shown, _line_at(node, ()), "each question is a mapping of 'key: value' lines"
                )
            )
            continue
        try:
            parsed = QUESTION.validate_python(raw)
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(p for p in err["loc"] if p not in QUESTION_TYPES)
                problems.append(Problem(shown, _line_at(node, loc), _error_message(err, loc)))
            continue
        render = _Renderer(shown, node)
        question = _build(parsed, raw, render, shown, formulas)
        semantic = [
            *semantic_problems(parsed, formulas),
            *placeholder_problems(
                parsed, question.prompt_html, question.explanation_html, formulas
            ),
        ]
        problems += [Problem(shown, _line_at(node, loc), msg) for loc, msg in semantic]
        problems += render.problems
        if not semantic:
            follow_ups = {
                k.id: _line_at(node, ("key_points", i, "follow_up"))
                for i, k in enumerate(question.key_points)
                if k.follow_up
            }
            found.append(
                (question, _line_at(node, ("id",)), _line_at(node, ("lesson",)), follow_ups)
            )
    return found, problems


def load_questions(
    questions_dir: Path,
    anchors: Mapping[str, frozenset[str] | None],
    shown: Any,
    formulas: Formulas,
) -> tuple[QuestionBank, list[Problem]]:
    """Read every ``<lesson-slug>.yaml``; check ids are unique and lesson anchors exist.

    ``anchors`` maps each lesson slug to its section anchors (None when unknown); ``shown``
    turns a path into the form printed in problems; ``formulas`` is the table calculated
    questions may name.
    """
    if not questions_dir.is_dir():
        return QuestionBank(()), []
    questions: list[Question] = []
    problems: list[Problem] = []
    first_seen: dict[str, Path] = {}
    follow_up_lines: dict[str, dict[str, int]] = {}
    for path in sorted(questions_dir.glob("*.y*ml")):
        display = shown(path)
        if path.stem not in anchors:
            problems.append(
                Problem(
                    display, 1, f"no lesson '{path.stem}': name question files after a lesson slug"
                )
            )
        found, file_problems = _read_file(path, display, formulas)
        problems += file_problems
        for question, line, lesson_line, follow_ups in found:
            if question.id in first_seen:
                problems.append(
                    Problem(
                        display,
                        line,
                        f"duplicate question id '{question.id}' (also in {first_seen[question.id]})",
                    )
                )
                continue
            first_seen[question.id] = display
            follow_up_lines[question.id] = follow_ups
            known = anchors.get(question.lesson, frozenset())
            if question.lesson not in anchors:
                problems.append(
                    Problem(
                        display,
                        lesson_line,
                        f"question '{question.id}': lesson '{question.lesson}' does not exist",
                    )
                )
            elif known is not None and question.anchor not in known:
                problems.append(
                    Problem(
                        display,
                        lesson_line,
                        f"question '{question.id}': lesson '{question.lesson}' has no section '#{question.anchor}'",
                    )
                )
            questions.append(question)
    problems += _follow_up_problems(questions, first_seen, follow_up_lines)
    return QuestionBank(questions), problems


def _follow_up_problems(
    questions: list[Question], paths: Mapping[str, Path], lines: Mapping[str, Mapping[str, int]]
) -> list[Problem]:
    """Each key point's ``follow_up`` names an open question of the bank other than its own."""
    types = {q.id: q.type for q in questions}
    return [
        Problem(paths[q.id], lines[q.id][point.id], message)
        for q in questions
        for point in q.key_points
        if point.follow_up
        and (message := follow_up_problem(q.id, point.id, point.follow_up, types))
    ]
