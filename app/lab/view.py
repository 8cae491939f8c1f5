"""The ``/lab`` page's template context: what this server offers, the forms as filled in, their
time estimates for the progress line, and the results."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.content import ContentIndex
from app.encoders import cost
from app.encoders.configs import PRESETS, EncoderConfig, Preset, config_for
from app.encoders.tokenizer import WordPieceTokenizer
from app.encoders.variants import ARCHITECTURES, MINILM
from app.forms import ascii_int
from app.lab import service, tables
from app.lab.demos import KINDS, Quantized, Tokenized
from app.lab.forms import (
    DEFAULT_SEQ_LEN,
    DEFAULT_SWEEP_LENGTHS,
    DEFAULT_SWEEP_RUNS,
    CompareFields,
    SweepFields,
)
from app.lab.requests import DEFAULT_RUNS, MAX_RUNS, MAX_SEQ_LEN, MAX_TEXT_CHARS, SWEEP_LENGTHS
from app.lab.results import BASELINE, Compared
from app.lab.store import Built, ModelStore
from app.lab.timing import MODULE_PASSES, PASSES_PER_RUN, WARMUP

__all__ = ["DemoState", "PageState", "Server", "context", "server_of"]

DEFAULT_TOKENIZE_TEXT = "ALBERT's factorised embeddings tokenize unbelievably well, naïvely 😀"
DEFAULT_SIMILARITY = (
    "DistilBERT keeps half of BERT's layers.",
    "The student model has six layers instead of twelve.",
    "ALBERT shares one set of weights across all layers.",
    "The weather in Lisbon is warm in September.",
)
DEFAULT_QUANTIZE = (
    "Quantization stores each weight in eight bits.",
    "DeBERTa separates content and position in attention.",
)


@dataclass
class DemoState:
    """The three demo forms as filled in (one sentence per line) and their results."""

    text: str = DEFAULT_TOKENIZE_TEXT
    sentences: str = "\n".join(DEFAULT_SIMILARITY)
    quantize: str = "\n".join(DEFAULT_QUANTIZE)
    tokenized: list[Tokenized] | None = None
    matrix: list[list[float]] | None = None
    matrix_sentences: list[str] | None = None
    quantized: Quantized | None = None


def sentence_lines(text: str) -> list[str]:
    """A textarea's sentences: one per non-empty line."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _heat(value: float) -> int:
    """A cosine as one of 11 shades (0 for 0 or less, 10 for 1)."""
    return max(0, min(10, round(value * 10)))


def demo_view(demo: DemoState) -> dict[str, Any]:
    """What the demo sections show: the heat-map's cells with their shades, the int8 ratios."""
    heat = None
    if demo.matrix is not None and demo.matrix_sentences is not None:
        heat = [[(value, _heat(value)) for value in row] for row in demo.matrix]
    q = demo.quantized
    return {
        "demo": demo,
        "demo_kinds": KINDS,
        "heat": heat,
        "int8": None
        if q is None
        else {
            "size_ratio": q.weight_bytes_fp32 / q.weight_bytes_int8,
            "time_ratio": q.int8_ms / q.fp32_ms if q.fp32_ms else None,
            "worst": min(q.cosine),
        },
    }


FIVE = service.FIVE


@dataclass(frozen=True)
class PresetChoice:
    name: str
    label: str
    loaded: bool


@dataclass(frozen=True)
class Server:
    """What the forms may offer: presets, MiniLM and the tokenizer (read off the event loop,
    since the first look loads MiniLM)."""

    presets: tuple[PresetChoice, ...]
    max_preset: str
    tokenizer: WordPieceTokenizer | None
    minilm: Built | None
    minilm_problem: str | None

    @property
    def variants(self) -> tuple[str, ...]:
        return (*FIVE, MINILM) if self.minilm is not None else FIVE

    def preset_allowed(self, name: str) -> bool:
        return any(p.name == name for p in self.presets)


def _preset_label(preset: Preset) -> str:
    """'small · H 256'; the largest preset is the published size."""
    width = config_for(BASELINE, preset.value).hidden_size
    return f"{preset.value} · H {width}" + (", as published" if preset is PRESETS[-1] else "")


def server_of(store: ModelStore) -> Server:
    presets = tuple(
        PresetChoice(p.value, _preset_label(p), store.loaded(p)) for p in PRESETS if store.allows(p)
    )
    return Server(
        presets, store.max_preset.value, store.tokenizer, store.pretrained(), store.minilm_problem
    )


@dataclass
class PageState:
    compare: CompareFields
    sweep: SweepFields
    error: str | None = None
    error_form: str | None = None  # "compare" or "sweep"
    error_field: str | None = None
    result: Compared | None = None
    sweep_results: list[Compared] | None = None
    environment: dict[str, Any] | None = None
    demo: DemoState = field(default_factory=DemoState)


# --- estimates for the progress line ----------------------------------------------------------


def _configs(names: Iterable[str], preset: str, server: Server) -> list[EncoderConfig]:
    out = []
    for name in names:
        if name == MINILM:
            if server.minilm is not None:
                out.append(server.minilm.config)
        elif name in FIVE:
            out.append(config_for(name, preset))
    return out


def _work_table(server: Server) -> str:
    """GFLOP of one forward pass per preset, variant and sweep length, for lab.js's estimate."""
    table: dict[str, Any] = {
        "lengths": list(SWEEP_LENGTHS),
        "passes_extra": WARMUP + MODULE_PASSES,
        "passes_per_run": PASSES_PER_RUN,
        "rate": service.ASSUMED_GFLOP_PER_S,
        "gflop": {},
    }
    for preset in server.presets:
        table["gflop"][preset.name] = {
            name: [round(cost.flops_total(c, n) / 1e9, 6) for n in SWEEP_LENGTHS]
            for name, c in zip(
                server.variants, _configs(server.variants, preset.name, server), strict=True
            )
        }
    return json.dumps(table, separators=(",", ":"))


def _estimate(
    names: Iterable[str], preset: str, lengths: Sequence[int], runs: int, server: Server
) -> float:
    configs = _configs({BASELINE, *names}, preset, server)
    return service.estimate_seconds(service.work_gflop(configs, lengths, runs))


def _compare_length(f: CompareFields, server: Server) -> int:
    """The tokens the compare form asks for, as far as it can be read (for the estimate)."""
    if f.source == "text" and server.tokenizer is not None and 0 < len(f.text) <= MAX_TEXT_CHARS:
        return len(server.tokenizer.encode(f.text, max_length=MAX_SEQ_LEN).ids)
    return _safe_int(f.seq_len, DEFAULT_SEQ_LEN, MAX_SEQ_LEN)


def _safe_int(raw: str, default: int, high: int) -> int:
    value = ascii_int(raw, low=1, high=high)
    return default if value is None else value


def _estimates(state: PageState, server: Server) -> dict[str, Any]:
    """The forms' presets as the page selects them, and each form's estimated seconds."""
    f, s = state.compare, state.sweep
    preset = f.preset if server.preset_allowed(f.preset) else server.presets[0].name
    sweep_preset = s.preset if server.preset_allowed(s.preset) else server.presets[0].name
    sweep_lengths = [n for n in map(ascii_int, s.lengths) if n is not None and n in SWEEP_LENGTHS]
    runs = _safe_int(f.runs, DEFAULT_RUNS, MAX_RUNS)
    sweep_runs = _safe_int(s.runs, DEFAULT_SWEEP_RUNS, MAX_RUNS)
    return {
        "work": _work_table(server),
        "rate": service.ASSUMED_GFLOP_PER_S,
        "preset_loaded": next(p.loaded for p in server.presets if p.name == preset),
        "estimate": _estimate(f.variants, preset, [_compare_length(f, server)], runs, server),
        "sweep_estimate": _estimate(
            s.variants, sweep_preset, sweep_lengths or DEFAULT_SWEEP_LENGTHS, sweep_runs, server
        ),
    }


# --- the whole page ---------------------------------------------------------------------------


def context(state: PageState, server: Server, content: ContentIndex) -> dict[str, Any]:
    """Everything ``lab/lab.html`` reads."""
    focus = state.compare.focus if state.compare.focus in ARCHITECTURES else ""
    return {
        "f": state.compare,
        "s": state.sweep,
        "server": server,
        "weights_note": service.WEIGHTS_NOTE,
        "architectures": ARCHITECTURES,
        "five": FIVE,
        "minilm": MINILM,
        "focus": ARCHITECTURES[focus] if focus else None,
        "sweep_lengths": SWEEP_LENGTHS,
        "max_runs": MAX_RUNS,
        "max_seq_len": MAX_SEQ_LEN,
        "max_text": MAX_TEXT_CHARS,
        **_estimates(state, server),
        "error": state.error,
        "error_form": state.error_form,
        "error_field": state.error_field,
        "result": tables.result_view(state.result, content, focus) if state.result else None,
        "sweep": tables.sweep_view(state.sweep_results) if state.sweep_results else None,
        "environment": tables.environment_view(state.environment) if state.environment else None,
        **demo_view(state.demo),
    }
