"""The numpy DeBERTa-v3 against transformers' ``DebertaV2Model`` built from a config (no downloads).

Our seeded weights are loaded into the reference with ``load_state_dict(strict=True)``; the last
hidden states must agree within 1e-4 at real positions, with and without padding. Outside CI the
tests skip when torch or transformers is missing; in CI (CI=true) a missing library is a failure.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from app.encoders import deberta
from app.encoders.configs import EncoderConfig, config_for
from tests.lab.needs import torch_and_transformers
from tests.lab.reference import hf_model

ATOL = 1e-4

# Narrow and shallow, but with the published relative settings: 256 buckets over 512 positions.
PUBLISHED = replace(
    config_for("deberta", "tiny"),
    vocab_size=500,
    hidden_size=64,
    num_attention_heads=2,
    intermediate_size=128,
    num_hidden_layers=3,
)
# Few buckets over a short span: log buckets from distance 5 on, clipped to the table beyond 32.
FEW_BUCKETS = replace(PUBLISHED, position_buckets=8, max_relative_positions=32)


@pytest.fixture(scope="module")
def torch() -> Any:
    return torch_and_transformers()[0]


def _sharpened(weights: deberta.DebertaWeights, gain: float) -> deberta.DebertaWeights:
    """Q, K and V scaled by ``gain``. At init (std 0.02) attention is nearly uniform and the
    relative terms are small: reading p2c with the paper's index instead of the code's moves the
    output by only ~5e-4. With gain 5 the same mistake moves it by ~0.05."""
    layers = tuple(
        replace(layer, qkv_weight=layer.qkv_weight * np.float32(gain)) for layer in weights.layers
    )
    return replace(weights, layers=layers)


def _max_diff(
    torch: Any, config: EncoderConfig, ids: np.ndarray, mask: np.ndarray, gain: float = 5.0
) -> float:
    """Largest |ours - reference| over the real positions."""
    weights = _sharpened(deberta.init_weights(config, seed=0), gain)
    model = hf_model(config, deberta.to_state_dict(weights))
    ours = deberta.forward(weights, config, ids, mask).last_hidden_state
    with torch.no_grad():
        theirs = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask))
    reference = theirs.last_hidden_state.numpy()
    assert ours.shape == reference.shape
    return float(np.abs(ours - reference)[mask.astype(bool)].max())


def _batch(config: EncoderConfig, lengths: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Random ids right-padded to the longest length, and the mask."""
    rng = np.random.default_rng(7)
    ids = np.full((len(lengths), max(lengths)), config.pad_token_id, dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, length in enumerate(lengths):
        ids[row, :length] = rng.integers(1, config.vocab_size, length)
        mask[row, :length] = 1
    return ids, mask


@pytest.mark.parametrize(
    ("config", "lengths", "gain"),
    [
        (PUBLISHED, [1], 5.0),
        (PUBLISHED, [9], 1.0),  # Hugging Face's init as it is
        (PUBLISHED, [9], 5.0),
        (PUBLISHED, [9, 4], 5.0),
        (PUBLISHED, [300, 170], 5.0),  # distances beyond 128 fall in log buckets
        (FEW_BUCKETS, [20, 13], 5.0),
        (FEW_BUCKETS, [70, 70, 45], 5.0),  # buckets above k = 8 are clipped to the table
    ],
    ids=[
        "one token",
        "short, plain init",
        "short",
        "short padded",
        "long padded",
        "8 buckets",
        "8 buckets clipped",
    ],
)
def test_last_hidden_state_matches_transformers(
    torch: Any, config: EncoderConfig, lengths: list[int], gain: float
) -> None:
    ids, mask = _batch(config, lengths)
    assert _max_diff(torch, config, ids, mask, gain) < ATOL


@pytest.mark.parametrize(
    ("bucket_size", "max_position"), [(256, 512), (8, 32), (8, 512), (64, 128), (100, 300)]
)
def test_log_buckets_match_transformers(torch: Any, bucket_size: int, max_position: int) -> None:
    from transformers.models.deberta_v2.modeling_deberta_v2 import make_log_bucket_position

    relative = np.arange(-511, 512, dtype=np.int64)
    theirs = make_log_bucket_position(torch.tensor(relative), bucket_size, max_position)
    ours = deberta.log_bucket_position(relative, bucket_size, max_position)
    np.testing.assert_array_equal(ours, theirs.to(torch.long).numpy())


def test_relative_positions_match_transformers(torch: Any) -> None:
    """The reference's whole [n, n] bucket matrix equals ours re-based by ``lo``."""
    from transformers.models.deberta_v2.modeling_deberta_v2 import build_relative_position

    seq, span = 520, PUBLISHED.relative_span
    states = torch.zeros(1, seq, 1)
    theirs = build_relative_position(states, states, bucket_size=span, max_position=512)[0]
    index = deberta.relative_index(seq, PUBLISHED)
    rows = index.hi - index.lo
    delta = index.c2p.reshape(seq, seq) - np.arange(seq)[:, None] * rows  # [n, n]
    expected = np.clip(theirs.numpy() + span, 0, 2 * span - 1)  # the reference's c2p rows
    np.testing.assert_array_equal(index.lo + delta, expected)
