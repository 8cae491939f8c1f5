"""The fast encoders against the readable reference (``app.encoders.reference`` and
``reference_deberta``), within 1e-5 at real positions, with and without padding, on every variant
and on MiniLM's real weights; and the reference itself against transformers.

As in test_parity.py, Q and K are scaled up first so attention is far from uniform and a slip in
the mask, the positions or the relative terms would show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from app.encoders import albert, bert, deberta, distilbert, reference, reference_deberta, roberta
from app.encoders.configs import EncoderConfig, config_for
from app.encoders.encoder import EncoderOutput
from app.encoders.minilm import load_minilm
from tests.lab import needs
from tests.lab.reference import hf_model

ATOL = 1e-5
GAIN = 6.0
FAST: dict[str, ModuleType] = {
    "bert": bert,
    "roberta": roberta,
    "distilbert": distilbert,
    "albert": albert,
    "deberta": deberta,
}
REFERENCE: dict[str, Callable[..., EncoderOutput]] = {
    "bert": reference.bert,
    "roberta": reference.roberta,
    "distilbert": reference.distilbert,
    "albert": reference.albert,
    "deberta": reference_deberta.deberta,
}
SCALED = (".query.", ".key.", ".q_lin.", ".k_lin.", ".query_proj.", ".key_proj.")


def small(variant: str, **changes: Any) -> EncoderConfig:
    fields: dict[str, Any] = {"num_hidden_layers": 3, "vocab_size": 500} | changes
    return replace(config_for(variant, "tiny"), **fields)


def sharpened_state(config: EncoderConfig, seed: int = 3) -> dict[str, Any]:
    module = FAST[config.variant]
    state = dict(module.to_state_dict(module.init_weights(config, seed)))
    for key in state:
        if any(name in key for name in SCALED):
            state[key] = state[key] * np.float32(GAIN)
    return state


def inputs(config: EncoderConfig, lengths: list[int], seq: int) -> tuple[Any, Any]:
    """Right-padded ids (the padding carries the pad id) and their attention mask."""
    rng = np.random.default_rng(5)
    ids = rng.integers(config.pad_token_id + 1, config.vocab_size, size=(len(lengths), seq))
    mask = np.zeros_like(ids)
    for row, length in enumerate(lengths):
        mask[row, :length] = 1
    ids[mask == 0] = config.pad_token_id
    return ids.astype(np.int64), mask.astype(np.int64)


def assert_close(ours: EncoderOutput, ref: EncoderOutput, mask: Any, atol: float = ATOL) -> None:
    real = mask.astype(bool)
    assert ours.last_hidden_state.shape == ref.last_hidden_state.shape
    assert np.abs(ref.last_hidden_state[real]).max() > 0.5  # not all zeros
    np.testing.assert_allclose(
        ours.last_hidden_state[real], ref.last_hidden_state[real], atol=atol, rtol=0
    )
    assert (ours.pooler_output is None) == (ref.pooler_output is None)
    if ours.pooler_output is not None and ref.pooler_output is not None:
        np.testing.assert_allclose(ours.pooler_output, ref.pooler_output, atol=atol, rtol=0)


CASES = [
    ("no padding", [24, 24], 24),
    ("padding", [24, 17, 5, 1], 24),
]


@pytest.mark.parametrize("variant", list(FAST))
@pytest.mark.parametrize(("lengths", "seq"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_fast_path_matches_the_reference(variant: str, lengths: list[int], seq: int) -> None:
    config = small(variant)
    state = sharpened_state(config)
    module = FAST[variant]
    ids, mask = inputs(config, lengths, seq)
    ours = module.forward(module.from_state_dict(config, state), config, ids, mask)
    assert_close(ours, REFERENCE[variant](state, config, ids, mask), mask)


@pytest.mark.parametrize(
    "config",
    [
        small("bert", has_pooler=False),  # MiniLM-style, no pooler
        small("bert", num_attention_heads=4),  # head_dim 32: the query scale is inexact
        small("deberta", position_buckets=8, max_relative_positions=32),  # clipped buckets
    ],
    ids=["bert without pooler", "bert head_dim 32", "deberta 8 buckets"],
)
def test_fast_path_matches_the_reference_on_other_shapes(config: EncoderConfig) -> None:
    state = sharpened_state(config)
    module = FAST[config.variant]
    ids, mask = inputs(config, [70, 45], 70)  # deberta: distances beyond 16 in log buckets
    ours = module.forward(module.from_state_dict(config, state), config, ids, mask)
    assert_close(ours, REFERENCE[config.variant](state, config, ids, mask), mask)


def test_deberta_long_sequence_uses_log_buckets() -> None:
    """Beyond 128 tokens apart, positions share log buckets (256 buckets over 512)."""
    config = small("deberta", num_hidden_layers=2)
    state = sharpened_state(config)
    ids, mask = inputs(config, [200, 140], 200)
    ours = deberta.forward(deberta.from_state_dict(config, state), config, ids, mask)
    assert_close(ours, reference_deberta.deberta(state, config, ids, mask), mask)


def test_minilm_real_weights_match_the_reference() -> None:
    """The pretrained all-MiniLM-L6-v2 through the fast BERT and through the reference."""
    model = load_minilm(needs.models_dir())
    assert model is not None
    state = bert.to_state_dict(model.weights)
    ids, mask = inputs(model.config, [32, 20], 32)
    ids[:, 0] = 101  # [CLS]
    ours = bert.forward(model.weights, model.config, ids, mask)
    assert_close(ours, reference.bert(state, model.config, ids, mask), mask)


@pytest.mark.parametrize("variant", list(FAST))
def test_reference_matches_transformers(variant: str) -> None:
    """The reference is what it says: transformers' model with the same weights agrees."""
    torch = needs.torch_and_transformers()[0]
    config = replace(small(variant), num_hidden_layers=2)
    state = sharpened_state(config)
    ids, mask = inputs(config, [24, 17, 5], 24)
    model = hf_model(config, state)
    with torch.inference_mode():
        theirs = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))
    ref = REFERENCE[variant](state, config, ids, mask)
    real = mask.astype(bool)
    np.testing.assert_allclose(
        ref.last_hidden_state[real], theirs.last_hidden_state.numpy()[real], atol=1e-4, rtol=0
    )
    if ref.pooler_output is not None:
        np.testing.assert_allclose(ref.pooler_output, theirs.pooler_output.numpy(), atol=1e-4)
