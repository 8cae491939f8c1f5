"""Lab use cases: run one model, compare several, sweep sequence lengths.

Everything here is plain Python over numpy: the API and the page call these through the pool.
Inputs are checked before any work starts (unknown names, lengths, a request too large for this
server) and every problem is an ``InvalidInput`` whose message says what to change.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from app.encoders import cost
from app.encoders.configs import PRESETS, EncoderConfig, Preset, Variant, config_for
from app.encoders.ops import Timer
from app.encoders.tokenizer import WordPieceTokenizer
from app.encoders.variants import ARCHITECTURES, MINILM
from app.errors import InvalidInput
from app.lab.pool import blas_info
from app.lab.store import Built, ModelStore, PresetNotAllowed
from app.lab.timing import MODULE_PASSES, WARMUP, Measured, measure_interleaved

__all__ = [
    "MAX_RUNS",
    "MAX_SEQ_LEN",
    "MAX_TEXT_CHARS",
    "MAX_WORK_GFLOP",
    "SWEEP_LENGTHS",
    "Compared",
    "LabInput",
    "Prediction",
    "Row",
    "check_prediction",
    "compare",
    "environment",
    "estimate_seconds",
    "make_input",
    "score_prediction",
    "sweep",
]

MAX_SEQ_LEN = 512
MAX_RUNS = 50
DEFAULT_RUNS = 10  # with 5, RoBERTa (BERT's own encoder) read 1.2x BERT in one run on the 2-core VM
MAX_TEXT_CHARS = 4000
# The default for the most work one request may ask for, in GFLOP (runs x models x a forward
# pass): about half a minute on a 2-core machine (setting lab_max_work). Beyond it: 422.
MAX_WORK_GFLOP = 2500.0
SWEEP_LENGTHS = (16, 32, 64, 128, 256, 512)
ASSUMED_GFLOP_PER_S = 40.0  # for estimates before anything has been measured
FIVE = tuple(v.value for v in Variant)

Ids = NDArray[np.int64]

CLS, SEP = 101, 102  # WordPiece ids of [CLS] and [SEP]


@dataclass(frozen=True)
class LabInput:
    """Token ids from the lab's WordPiece tokenizer (or synthetic ones for a bare length)."""

    ids: tuple[int, ...]
    tokens: tuple[str, ...] | None  # None for a synthetic sequence
    truncated: bool = False

    @property
    def seq_len(self) -> int:
        return len(self.ids)


def make_input(
    tokenizer: WordPieceTokenizer | None, *, text: str | None, seq_len: int | None
) -> LabInput:
    """The learner's text, tokenised, or a sequence of ``seq_len`` synthetic tokens."""
    if text is None and seq_len is None:
        raise InvalidInput("Send 'text' (a sentence to tokenise) or 'seq_len' (synthetic tokens).")
    if text is not None and seq_len is not None:
        raise InvalidInput("Send either 'text' or 'seq_len', not both.")
    if seq_len is not None:
        if not 1 <= seq_len <= MAX_SEQ_LEN:
            raise InvalidInput(f"seq_len must be between 1 and {MAX_SEQ_LEN}, got {seq_len}.")
        return LabInput(_synthetic_ids(seq_len), None)
    assert text is not None
    if not text.strip():
        raise InvalidInput("'text' is empty: type a sentence, or send 'seq_len' instead.")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(
            f"'text' is {len(text)} characters; the lab takes at most {MAX_TEXT_CHARS}."
        )
    if tokenizer is None:
        raise InvalidInput(
            "The WordPiece tokenizer is not installed on this server (run `bertprep fetch-model`); "
            "send 'seq_len' instead of 'text'."
        )
    encoding = tokenizer.encode(text, max_length=MAX_SEQ_LEN)
    ids = tuple(int(i) for i in encoding.ids)
    return LabInput(ids, tuple(encoding.tokens), truncated=encoding.truncated)


@cache
def _synthetic_ids(seq_len: int) -> tuple[int, ...]:
    """[CLS] w1 … [SEP], ids drawn once from a fixed seed within every variant's vocabulary."""
    rng = np.random.default_rng(seq_len)
    body = rng.integers(1000, 29000, size=max(0, seq_len - 2))
    ids = [CLS, *body.tolist(), SEP][:seq_len]
    return tuple(int(i) for i in ids)


def _ids_for(config: EncoderConfig, lab_input: LabInput) -> tuple[Ids, Ids]:
    """[1, n] ids inside the model's vocabulary, and an all-ones mask.

    WordPiece ids beyond a smaller vocabulary (ALBERT's 30,000) are folded into it, and an id
    equal to the model's padding id (RoBERTa's 1) is moved off it, so no real token is masked.
    A random-weight model's cost does not depend on which ids it sees."""
    ids = np.asarray(lab_input.ids, dtype=np.int64) % config.vocab_size
    ids[ids == config.pad_token_id] = (config.pad_token_id + 1) % config.vocab_size
    return ids[None, :], np.ones((1, ids.shape[0]), dtype=np.int64)


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    name: str
    title: str
    pretrained: bool
    config: EncoderConfig
    cost: cost.Cost
    measured: Measured
    explanation: str = ""
    lesson_url: str = ""
    ratios: dict[str, float] = field(default_factory=dict)  # params, flops, latency vs BERT

    @property
    def gflops_per_s(self) -> float:
        return self.cost.flops_total / (self.measured.latency.median_ms / 1000) / 1e9


@dataclass(frozen=True)
class Prediction:
    predicted: tuple[str, ...]
    measured: tuple[str, ...]
    pairs_right: int
    pairs: int
    exact: int

    @property
    def message(self) -> str:
        if self.pairs_right == self.pairs:
            return "You predicted the order exactly."
        return (
            f"You ordered {self.pairs_right} of {self.pairs} pairs correctly "
            f"({self.exact} of {len(self.predicted)} in the exact place)."
        )


# A model's p10-p90 spread wider than this share of its median makes the run "noisy".
NOISY_SPREAD = 0.5


@dataclass(frozen=True)
class Compared:
    preset: Preset
    lab_input: LabInput
    runs: int
    rows: tuple[Row, ...]
    prediction: Prediction | None = None

    @property
    def noisy(self) -> bool:
        """Timings spread widely (a busy machine, or too few runs): ratios may mislead."""
        return any(
            (r.measured.latency.p90_ms - r.measured.latency.p10_ms)
            > NOISY_SPREAD * r.measured.latency.median_ms
            for r in self.rows
        )


def _check_names(names: Sequence[str] | None, store: ModelStore) -> tuple[str, ...]:
    if not names:
        chosen = [*FIVE, *([MINILM] if store.pretrained() is not None else [])]
    else:
        unknown = [n for n in names if n not in ARCHITECTURES]
        if unknown:
            raise InvalidInput(
                f"unknown variant {unknown[0]!r}; choose from {', '.join(ARCHITECTURES)}"
            )
        chosen = list(dict.fromkeys(names))
    if MINILM in chosen and store.pretrained() is None:
        raise InvalidInput(f"'{MINILM}' is not available: {store.minilm_problem}")
    if "bert" not in chosen:
        chosen.insert(0, "bert")  # every ratio is taken against BERT, measured in the same run
    return tuple(chosen)


def _preset(name: str, store: ModelStore) -> Preset:
    try:
        preset = Preset(name)
    except ValueError:
        raise InvalidInput(
            f"unknown preset {name!r}; choose from {', '.join(p.value for p in PRESETS)}"
        ) from None
    if not store.allows(preset):
        raise InvalidInput(
            f"this server runs presets up to '{store.max_preset.value}'; '{name}' is larger"
        )
    return preset


def _check_runs(runs: int) -> None:
    if not 1 <= runs <= MAX_RUNS:
        raise InvalidInput(f"runs must be between 1 and {MAX_RUNS}, got {runs}.")


def _configs(names: Sequence[str], preset: Preset, store: ModelStore) -> list[EncoderConfig]:
    out = []
    for name in names:
        if name == MINILM:
            built = store.pretrained()
            assert built is not None
            out.append(built.config)
        else:
            out.append(config_for(name, preset.value))
    return out


def _pass_gflop(configs: Sequence[EncoderConfig], seq_lens: Sequence[int]) -> float:
    """One pass of every model at every length."""
    return sum(cost.flops_total(c, n) for c in configs for n in seq_lens) / 1e9


def work_gflop(configs: Sequence[EncoderConfig], seq_lens: Sequence[int], runs: int) -> float:
    """FLOPs a request will spend: warm-up, timed and module passes of every model and length."""
    return _pass_gflop(configs, seq_lens) * (runs + WARMUP + MODULE_PASSES)


def estimate_seconds(gflop: float, rate: float | None = None) -> float:
    return gflop / (rate or ASSUMED_GFLOP_PER_S)


def _check_work(
    configs: Sequence[EncoderConfig], seq_lens: Sequence[int], runs: int, limit: float
) -> None:
    gflop = work_gflop(configs, seq_lens, runs)
    if gflop > limit:
        raise InvalidInput(
            f"That request needs about {gflop:,.1f} GFLOP; this server allows {limit:,.1f} "
            "per request. Ask for fewer runs, a shorter sequence or a smaller preset."
        )


def validate(
    store: ModelStore,
    *,
    preset: str,
    names: Sequence[str] | None,
    runs: int | None,
    seq_lens: Sequence[int],
) -> tuple[Preset, tuple[str, ...], int]:
    """Check a request before any work: names, preset, runs and the total work.

    ``runs`` None (the request named none): DEFAULT_RUNS, or as many as the server's work limit
    allows if that is fewer, never under one. Runs a request names are checked as they are.
    Returns the preset, the model names and the runs to do.
    """
    chosen_preset = _preset(preset, store)
    chosen = _check_names(names, store)
    configs = _configs(chosen, chosen_preset, store)
    if runs is None:
        fitting = (
            int(store.max_work_gflop / _pass_gflop(configs, seq_lens)) - WARMUP - MODULE_PASSES
        )
        runs = max(1, min(DEFAULT_RUNS, fitting))
    _check_runs(runs)
    _check_work(configs, seq_lens, runs, store.max_work_gflop)
    return chosen_preset, chosen, runs


def compare(
    store: ModelStore,
    *,
    preset: Preset,
    names: Sequence[str],
    lab_input: LabInput,
    runs: int,
    predicted: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Compared:
    """Run the models on one input, interleaved, and explain each against BERT."""
    try:
        built = [store.model(name, preset) for name in names]
    except PresetNotAllowed as exc:
        raise InvalidInput(str(exc)) from None
    measured = measure_interleaved([_pass(b, lab_input) for b in built], runs, progress=progress)
    rows = [
        Row(
            name=b.name,
            title=ARCHITECTURES[b.name].title,
            pretrained=b.pretrained,
            config=b.config,
            cost=cost.cost(b.config, lab_input.seq_len),
            measured=m,
        )
        for b, m in zip(built, measured, strict=True)
    ]
    rows = _explained(rows, preset)
    guess = score_prediction(predicted, rows) if predicted else None
    return Compared(preset, lab_input, runs, tuple(rows), guess)


def _pass(built: Built, lab_input: LabInput) -> Callable[[Timer], object]:
    ids, mask = _ids_for(built.config, lab_input)
    architecture = ARCHITECTURES[built.name]

    def one(timer: Timer) -> object:
        return architecture.run(built.weights, built.config, ids, mask, timer)

    return one


def sweep(
    store: ModelStore,
    *,
    preset: Preset,
    names: Sequence[str],
    seq_lens: Sequence[int],
    runs: int,
) -> list[Compared]:
    """``compare`` at each length (synthetic tokens), for latency against sequence length."""
    return [
        compare(
            store,
            preset=preset,
            names=names,
            lab_input=make_input(None, text=None, seq_len=n),
            runs=runs,
        )
        for n in seq_lens
    ]


# --- explanations and predictions ---------------------------------------------------------

_LESSONS = {
    "bert": "/lessons/bert#flops-per-layer",
    "roberta": "/lessons/roberta#where-the-extra-parameters-live",
    "distilbert": "/lessons/distilbert#speed-and-accuracy",
    "albert": "/lessons/albert#does-albert-run-faster",
    "deberta": "/lessons/deberta#what-it-costs",
    "minilm": "/lessons/distilbert#knowledge-distillation",
}


def _explained(rows: list[Row], preset: Preset) -> list[Row]:
    base = next((r for r in rows if r.name == "bert"), None)
    if base is None:  # a single run of another variant: nothing to compare against
        return [
            Row(
                r.name,
                r.title,
                r.pretrained,
                r.config,
                r.cost,
                r.measured,
                ARCHITECTURES[r.name].summary,
                _LESSONS[r.name],
            )
            for r in rows
        ]
    out = []
    for row in rows:
        ratios = {
            "params": row.cost.parameters.total / base.cost.parameters.total,
            "flops": row.cost.flops_total / base.cost.flops_total,
            "latency": row.measured.latency.median_ms / base.measured.latency.median_ms,
        }
        text = _explain(row, ratios, preset)
        out.append(
            Row(
                row.name,
                row.title,
                row.pretrained,
                row.config,
                row.cost,
                row.measured,
                text,
                _LESSONS[row.name],
                ratios,
            )
        )
    return out


def _explain(row: Row, r: dict[str, float], preset: Preset) -> str:
    p, f, t = r["params"], r["flops"], r["latency"]
    match row.name:
        case "bert":
            return "BERT: the baseline every ratio is measured against, in this same run."
        case "roberta":
            return (
                f"RoBERTa: {p:.2f}× BERT's parameters, the extra all in its 50k-token embedding "
                f"table; the same encoder, so {f:.2f}× the FLOPs and {t:.2f}× the time."
            )
        case "distilbert":
            speed = f"{1 / t:.1f}× as fast" if t < 1 else "no faster in this run: try more runs"
            return (
                f"DistilBERT: half the layers, so {f:.2f}× the FLOPs and {t:.2f}× the time "
                f"({speed}), with {p:.2f}× the parameters."
            )
        case "albert":
            line = (
                f"ALBERT: {1 / p:.0f}× fewer parameters, {f:.2f}× the FLOPs, {t:.2f}× the time: "
                "sharing one layer saves memory, not work."
            )
            if t < 0.9:  # seen at small presets on CPUs: say why rather than let it mislead
                line += (
                    " It ran a little faster here because its single layer's weights stay in the "
                    "CPU cache and its tanh GELU is cheaper than BERT's exact one; the "
                    "gap narrows as the model widens."
                )
            return line
        case "deberta":
            return (
                f"DeBERTa-v3: {t:.2f}× the time for {f:.2f}× the FLOPs: the relative-position "
                "terms add work in every layer; its "
                f"{p:.2f}× parameters are mostly the 128k-token embedding table."
            )
        case _:
            return (
                f"MiniLM-L6: trained weights, 6 layers of width 384: {p:.2f}× the parameters and "
                f"{t:.2f}× the time of BERT at the {preset.value} preset."
            )


def check_prediction(predicted: Sequence[str], names: Sequence[str]) -> None:
    """A prediction ranks two or more of the compared variants, each once."""
    if set(predicted) - set(names):
        raise InvalidInput(
            f"the prediction may only name variants in this comparison: {', '.join(names)}"
        )
    if len(set(predicted)) != len(predicted):
        raise InvalidInput("the prediction names a variant twice; rank each one once")
    if len(predicted) < 2:
        raise InvalidInput("a prediction ranks at least two variants, fastest first")


def score_prediction(predicted: Sequence[str], rows: Sequence[Row]) -> Prediction:
    """How close a predicted fastest-to-slowest order came to the measured one."""
    check_prediction(predicted, [r.name for r in rows])
    measured = [r.name for r in sorted(rows, key=lambda r: r.measured.latency.median_ms)]
    order = [n for n in measured if n in predicted]
    pairs = right = 0
    for i, a in enumerate(predicted):
        for b in predicted[i + 1 :]:
            pairs += 1
            right += order.index(a) < order.index(b)
    exact = sum(1 for a, b in zip(predicted, order, strict=True) if a == b)
    return Prediction(tuple(predicted), tuple(order), right, pairs, exact)


# --- environment ----------------------------------------------------------------------------


@cache
def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(*, workers: int) -> dict[str, object]:
    """What the timings were taken on."""
    return {
        "numpy": np.__version__,
        "blas": blas_info(),
        "cpu": _cpu(),
        "cpu_count": os.cpu_count(),
        "lab_workers": workers,
        "python": platform.python_version(),
    }
