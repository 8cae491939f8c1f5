"""What a lab request may ask for: its limits, names and one pydantic model per kind.

The JSON API takes these models as its bodies and query; the ``/lab`` forms are read into the same
models (``model_validate(..., context=FORM)``). Checks that need the server (a preset cap, MiniLM
or the tokenizer being installed, the work limit) are the service's; they raise ``Refused``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.encoders.configs import PRESETS, Preset
from app.encoders.variants import ARCHITECTURES
from app.errors import InvalidInput
from app.forms import ascii_int

__all__ = [
    "DEFAULT_PRESET",
    "DEFAULT_RUNS",
    "FORM",
    "MAX_RUNS",
    "MAX_SEQ_LEN",
    "MAX_TEXT_CHARS",
    "SWEEP_LENGTHS",
    "CompareIn",
    "CostQuery",
    "LinkQuery",
    "PresetName",
    "Refused",
    "RunIn",
    "SweepIn",
    "VariantName",
]

MAX_SEQ_LEN = 512
MAX_RUNS = 50
# Rounds a compare times when `runs` is left out. With 5, RoBERTa (BERT's own encoder) read 1.2x
# BERT on the 2-core VM; with 10, 0.97-1.07 over ten compares; with 30 (about 2 s at tiny) and
# per-round ratios, 0.98-1.03 (bench/lab.py --only-compares).
DEFAULT_RUNS = 30
MAX_TEXT_CHARS = 4000
SWEEP_LENGTHS = (16, 32, 64, 128, 256, 512)
DEFAULT_PRESET = Preset.tiny.value

# The names come from app.encoders; built as Literals, the OpenAPI document lists them inline.
if TYPE_CHECKING:
    VariantName = str
    PresetName = str
else:
    VariantName = Literal[tuple(str(name) for name in ARCHITECTURES)]
    PresetName = Literal[tuple(str(preset) for preset in PRESETS)]

FORM: dict[str, Any] = {"form": True}
"""The validation context for a form's fields: numbers there are ASCII digits (``Runs``, ``Length``)."""


class Refused(InvalidInput):
    """A request the schema accepts but a further check refuses. JSON clients get ``message``;
    the page words it for its form from ``code`` and ``facts``; ``field`` is the input to change."""

    def __init__(self, message: str, *, code: str, field: str | None, **facts: Any) -> None:
        super().__init__(message)
        self.code, self.field, self.facts = code, field, facts


def _form_digits(value: Any, info: ValidationInfo) -> Any:
    """From a form, a number is ASCII digits or not a number (``app.forms.ascii_int``): pydantic
    alone would read '5.0', '+5' and '1_000'. JSON keeps pydantic's reading."""
    if isinstance(value, str) and info.context is not None and info.context.get("form"):
        number = ascii_int(value)
        if number is None:
            raise PydanticCustomError("whole_number", "Input should be a whole number")
        return number
    return value


# Field before BeforeValidator: the bounds then sit on the integer, where the JSON schema shows them.
Runs = Annotated[int, Field(ge=1, le=MAX_RUNS), BeforeValidator(_form_digits)]
Length = Annotated[int, Field(ge=1, le=MAX_SEQ_LEN), BeforeValidator(_form_digits)]


class _Input(BaseModel):
    text: str | None = Field(
        default=None,
        max_length=MAX_TEXT_CHARS,
        description="text to tokenise with the lab's WordPiece tokenizer (or send seq_len)",
    )
    seq_len: Length | None = Field(
        default=None, description="a length of synthetic tokens instead of text"
    )

    @model_validator(mode="after")
    def _one_input(self) -> _Input:
        if self.text is None and self.seq_len is None:
            raise ValueError("send 'text' (a sentence to tokenise) or 'seq_len' (synthetic tokens)")
        if self.text is not None and self.seq_len is not None:
            raise ValueError("send either 'text' or 'seq_len', not both")
        if self.text is not None and not self.text.strip():
            # Refused, not ValueError: it passes through pydantic, and the API answers with this
            # message alone, as it did when the service made this check.
            raise Refused(
                "'text' is empty: type a sentence, or send 'seq_len' instead.",
                code="empty_text",
                field="text",
            )
        return self


class RunIn(_Input):
    variant: VariantName
    preset: PresetName = DEFAULT_PRESET
    runs: Runs | None = Field(
        default=None,
        description=f"timed runs after one warm-up; left out: {DEFAULT_RUNS}, or fewer "
        "where that many would exceed the server's work limit",
    )


class CompareIn(_Input):
    preset: PresetName = DEFAULT_PRESET
    runs: Runs | None = Field(
        default=None,
        description=f"timed runs per model; left out: {DEFAULT_RUNS}, or fewer where "
        "that many would exceed the server's work limit",
    )
    variants: list[VariantName] | None = Field(
        default=None,
        max_length=6,
        description="default: all five (and MiniLM where installed); BERT always runs as the baseline",
    )
    predicted: list[VariantName] | None = Field(
        default=None, max_length=6, description="your guess: these variants, fastest first"
    )


class CostQuery(BaseModel):
    variant: VariantName
    preset: PresetName = DEFAULT_PRESET
    seq_len: int = Field(default=128, ge=1, le=MAX_SEQ_LEN)
    implementation: Literal["ours", "transformers"] = Field(
        default="ours", description="DeBERTa: count our work or the reference implementation's"
    )


def _sweep_length(n: int) -> int:
    if n not in SWEEP_LENGTHS:
        raise PydanticCustomError("sweep_length", "Input should be one of the sweep's lengths")
    return n


def _two_lengths(lengths: list[int]) -> list[int]:
    distinct = sorted(set(lengths))
    if len(distinct) < 2:
        raise PydanticCustomError("two_lengths", "List should hold at least two lengths")
    return distinct


SweepLength = Annotated[Length, AfterValidator(_sweep_length)]


class SweepIn(BaseModel):
    """The sweep form: the models at several lengths of synthetic tokens (lengths come sorted)."""

    preset: PresetName = DEFAULT_PRESET
    runs: Runs
    variants: list[VariantName] = Field(min_length=1)
    lengths: Annotated[list[SweepLength], AfterValidator(_two_lengths)]


class LinkQuery(BaseModel):
    """What a link to ``/lab`` preselects (lessons link with their preset)."""

    preset: PresetName = DEFAULT_PRESET
    variants: list[VariantName] = []
