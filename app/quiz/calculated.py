"""Calculated questions: a ``numeric`` answer computed from the lab's cost model with drawn inputs.

A question names a formula from ``FORMULAS`` (a fixed table: nothing written in content is ever
evaluated) and, for each of the formula's parameters, the values it may take. The values are drawn
with ``random.Random(seed)``, so the seed alone rebuilds them: the page and the API hand out a seed
with the question, the learner sends it back with the answer, and grading, which stays pure,
recomputes the expected value from it.

Prompts and explanations show the values through ``{{name}}`` placeholders (``{{answer}}`` is the
expected value, for explanations). They are filled into the HTML rendered once at start-up, so a
placeholder must stand in plain text, outside ``$…$`` math, which turns it into MathML.
"""

from __future__ import annotations

import html
import math
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.content.formulas import ANSWER, PLACEHOLDER, Compute, Formula, placeholders
from app.encoders import cost

__all__ = [
    "ANSWER",
    "FORMULAS",
    "SEED_LIMIT",
    "Compute",
    "Drawn",
    "Formula",
    "draw",
    "fill",
    "format_number",
    "new_seed",
    "placeholders",
]

SEED_LIMIT = 2**31  # seeds are 0 … SEED_LIMIT - 1


# --- Derived formulas, built only from the cost model's -----------------------------------------


def factorised_embedding_saving(V: int, E: int, H: int) -> int:
    """Parameters ALBERT's factorisation saves on the token table: VH - (VE + EH + H)."""
    return cost.embedding_table_params(V, H) - cost.albert_embedding_params(V, E, H)


def factorised_embedding_ratio(V: int, E: int, H: int) -> float:
    """How many times smaller the factorised token embedding is: VH / (VE + EH + H)."""
    return cost.embedding_table_params(V, H) / cost.albert_embedding_params(V, E, H)


def encoder_params(L: int, H: int, I: int) -> int:  # noqa: E741
    """L layers, each with its own weights: L(4H^2 + 2HI + 9H + I)."""
    return L * cost.layer_params(H, I)


def shared_layers_saving(L: int, H: int, I: int) -> int:  # noqa: E741
    """What ALBERT's cross-layer sharing saves: L - 1 layers' weights, (L - 1) * layer_params."""
    return (L - 1) * cost.layer_params(H, I)


def removed_layers_params(L_teacher: int, L_student: int, H: int, I: int) -> int:  # noqa: E741
    """Parameters a shallower student drops: (L_teacher - L_student) * layer_params."""
    return (L_teacher - L_student) * cost.layer_params(H, I)


def extra_vocabulary_params(V_old: int, V_new: int, H: int) -> int:
    """Token-table parameters a larger vocabulary adds at width H: (V_new - V_old) H."""
    return cost.embedding_table_params(V_new - V_old, H)


def token_embedding_params(V: int, H: int) -> int:
    """The token-embedding table of a vocabulary of V entries at width H: V * H."""
    return cost.embedding_table_params(V, H)


def layer_flops(n: int, H: int, I: int) -> int:  # noqa: E741
    """One layer on n tokens: projections + attention + feed-forward, 8nH^2 + 4n^2H + 4nHI."""
    return cost.projection_flops(n, H) + cost.attention_flops(n, H) + cost.ffn_flops(n, H, I)


def attention_flops_percent(n: int, H: int, I: int) -> float:  # noqa: E741
    """The quadratic term's share of one layer's FLOPs, in percent: 100 * 4n^2H / layer_flops."""
    return 100 * cost.attention_flops(n, H) / layer_flops(n, H, I)


def attention_crossover_length(H: int, I: int) -> int:  # noqa: E741
    """Tokens at which one layer's n^2 term equals the rest, 4n^2H = 8nH^2 + 4nHI: n = 2H + I."""
    return 2 * H + I


def deberta_relative_flops(n: int, rows: int, H: int) -> int:
    """DeBERTa's extra work per layer: project the rows (4rH^2) and score c2p and p2c (4nrH)."""
    return cost.relative_projection_flops(rows, H) + cost.relative_attention_flops(n, rows, H)


def int8_saving_bytes(P: int) -> int:
    """Bytes saved by storing P weights in int8 (1 byte) instead of float32 (4 bytes): 4P - P = 3P."""
    return 4 * P - P


# --- The table ----------------------------------------------------------------------------------


_FUNCTIONS: tuple[Callable[..., float], ...] = (
    # Parameters, from the cost model
    cost.albert_embedding_params,
    cost.bert_embedding_params,
    cost.embedding_table_params,
    cost.linear_params,
    cost.attention_params,
    cost.feed_forward_params,
    cost.layer_params,
    cost.pooler_params,
    cost.relative_table_params,
    # FLOPs, from the cost model
    cost.projection_flops,
    cost.attention_flops,
    cost.ffn_flops,
    cost.embedding_projection_flops,
    cost.relative_projection_flops,
    cost.relative_attention_flops,
    cost.pooler_flops,
    # Derived here
    factorised_embedding_saving,
    factorised_embedding_ratio,
    encoder_params,
    shared_layers_saving,
    removed_layers_params,
    extra_vocabulary_params,
    token_embedding_params,
    layer_flops,
    attention_flops_percent,
    attention_crossover_length,
    deberta_relative_flops,
    int8_saving_bytes,
)
FORMULAS: dict[str, Formula] = {f.__name__: Formula(f) for f in _FUNCTIONS}


# --- Drawing and showing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Drawn:
    """One draw: the seed, the input values and the formula's value at them."""

    seed: int
    values: dict[str, int]
    answer: float

    def as_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "values": dict(self.values), "answer": self.answer}

    @property
    def shown(self) -> dict[str, float]:
        """What placeholders stand for: the inputs and ``answer``."""
        return {**self.values, ANSWER: self.answer}


def draw(compute: Compute, seed: int) -> Drawn:
    """The values ``seed`` picks, in parameter order (so the YAML key order does not matter)."""
    rng = random.Random(seed)
    values = {name: rng.choice(choices) for name, choices in compute.inputs}
    return Drawn(seed, values, FORMULAS[compute.function].function(**values))


def new_seed(rng: random.Random) -> int:
    return rng.randrange(SEED_LIMIT)


def format_number(value: float, digits: int = 4) -> str:
    """Thousands separators, no exponent; integers in full, others to ``digits`` significant
    digits."""
    if not math.isfinite(value):
        return str(value)
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fill(text: str, values: Mapping[str, float]) -> str:
    """``text`` (Markdown or HTML) with each known placeholder replaced by its formatted value."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return html.escape(format_number(values[name])) if name in values else match.group(0)

    return PLACEHOLDER.sub(value, text)
