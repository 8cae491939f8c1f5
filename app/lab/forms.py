"""The lab's two forms: their fields as the learner filled them in, read into the request models
of ``app.lab.requests``, and every refusal worded for the page, with the field to mark."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from app.encoders.configs import PRESETS, Preset
from app.encoders.variants import ARCHITECTURES
from app.errors import InvalidInput
from app.forms import ascii_int
from app.lab import service
from app.lab.requests import (
    DEFAULT_RUNS,
    FORM,
    MAX_RUNS,
    MAX_SEQ_LEN,
    MAX_TEXT_CHARS,
    SWEEP_LENGTHS,
    CompareIn,
    LinkQuery,
    Refused,
    SweepIn,
)
from app.lab.results import BASELINE, check_prediction
from app.lab.service import FIVE
from app.lab.store import ModelStore

__all__ = [
    "DEFAULT_SEQ_LEN",
    "DEFAULT_SWEEP_LENGTHS",
    "DEFAULT_SWEEP_RUNS",
    "CompareFields",
    "FormProblem",
    "SweepFields",
    "check_link",
    "compare_body",
    "reworded",
    "sweep_body",
]

EXAMPLE_TEXT = (
    "She sat on the river bank and watched the bank across the road open its doors, "
    "wondering which meaning a model would give each word."
)
DEFAULT_SEQ_LEN = 64
DEFAULT_SWEEP_RUNS = 3
DEFAULT_SWEEP_LENGTHS = SWEEP_LENGTHS[:4]  # up to 128: a few seconds at the tiny preset

Task = Literal["compare", "sweep"]
M = TypeVar("M", bound=BaseModel)


@dataclass
class CompareFields:
    source: str = "text"  # "text" or "length"
    text: str = EXAMPLE_TEXT
    seq_len: str = str(DEFAULT_SEQ_LEN)
    preset: str = Preset.tiny.value
    runs: str = str(DEFAULT_RUNS)
    variants: tuple[str, ...] = ()
    ranks: dict[str, str] = field(default_factory=dict)
    focus: str = ""

    @classmethod
    def from_form(cls, form: FormData) -> CompareFields:
        return cls(
            source=str(form.get("source") or "text"),
            text=str(form.get("text") or ""),
            seq_len=str(form.get("seq_len") or "").strip(),
            preset=str(form.get("preset") or Preset.tiny.value),
            runs=str(form.get("runs") or "").strip(),
            variants=tuple(str(v) for v in form.getlist("variants")),
            ranks={v: str(form.get(f"rank_{v}") or "") for v in FIVE},
            focus=str(form.get("focus") or ""),
        )


@dataclass
class SweepFields:
    preset: str = Preset.tiny.value
    runs: str = str(DEFAULT_SWEEP_RUNS)
    lengths: tuple[str, ...] = tuple(str(n) for n in DEFAULT_SWEEP_LENGTHS)
    variants: tuple[str, ...] = ()

    @classmethod
    def from_form(cls, form: FormData) -> SweepFields:
        return cls(
            preset=str(form.get("preset") or Preset.tiny.value),
            runs=str(form.get("runs") or "").strip(),
            lengths=tuple(str(v) for v in form.getlist("lengths")),
            variants=tuple(str(v) for v in form.getlist("variants")),
        )


class FormProblem(InvalidInput):
    """What to change in a form, in the page's words; ``field`` names the control to mark."""

    def __init__(self, message: str, field: str | None) -> None:
        super().__init__(message)
        self.field = field


# The order the forms read in: with several problems, the page names the first.
_ORDER = ("preset", "variants", "runs", "source", "seq_len", "text", "lengths", "ranks")
_NUMBERS = {
    "runs": ("Runs", MAX_RUNS),
    "seq_len": ("The sequence length", MAX_SEQ_LEN),
    "lengths": ("A length", MAX_SEQ_LEN),
}


def _first(problems: Iterable[FormProblem]) -> FormProblem:
    return min(problems, key=lambda p: _ORDER.index(p.field) if p.field in _ORDER else len(_ORDER))


def compare_body(f: CompareFields, store: ModelStore) -> CompareIn:
    """The compare form as the API's compare request, or the first FormProblem in it."""
    problems: list[FormProblem] = []
    if not f.variants:
        problems.append(_no_variants("compare"))
    predicted = _predicted(f.ranks, problems)
    data: dict[str, Any] = {
        "preset": f.preset,
        "runs": f.runs,
        "variants": _baseline_first(f.variants),
        "predicted": predicted,
    }
    if f.source == "length":
        data["seq_len"] = f.seq_len
    elif f.source == "text":
        data["text"] = f.text
    body = _validated(CompareIn, data, f.variants, "compare", store, problems)
    if body.predicted:  # before the service's work limit, as the form reads
        try:
            _, names = service.check_choice(store, body.preset, body.variants)
            check_prediction(body.predicted, names)
        except Refused as exc:
            raise reworded(exc) from None
    return body


def sweep_body(f: SweepFields, store: ModelStore) -> SweepIn:
    """The sweep form as a sweep request, or the first FormProblem in it."""
    data = {
        "preset": f.preset,
        "runs": f.runs,
        "variants": _baseline_first(f.variants),
        "lengths": list(f.lengths),
    }
    return _validated(SweepIn, data, f.variants, "sweep", store)


def check_link(f: CompareFields, store: ModelStore, lessons: Collection[str]) -> LinkQuery:
    """A link's preset and variants, checked as the forms check them, and its focus: a variant
    or a lesson (``lessons``: their slugs)."""
    data = {"preset": f.preset, "variants": list(f.variants)}
    link = _validated(LinkQuery, data, f.variants, "compare", store)
    if f.focus and f.focus not in ARCHITECTURES and f.focus not in lessons:
        raise FormProblem(
            f"There is no variant '{f.focus}' to look at; choose from {', '.join(ARCHITECTURES)}.",
            "focus",
        )
    return link


def _validated(
    model: type[M],
    data: Mapping[str, Any],
    variants: Sequence[str],
    task: Task,
    store: ModelStore,
    problems: Sequence[FormProblem] = (),
) -> M:
    """``data`` read into ``model``; with problems (the model's and those the form found), the
    first in the form's order. The preset and variants are checked against the server here
    too (the service checks them again), since the form names their problems first."""
    found = list(problems)
    body: M | None = None
    try:
        body = model.model_validate(data, context=FORM)
    except ValidationError as exc:
        found += [_problem(e, variants, task) for e in exc.errors()]
    except Refused as exc:
        found.append(reworded(exc))
    if not any(p.field == "preset" for p in found):
        try:
            service.check_choice(store, data["preset"], data["variants"])
        except Refused as exc:
            found.append(reworded(exc))
    if found or body is None:
        raise _first(found)
    return body


def _baseline_first(variants: Iterable[str]) -> list[str]:
    """BERT first, as the page shows it, then the others ticked, each once."""
    chosen = list(dict.fromkeys(variants))
    return [BASELINE, *(v for v in chosen if v != BASELINE)] if chosen else []


def _empty_text() -> FormProblem:
    return FormProblem("The text is empty: type a sentence, or choose a length.", "text")


def _no_variants(task: Task) -> FormProblem:
    return FormProblem(f"Tick at least one variant to {task} with BERT.", "variants")


def _problem(error: Mapping[str, Any], variants: Sequence[str], task: Task) -> FormProblem:
    """A pydantic error in the page's words."""
    loc, kind, raw = error["loc"], error["type"], error["input"]
    name = str(loc[0]) if loc else "source"
    if name == "preset":
        known = ", ".join(p.value for p in PRESETS)
        return FormProblem(f"There is no preset '{raw}'; choose from {known}.", name)
    if name == "variants":
        unknown = next((v for v in variants if v not in ARCHITECTURES), None)
        if unknown is None:
            return _no_variants(task)
        return FormProblem(
            f"There is no variant '{unknown}'; choose from {', '.join(ARCHITECTURES)}.", name
        )
    if name == "source":
        return FormProblem("Choose the input: your text or a length.", name)
    if name == "text" and not str(raw).strip():  # blank, however long: say it is empty
        return _empty_text()
    if name == "text":
        return FormProblem(
            f"The text is {len(raw):,} characters; the lab takes at most {MAX_TEXT_CHARS:,}.", name
        )
    if name == "lengths" and kind == "two_lengths":
        return FormProblem("Tick at least two lengths to draw a line.", name)
    if name == "lengths" and kind == "sweep_length":
        lengths = ", ".join(map(str, SWEEP_LENGTHS))
        n = ascii_int(str(raw))
        return FormProblem(f"The sweep runs at {lengths} tokens; {n} is not one.", name)
    if name in _NUMBERS:
        label, high = _NUMBERS[name]
        return _not_whole(label, name, str(raw), 1, high)
    return FormProblem(str(error["msg"]), name)


def _not_whole(label: str, name: str, raw: str, low: int, high: int) -> FormProblem:
    value = ascii_int(raw)
    if value is None:
        shown = raw if len(raw) <= 20 else raw[:20] + "…"
        message = f"{label} must be a whole number from {low} to {high}; you sent '{shown}'."
        return FormProblem(message, name)
    return FormProblem(f"{label} must be from {low} to {high}; you sent {value}.", name)


def _predicted(ranks: Mapping[str, str], problems: list[FormProblem]) -> list[str] | None:
    """The ranked variants, fastest first, or None when nothing is ranked (or a rank is wrong:
    then the problem is added to ``problems``)."""
    given: dict[str, int] = {}
    for name in FIVE:
        raw = ranks.get(name, "")
        rank = ascii_int(raw, low=1, high=len(FIVE))
        if raw and rank is None:
            label = f"{ARCHITECTURES[name].title}'s rank"
            problems.append(_not_whole(label, "ranks", raw, 1, len(FIVE)))
            return None
        if rank is not None:
            given[name] = rank
    by_rank: dict[int, list[str]] = {}
    for name, rank in given.items():
        by_rank.setdefault(rank, []).append(ARCHITECTURES[name].title)
    for rank, titles in sorted(by_rank.items()):
        if len(titles) > 1:
            message = (
                f"Rank {rank} is given to both {' and '.join(titles)}: use each rank once, "
                "1 for the fastest."
            )
            problems.append(FormProblem(message, "ranks"))
            return None
    return sorted(given, key=given.__getitem__) or None


def reworded(exc: Refused) -> FormProblem:
    """A refusal from the request model or the service, in the page's words."""
    facts = exc.facts
    match exc.code:
        case "empty_text":
            return _empty_text()
        case "no_tokenizer":
            message = (
                "Text needs the WordPiece tokenizer, which is not installed on this server: "
                "choose a length instead."
            )
            return FormProblem(message, "text")
        case "preset_cap":
            message = (
                f"This server runs presets up to '{facts['largest']}'; "
                f"'{facts['preset']}' is larger."
            )
            return FormProblem(message, "preset")
        case "minilm":
            return FormProblem(f"MiniLM cannot run here: {facts['problem']}", "variants")
        case "prediction_short":
            message = "Rank at least two variants to make a prediction, or none."
            return FormProblem(message, "ranks")
        case "prediction_extra":
            titles = [a.title for name, a in ARCHITECTURES.items() if name in facts["extra"]]
            message = (
                f"You ranked {', '.join(titles)} but did not tick it to run: tick it, "
                "or clear its rank."
            )
            return FormProblem(message, "ranks")
    return FormProblem(exc.message, exc.field)
