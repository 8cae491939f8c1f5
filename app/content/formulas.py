"""Calculated questions, as content sees them: a ``compute:`` block names a formula from a table
the quiz hands in (``app/quiz/calculated.py: FORMULAS``, built on the cost model) and gives the
values each input may take. Nothing written in content is ever evaluated.

Here: the ``Formula`` and ``Compute`` types, the ``{{name}}`` placeholders, and the checks of a
``compute:`` block against a formula table. Drawing values and filling them in is the quiz's job.
"""

from __future__ import annotations

import inspect
import itertools
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.content.question_schema import ComputeIn, NumericIn

__all__ = [
    "ANSWER",
    "PLACEHOLDER",
    "Compute",
    "Formula",
    "Formulas",
    "compute_problems",
    "compute_spec",
    "placeholder_problems",
    "placeholders",
]

ANSWER = "answer"  # the placeholder for the expected value
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class Formula:
    """A function of integer inputs; its parameter names are the names content uses."""

    function: Callable[..., float]

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(inspect.signature(self.function).parameters)

    @property
    def summary(self) -> str:
        return (inspect.getdoc(self.function) or "").split("\n\n")[0].replace("\n", " ")


Formulas = Mapping[str, Formula]  # formula name -> formula, handed in by the quiz


@dataclass(frozen=True)
class Compute:
    """A question's ``compute:`` block: a formula and, per parameter in the formula's order, the
    values it may take (a tuple of choices, or a ``range``)."""

    function: str
    inputs: tuple[tuple[str, Sequence[int]], ...]


def placeholders(text: str) -> list[str]:
    """Names of the ``{{name}}`` placeholders in ``text``, in order of first appearance."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


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


def compute_problems(
    compute: ComputeIn, formulas: Formulas
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """What is wrong with a ``compute:`` block: an unknown formula, missing or extra inputs, bad
    value specs, or a formula that is not a positive number at a corner of the ranges."""
    formula = formulas.get(compute.function)
    if formula is None:
        yield (
            ("compute", "function"),
            f"unknown compute function '{compute.function}' (known: {', '.join(formulas)})",
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
        yield from _corner_problems(formula, compute.function, corners)


def _corner_problems(
    formula: Formula, function: str, corners: list[tuple[str, tuple[int, ...]]]
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """The formula must give a positive number at every corner of the inputs' ranges."""
    for combination in itertools.product(*(values for _, values in corners)):
        values = dict(zip((name for name, _ in corners), combination, strict=True))
        try:
            result = formula.function(**values)
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


def compute_spec(compute: ComputeIn | None, formulas: Formulas) -> Compute | None:
    """The checked ``compute:`` block in the formula's parameter order; None if it has problems
    (they are reported by ``compute_problems``)."""
    formula = formulas.get(compute.function) if compute else None
    if compute is None or formula is None or set(compute.inputs) != set(formula.parameters):
        return None
    inputs: list[tuple[str, Sequence[int]]] = []
    for name in formula.parameters:
        choices = _choices(compute.inputs[name])
        if isinstance(choices, str):
            return None
        inputs.append((name, choices))
    return Compute(compute.function, tuple(inputs))


def placeholder_problems(
    q: Any, prompt_html: str, explanation_html: str, formulas: Formulas
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """A calculated question's ``{{name}}`` placeholders: each names an input and stands outside
    math (where rendering would swallow it), and every input is shown in the prompt."""
    if not isinstance(q, NumericIn) or q.compute is None:
        return
    formula = formulas.get(q.compute.function)
    inputs = [name for name in q.compute.inputs if formula is None or name in formula.parameters]
    fields = (
        ("prompt", q.prompt, prompt_html, inputs),
        ("explanation", q.explanation, explanation_html, [*inputs, ANSWER]),
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
            formula = formulas.get(q.compute.function)
            for name in inputs:
                if name not in kept and (formula is None or name in formula.parameters):
                    yield (
                        ("compute", "inputs", name),
                        f"compute input '{name}' is never shown: put {{{{{name}}}}} in the prompt",
                    )
