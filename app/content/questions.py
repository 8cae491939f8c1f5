"""The question bank: ``content/questions/<lesson-slug>.yaml``, validated with file and line.

Structure is checked by pydantic models (one per question type, discriminated by ``type``);
meaning (one correct option, unique ids, anchors that exist, a positive tolerance, a ``compute:``
formula that exists and whose inputs are all shown …) by plain code below. Every error is mapped
back to the YAML line of the offending value.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from app.content.markdown import render_fragment
from app.content.problems import Problem
from app.quiz.calculated import ANSWER, FORMULAS, Compute, placeholders

__all__ = [
    "QUESTION_TYPES",
    "KeyPoint",
    "Option",
    "Question",
    "QuestionBank",
    "load_questions",
]

QUESTION_TYPES = ("single", "multiple", "truefalse", "numeric", "order", "open")

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=40)]
LessonRef = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+#[\w-]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class OptionIn(_Strict):
    id: Id
    text: Text
    correct: bool = False
    explanation: Text


class ItemIn(_Strict):
    id: Id
    text: Text


class KeyPointIn(_Strict):
    id: Id
    text: Text
    keywords: Annotated[list[Text], Field(min_length=1)]


class _QuestionIn(_Strict):
    id: Id
    prompt: Text
    explanation: Text
    lesson: LessonRef = Field(description="slug#anchor of the section that teaches it")
    difficulty: Annotated[int, Field(ge=1, le=3)]
    tags: list[Tag] = []


class SingleIn(_QuestionIn):
    type: Literal["single"]
    options: Annotated[list[OptionIn], Field(min_length=2, max_length=8)]


class MultipleIn(_QuestionIn):
    type: Literal["multiple"]
    options: Annotated[list[OptionIn], Field(min_length=2, max_length=8)]


class TrueFalseIn(_QuestionIn):
    type: Literal["truefalse"]
    answer: Annotated[bool, Field(strict=True)]


class ComputeIn(_Strict):
    function: str
    inputs: dict[str, Any]  # checked by _compute_problems, for messages that name the input


class NumericIn(_QuestionIn):
    type: Literal["numeric"]
    answer: float | None = None
    compute: ComputeIn | None = None
    tolerance: float | str  # absolute, or relative as a percentage such as "1%"
    unit: str = ""


class OrderIn(_QuestionIn):
    type: Literal["order"]
    items: Annotated[list[ItemIn], Field(min_length=2, max_length=8)]


class OpenIn(_QuestionIn):
    type: Literal["open"]
    reference_answer: Text
    key_points: Annotated[list[KeyPointIn], Field(min_length=1, max_length=8)]


QuestionIn = Annotated[
    SingleIn | MultipleIn | TrueFalseIn | NumericIn | OrderIn | OpenIn, Field(discriminator="type")
]
_QUESTION = TypeAdapter(QuestionIn)


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
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


# --- meaning --------------------------------------------------------------------------------


def _semantic_problems(q: Any) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(location, message) for what pydantic's structure cannot say."""
    if isinstance(q, SingleIn | MultipleIn):
        correct = [o for o in q.options if o.correct]
        if isinstance(q, SingleIn) and len(correct) != 1:
            yield (
                ("options",),
                f"a single-choice question needs exactly one correct option, found {len(correct)}",
            )
        if isinstance(q, MultipleIn) and not correct:
            yield ("options",), "a multiple-choice question needs at least one correct option"
        yield from _duplicate_ids(q.options, "options", "option")
    if isinstance(q, OrderIn):
        yield from _duplicate_ids(q.items, "items", "item")
    if isinstance(q, OpenIn):
        yield from _duplicate_ids(q.key_points, "key_points", "key point")
    if isinstance(q, NumericIn):
        yield from _numeric_problems(q)


def _tolerance(value: float | str) -> tuple[float | None, float | None]:
    """(absolute, relative) from ``1000`` or ``"1%"``; None, None when it is neither."""
    if isinstance(value, str):
        number = value.strip().removesuffix("%")
        try:
            percent = float(number) if value.strip().endswith("%") else math.nan
        except ValueError:
            percent = math.nan
        return (None, percent / 100) if math.isfinite(percent) and percent > 0 else (None, None)
    return (value, None) if math.isfinite(value) and value > 0 else (None, None)


def _numeric_problems(q: NumericIn) -> Iterator[tuple[tuple[Any, ...], str]]:
    if q.answer is not None and not math.isfinite(q.answer):
        yield ("answer",), "the answer must be a finite number"
    if _tolerance(q.tolerance) == (None, None):
        if isinstance(q.tolerance, str):
            yield (
                ("tolerance",),
                f"tolerance must be a positive number or a percentage such as '1%', got {q.tolerance!r}",
            )
        else:
            yield ("tolerance",), f"tolerance must be a positive number, got {q.tolerance}"
    if q.answer is not None and q.compute is not None:
        yield (
            ("compute",),
            "give either 'answer' (a fixed value) or 'compute' (a formula), not both",
        )
    if q.answer is None and q.compute is None:
        yield (), "a numeric question needs 'answer' (a fixed value) or 'compute' (a formula)"
    if q.compute is not None:
        yield from _compute_problems(q.compute)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _choices(spec: Any) -> Sequence[int] | str:
    """The values an input may take, or what is wrong with its spec (read after "input 'V' ")."""
    if _is_int(spec):
        return (spec,)
    if isinstance(spec, list):
        if not spec:
            return "has an empty list of values"
        if not all(_is_int(v) for v in spec):
            return f"must list integers, got {spec}"
        return tuple(spec)
    if isinstance(spec, dict):
        if set(spec) - {"min", "max", "step"} or not {"min", "max"} <= set(spec):
            return f"must be a range {{min: …, max: …, step: …}} (step optional), got {spec}"
        low, high, step = spec["min"], spec["max"], spec.get("step", 1)
        if not all(_is_int(v) for v in (low, high, step)):
            return f"must have integer min, max and step, got {spec}"
        if step < 1:
            return f"must have a step of at least 1, got {step}"
        if low > high:
            return f"has min {low} greater than max {high}"
        return range(low, high + 1, step)
    return "must be an integer, a list of integers, or a range {min: …, max: …, step: …}"


def _compute_problems(compute: ComputeIn) -> Iterator[tuple[tuple[Any, ...], str]]:
    formula = FORMULAS.get(compute.function)
    if formula is None:
        yield (
            ("compute", "function"),
            f"unknown compute function '{compute.function}' (known: {', '.join(FORMULAS)})",
        )
        return
    params = formula.parameters
    missing = [p for p in params if p not in compute.inputs]
    if missing:
        yield (
            ("compute", "inputs"),
            f"{compute.function} needs inputs {', '.join(params)}; missing: {', '.join(missing)}",
        )
    corners: list[tuple[str, tuple[int, ...]]] = []
    for name, spec in compute.inputs.items():
        if name not in params:
            yield (
                ("compute", "inputs", name),
                f"compute input '{name}' is not a parameter of {compute.function} "
                f"(its parameters: {', '.join(params)})",
            )
            continue
        choices = _choices(spec)
        if isinstance(choices, str):
            yield ("compute", "inputs", name), f"compute input '{name}' {choices}"
        elif min(choices) < 0:
            yield ("compute", "inputs", name), f"compute input '{name}' must not be negative"
        else:
            corners.append((name, (min(choices), max(choices))))
    if len(corners) == len(params) and not missing:
        yield from _corner_problems(compute.function, corners)


def _corner_problems(
    function: str, corners: list[tuple[str, tuple[int, ...]]]
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """The formula must give a positive number at every corner of the inputs' ranges."""
    for combination in itertools.product(*(values for _, values in corners)):
        values = dict(zip((name for name, _ in corners), combination, strict=True))
        try:
            result = FORMULAS[function].function(**values)
        except (ArithmeticError, ValueError) as exc:
            result, error = math.nan, f"fails ({exc})"
        else:
            error = f"gives {result}"
        if not (math.isfinite(result) and result > 0):
            shown = ", ".join(f"{k}={v}" for k, v in values.items())
            yield (
                ("compute", "inputs"),
                f"{function} {error} for {shown}; choose inputs for which it is a positive number",
            )
            return


def _duplicate_ids(
    entries: list[Any], key: str, what: str
) -> Iterator[tuple[tuple[Any, ...], str]]:
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if entry.id in seen:
            yield (key, index, "id"), f"duplicate {what} id '{entry.id}'"
        seen.add(entry.id)


# --- building -------------------------------------------------------------------------------


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


def _build(q: Any, raw: Mapping[str, Any], render: _Renderer, path: Path) -> Question:
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
        absolute, relative = _tolerance(q.tolerance)
        common |= {
            "answer_number": q.answer,
            "tolerance": absolute,
            "relative_tolerance": relative,
            "unit": q.unit,
            "compute": _compute(q.compute),
        }
    elif isinstance(q, OpenIn):
        common["reference_answer_html"] = render(q.reference_answer, "reference_answer")
        common["key_points"] = tuple(
            KeyPoint(k.id, k.text, tuple(w.lower() for w in k.keywords)) for k in q.key_points
        )
    return Question(**common)


def _compute(compute: ComputeIn | None) -> Compute | None:
    """The checked ``compute:`` block in the formula's parameter order; None if it has problems
    (they are reported by ``_compute_problems``)."""
    formula = FORMULAS.get(compute.function) if compute else None
    if compute is None or formula is None or set(compute.inputs) != set(formula.parameters):
        return None
    inputs: list[tuple[str, Sequence[int]]] = []
    for name in formula.parameters:
        choices = _choices(compute.inputs[name])
        if isinstance(choices, str):
            return None
        inputs.append((name, choices))
    return Compute(compute.function, tuple(inputs))


def _placeholder_problems(q: Any, question: Question) -> Iterator[tuple[tuple[Any, ...], str]]:
    """A calculated question's ``{{name}}`` placeholders: each names an input and stands outside
    math (where rendering would swallow it), and every input is shown in the prompt."""
    if not isinstance(q, NumericIn) or q.compute is None:
        return
    formula = FORMULAS.get(q.compute.function)
    inputs = [name for name in q.compute.inputs if formula is None or name in formula.parameters]
    fields = (
        ("prompt", q.prompt, question.prompt_html, inputs),
        ("explanation", q.explanation, question.explanation_html, [*inputs, ANSWER]),
    )
    for key, source, rendered, allowed in fields:
        kept = placeholders(rendered)
        for name in kept:
            if name not in allowed:
                yield (
                    (key,),
                    f"placeholder {{{{{name}}}}} in the {key} is not an input of this question "
                    f"(use one of: {', '.join('{{' + a + '}}' for a in allowed)})",
                )
        for name in placeholders(source):
            if name not in kept and name in allowed:
                yield (
                    (key,),
                    f"placeholder {{{{{name}}}}} in the {key} is inside $…$ math and would not be "
                    "filled in; write it in plain text",
                )
        if key == "prompt":
            formula = FORMULAS.get(q.compute.function)
            for name in inputs:
                if name not in kept and (formula is None or name in formula.parameters):
                    yield (
                        ("compute", "inputs", name),
                        f"compute input '{name}' is never shown: put {{{{{name}}}}} in the prompt",
                    )


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


def _read_file(path: Path, shown: Path) -> tuple[list[tuple[Question, int, int]], list[Problem]]:
    """Questions that validated, each with the line of its ``id`` and of its ``lesson``."""
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
    found: list[tuple[Question, int, int]] = []
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
            parsed = _QUESTION.validate_python(raw)
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(p for p in err["loc"] if p not in QUESTION_TYPES)
                problems.append(Problem(shown, _line_at(node, loc), _error_message(err, loc)))
            continue
        render = _Renderer(shown, node)
        question = _build(parsed, raw, render, shown)
        semantic = [*_semantic_problems(parsed), *_placeholder_problems(parsed, question)]
        problems += [Problem(shown, _line_at(node, loc), msg) for loc, msg in semantic]
        problems += render.problems
        if not semantic:
            found.append((question, _line_at(node, ("id",)), _line_at(node, ("lesson",))))
    return found, problems


def load_questions(
    questions_dir: Path, anchors: Mapping[str, frozenset[str] | None], shown: Any
) -> tuple[QuestionBank, list[Problem]]:
    """Read every ``<lesson-slug>.yaml``; check ids are unique and lesson anchors exist.

    ``anchors`` maps each lesson slug to its section anchors (None when unknown); ``shown``
    turns a path into the form printed in problems.
    """
    if not questions_dir.is_dir():
        return QuestionBank(()), []
    questions: list[Question] = []
    problems: list[Problem] = []
    first_seen: dict[str, Path] = {}
    for path in sorted(questions_dir.glob("*.y*ml")):
        display = shown(path)
        if path.stem not in anchors:
            problems.append(
                Problem(
                    display, 1, f"no lesson '{path.stem}': name question files after a lesson slug"
                )
            )
        found, file_problems = _read_file(path, display)
        problems += file_problems
        for question, line, lesson_line in found:
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
    return QuestionBank(questions), problems
