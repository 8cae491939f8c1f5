"""A comparison's results and what they mean: the rows measured, each explained against BERT,
the noisy-timings flag and the learner's predicted order scored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from app.encoders import cost
from app.encoders.configs import EncoderConfig, Preset, Variant
from app.encoders.variants import ARCHITECTURES, MINILM
from app.lab.requests import Refused
from app.lab.timing import Measured, Spread, ratio_spread

__all__ = [
    "BASELINE",
    "Compared",
    "LabInput",
    "Prediction",
    "Row",
    "check_prediction",
    "explained",
    "score_prediction",
    "time_words",
]

BASELINE = Variant.bert.value  # every ratio is taken against BERT, measured in the same run


@dataclass(frozen=True)
class LabInput:
    """Token ids from the lab's WordPiece tokenizer (or synthetic ones for a bare length)."""

    ids: tuple[int, ...]
    tokens: tuple[str, ...] | None  # None for a synthetic sequence
    truncated: bool = False

    @property
    def seq_len(self) -> int:
        return len(self.ids)


# --- rows ------------------------------------------------------------------------------


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
    # latency vs BERT round by round: median (= ratios["latency"]) and p10-p90 over the rounds
    latency_spread: Spread | None = None

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
    blas_threads: int | None = None  # the timed passes' BLAS threads, where the preset set them

    @property
    def noisy(self) -> bool:
        """Timings spread widely (a busy machine, or too few runs): ratios may mislead."""
        return any(
            (r.measured.latency.p90_ms - r.measured.latency.p10_ms)
            > NOISY_SPREAD * r.measured.latency.median_ms
            for r in self.rows
        )


# --- explanations and predictions ---------------------------------------------------------

_LESSONS = {
    Variant.bert: "/lessons/bert#flops-per-layer",
    Variant.roberta: "/lessons/roberta#where-the-extra-parameters-live",
    Variant.distilbert: "/lessons/distilbert#speed-and-accuracy",
    Variant.albert: "/lessons/albert#does-albert-run-faster",
    Variant.deberta: "/lessons/deberta#what-it-costs",
    MINILM: "/lessons/distilbert#knowledge-distillation",
}


def explained(rows: Sequence[Row], preset: Preset) -> list[Row]:
    """The rows with their ratios to BERT, a line on what each shows and its lesson."""
    base = next((r for r in rows if r.name == BASELINE), None)
    if base is None:  # a single run of another variant: nothing to compare against
        return [
            replace(r, explanation=ARCHITECTURES[r.name].summary, lesson_url=_LESSONS[r.name])
            for r in rows
        ]
    out = []
    for row in rows:
        spread = ratio_spread(row.measured.latency.runs_ms, base.measured.latency.runs_ms)
        ratios = {
            "params": row.cost.parameters.total / base.cost.parameters.total,
            "flops": row.cost.flops_total / base.cost.flops_total,
            "latency": spread.median,
        }
        explanation = _explain(row, ratios, preset, spread)
        out.append(
            replace(
                row,
                explanation=explanation,
                lesson_url=_LESSONS[row.name],
                ratios=ratios,
                latency_spread=spread,
            )
        )
    return out


def time_words(t: float, spread: Spread) -> str:
    """'0.51x the time', or for a range that holds 1, 'the same time within noise (1.01x,
    0.93-1.09 over the rounds)'."""
    if spread.within_noise:
        return (
            f"the same time within noise ({t:.2f}×, {spread.p10:.2f}–{spread.p90:.2f} over the "
            "rounds)"
        )
    return f"{t:.2f}× the time"


def _explain(row: Row, r: dict[str, float], preset: Preset, spread: Spread) -> str:
    p, f, t = r["params"], r["flops"], r["latency"]
    time = time_words(t, spread)
    match row.name:
        case Variant.bert:
            return "BERT: the baseline every ratio is measured against, in this same run."
        case Variant.roberta:
            return (
                f"RoBERTa: {p:.2f}× BERT's parameters, the extra all in its 50k-token embedding "
                f"table; the same encoder, so {f:.2f}× the FLOPs and {time}."
            )
        case Variant.distilbert:
            fast = t < 1 and not spread.within_noise
            speed = f" ({1 / t:.1f}× as fast)" if fast else ": no faster in this run, try more runs"
            return (
                f"DistilBERT: half the layers, so {f:.2f}× the FLOPs and {time}{speed}, with "
                f"{p:.2f}× the parameters."
            )
        case Variant.albert:
            line = (
                f"ALBERT: {1 / p:.0f}× fewer parameters, {f:.2f}× the FLOPs, {time}: "
                "sharing one layer saves memory, not work."
            )
            if (
                t < 0.9 and not spread.within_noise
            ):  # seen at small presets on CPUs: say why rather than let it mislead
                line += (
                    " It ran a little faster here because its single layer's weights stay in the "
                    "CPU cache and its tanh GELU is cheaper than BERT's exact one; the "
                    "gap narrows as the model widens."
                )
            return line
        case Variant.deberta:
            return (
                f"DeBERTa-v3: {time} for {f:.2f}× the FLOPs: the relative-position "
                "terms add work in every layer; its "
                f"{p:.2f}× parameters are mostly the 128k-token embedding table."
            )
        case _:
            return (
                f"MiniLM-L6: trained weights, 6 layers of width 384: {p:.2f}× the parameters and "
                f"{time} of BERT at the {preset.value} preset."
            )


def check_prediction(predicted: Sequence[str], names: Sequence[str]) -> None:
    """A prediction ranks two or more of the compared variants, each once."""
    if extra := [n for n in predicted if n not in names]:
        raise Refused(
            f"the prediction may only name variants in this comparison: {', '.join(names)}",
            code="prediction_extra",
            field="predicted",
            extra=extra,
        )
    if len(set(predicted)) != len(predicted):
        raise Refused(
            "the prediction names a variant twice; rank each one once",
            code="prediction_twice",
            field="predicted",
        )
    if len(predicted) < 2:
        raise Refused(
            "a prediction ranks at least two variants, fastest first",
            code="prediction_short",
            field="predicted",
        )


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
