"""Lab use cases: check a request against this server, then run one model, compare several or
sweep sequence lengths.

Plain Python over numpy: the API and the page call these (the runs through the pool). Requests
arrive as ``app.lab.requests`` models, their schema already checked; the checks here need the
server (the preset cap, MiniLM and the tokenizer installed, the work limit) or the comparison's
models (the prediction), and refuse with a ``Refused`` that says what to change.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from app.encoders import cost
from app.encoders.configs import EncoderConfig, Preset, Variant, config_for
from app.encoders.ops import Timer
from app.encoders.tokenizer import WordPieceTokenizer
from app.encoders.variants import ARCHITECTURES, MINILM
from app.errors import InvalidInput
from app.lab.pool import blas_info, blas_threads
from app.lab.requests import DEFAULT_RUNS, MAX_SEQ_LEN, CompareIn, Refused, RunIn, SweepIn
from app.lab.results import (  # Compared, LabInput, Row, score_prediction: also known from here
    BASELINE,
    Compared,
    LabInput,
    Row,
    check_prediction,
    explained,
    score_prediction,
)
from app.lab.store import Built, ModelStore, PresetNotAllowed
from app.lab.timing import MODULE_PASSES, PASSES_PER_RUN, WARMUP, measure_interleaved

__all__ = [
    "ASSUMED_GFLOP_PER_S",
    "DEFAULT_RUNS",
    "FIVE",
    "WEIGHTS_NOTE",
    "Checked",
    "Compared",
    "LabInput",
    "Row",
    "check_choice",
    "check_compare",
    "check_sweep",
    "compare",
    "environment",
    "estimate_seconds",
    "make_input",
    "pretrained",
    "score_prediction",
    "sweep",
    "work_gflop",
]

ASSUMED_GFLOP_PER_S = 40.0  # for estimates before anything has been measured

# BLAS threads for the timed passes, by preset; None: the pool's (lab_threads). The tiny preset's
# products ([384, 128] @ [128, n] and the like) gain nothing from a second thread, and with one a
# product waits for its partner whenever other work holds the other core: on the shared 2-core VM
# BERT tiny took 59-117 ms (p90 400) on two threads against 13-14 ms on one, the same minutes.
PRESET_THREADS: dict[Preset, int | None] = {Preset.tiny: 1}
FIVE = tuple(v.value for v in Variant)

WEIGHTS_NOTE = (
    "The five variants run on random weights from a fixed seed: they measure cost (parameters, "
    "FLOPs, memory, time), not quality. MiniLM runs its real trained weights."
)

Ids = NDArray[np.int64]

CLS, SEP = 101, 102  # WordPiece ids of [CLS] and [SEP]


def make_input(
    tokenizer: WordPieceTokenizer | None, *, text: str | None, seq_len: int | None
) -> LabInput:
    """The learner's text, tokenised, or else a sequence of ``seq_len`` synthetic tokens."""
    if text is None:
        assert seq_len is not None, "a request model sends text or seq_len"
        return LabInput(_synthetic_ids(seq_len), None)
    if tokenizer is None:
        raise Refused(
            "The WordPiece tokenizer is not installed on this server (run `bertprep fetch-model`); "
            "send 'seq_len' instead of 'text'.",
            code="no_tokenizer",
            field="text",
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


# --- checks against this server ---------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """A request this server will run: the preset, the models (BERT first unless the request
    put it elsewhere), one input per length, the runs and the learner's predicted order."""

    preset: Preset
    names: tuple[str, ...]
    inputs: tuple[LabInput, ...]
    runs: int
    predicted: tuple[str, ...] | None = None


def check_choice(
    store: ModelStore, preset: str, names: Sequence[str] | None
) -> tuple[Preset, tuple[str, ...]]:
    """The preset (a known name), if this server builds it, and the models to run: ``names``
    (all of them when None or empty) with BERT, and MiniLM only where it is installed."""
    chosen_preset = Preset(preset)
    if not store.allows(chosen_preset):
        raise Refused(
            f"this server runs presets up to '{store.max_preset.value}'; '{preset}' is larger",
            code="preset_cap",
            field="preset",
            largest=store.max_preset.value,
            preset=preset,
        )
    everything = [*FIVE, *([MINILM] if store.pretrained() is not None else [])]
    chosen = list(dict.fromkeys(names)) if names else everything
    if MINILM in chosen:
        pretrained(store)
    if BASELINE not in chosen:
        chosen.insert(0, BASELINE)
    return chosen_preset, tuple(chosen)


def pretrained(store: ModelStore) -> Built:
    """MiniLM, or a refusal that says why this server has none."""
    built = store.pretrained()
    if built is None:
        raise Refused(
            f"'{MINILM}' is not available: {store.minilm_problem}",
            code="minilm",
            field="variants",
            problem=store.minilm_problem,
        )
    return built


def check_compare(store: ModelStore, body: RunIn | CompareIn) -> Checked:
    """A run or comparison checked before any work: 422 (``Refused``) for what this server will
    not do. ``runs`` left out: DEFAULT_RUNS, or as many as the work limit allows if fewer."""
    lab_input = make_input(store.tokenizer, text=body.text, seq_len=body.seq_len)
    names = [body.variant] if isinstance(body, RunIn) else body.variants
    preset, chosen = check_choice(store, body.preset, names)
    runs = _runs(store, _configs(chosen, preset, store), [lab_input.seq_len], body.runs)
    predicted = body.predicted if isinstance(body, CompareIn) else None
    if predicted:
        check_prediction(predicted, chosen)
    return Checked(preset, chosen, (lab_input,), runs, tuple(predicted) if predicted else None)


def check_sweep(store: ModelStore, body: SweepIn) -> Checked:
    """A sweep checked before any work, as ``check_compare``: one synthetic input per length."""
    preset, chosen = check_choice(store, body.preset, body.variants)
    runs = _runs(store, _configs(chosen, preset, store), body.lengths, body.runs)
    inputs = tuple(make_input(None, text=None, seq_len=n) for n in body.lengths)
    return Checked(preset, chosen, inputs, runs)


def _configs(names: Sequence[str], preset: Preset, store: ModelStore) -> list[EncoderConfig]:
    out = []
    for name in names:
        if name == MINILM:
            out.append(pretrained(store).config)
        else:
            out.append(config_for(name, preset.value))
    return out


def _pass_gflop(configs: Sequence[EncoderConfig], seq_lens: Sequence[int]) -> float:
    """One pass of every model at every length."""
    return sum(cost.flops_total(c, n) for c in configs for n in seq_lens) / 1e9


def work_gflop(configs: Sequence[EncoderConfig], seq_lens: Sequence[int], runs: int) -> float:
    """FLOPs a request will spend: warm-up, timed (each after an untimed pass) and module passes
    of every model and length."""
    return _pass_gflop(configs, seq_lens) * (runs * PASSES_PER_RUN + WARMUP + MODULE_PASSES)


def estimate_seconds(gflop: float) -> float:
    return gflop / ASSUMED_GFLOP_PER_S


def _runs(
    store: ModelStore, configs: Sequence[EncoderConfig], seq_lens: Sequence[int], runs: int | None
) -> int:
    """The runs to do: those asked for, if the work fits the server's limit (setting
    lab_max_work); none asked for: DEFAULT_RUNS, or as many as fit if fewer, never under one."""
    limit = store.max_work_gflop
    if runs is None:
        spare = limit / _pass_gflop(configs, seq_lens) - WARMUP - MODULE_PASSES
        runs = max(1, min(DEFAULT_RUNS, int(spare // PASSES_PER_RUN)))
    gflop = work_gflop(configs, seq_lens, runs)
    if gflop > limit:
        raise Refused(
            f"That request needs about {gflop:,.1f} GFLOP; this server allows {limit:,.1f} "
            "per request. Ask for fewer runs, a shorter sequence or a smaller preset.",
            code="work",
            field=None,
        )
    return runs


# --- runs -------------------------------------------------------------------------------------


def compare(store: ModelStore, checked: Checked) -> Compared:
    """Run the models on the checked input, interleaved, and explain each against BERT."""
    return _compare(store, checked, checked.inputs[0])


def sweep(store: ModelStore, checked: Checked) -> list[Compared]:
    """A comparison at each length, for latency against sequence length."""
    return [_compare(store, checked, lab_input) for lab_input in checked.inputs]


def _compare(store: ModelStore, checked: Checked, lab_input: LabInput) -> Compared:
    preset = checked.preset
    try:
        built = [store.model(name, preset) for name in checked.names]
    except PresetNotAllowed as exc:
        raise InvalidInput(str(exc)) from None
    threads = PRESET_THREADS.get(preset)
    with blas_threads(threads):
        measured = measure_interleaved([_pass(b, lab_input) for b in built], checked.runs)
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
    rows = explained(rows, preset)
    guess = score_prediction(checked.predicted, rows) if checked.predicted else None
    return Compared(preset, lab_input, checked.runs, tuple(rows), guess, blas_threads=threads)


def _pass(built: Built, lab_input: LabInput) -> Callable[[Timer], object]:
    ids, mask = _ids_for(built.config, lab_input)
    architecture = ARCHITECTURES[built.name]

    def one(timer: Timer) -> object:
        return architecture.run(built.weights, built.config, ids, mask, timer)

    return one


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
