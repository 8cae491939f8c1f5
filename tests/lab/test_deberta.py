"""The numpy DeBERTa-v3 on its own (no torch): shapes, padding, weights, relative rows, timing."""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import pytest

from app.encoders import deberta
from app.encoders.configs import MODULES, EncoderConfig, config_for
from app.encoders.encoder import WeightError
from app.encoders.ops import ModuleTimer

# The tiny preset, narrowed: a small vocabulary keeps initialisation instant; the relative
# settings (256 buckets, 512 positions) stay as published.
CONFIG = replace(
    config_for("deberta", "tiny"),
    vocab_size=300,
    hidden_size=32,
    num_attention_heads=2,
    intermediate_size=64,
    num_hidden_layers=2,
)


def _ids(batch: int, seq: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(1, CONFIG.vocab_size, (batch, seq), dtype=np.int64)


@pytest.fixture(scope="module")
def weights() -> deberta.DebertaWeights:
    return deberta.init_weights(CONFIG, seed=0)


# --- forward ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seq", [1, 5, 140])
def test_output_shape_and_dtype(weights: deberta.DebertaWeights, seq: int) -> None:
    ids = _ids(2, seq)
    out = deberta.forward(weights, CONFIG, ids, np.ones_like(ids))
    assert out.last_hidden_state.shape == (2, seq, CONFIG.hidden_size)
    assert out.last_hidden_state.dtype == np.float32
    assert out.pooler_output is None
    assert np.isfinite(out.last_hidden_state).all()


def test_deterministic_from_seed() -> None:
    ids = _ids(1, 7)
    mask = np.ones_like(ids)
    a = deberta.forward(deberta.init_weights(CONFIG, 3), CONFIG, ids, mask).last_hidden_state
    b = deberta.forward(deberta.init_weights(CONFIG, 3), CONFIG, ids, mask).last_hidden_state
    c = deberta.forward(deberta.init_weights(CONFIG, 4), CONFIG, ids, mask).last_hidden_state
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_padding_does_not_change_real_positions(weights: deberta.DebertaWeights) -> None:
    alone = _ids(1, 6, seed=2)
    batch = np.zeros((2, 11), dtype=np.int64)  # a longer neighbour forces padding
    batch[0, :6] = alone[0]
    batch[1] = _ids(1, 11, seed=3)[0]
    mask = np.zeros_like(batch)
    mask[0, :6] = 1
    mask[1] = 1
    single = deberta.forward(weights, CONFIG, alone, np.ones_like(alone)).last_hidden_state
    padded = deberta.forward(weights, CONFIG, batch, mask).last_hidden_state
    np.testing.assert_allclose(padded[0, :6], single[0], atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (np.array([[1, 300]]), "outside the vocabulary"),
        (np.ones((1, 513), dtype=np.int64), "more than"),
        (np.ones(4, dtype=np.int64), r"\[batch, seq\]"),
    ],
)
def test_bad_inputs_raise_value_error(
    weights: deberta.DebertaWeights, ids: np.ndarray, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        deberta.forward(weights, CONFIG, ids, np.ones_like(ids))


def test_module_timer_sees_the_deberta_modules(weights: deberta.DebertaWeights) -> None:
    timer = ModuleTimer()
    ids = _ids(1, 9)
    deberta.forward(weights, CONFIG, ids, np.ones_like(ids), timer=timer)
    expected = {"embeddings", "projections", "attention", "relative", "feed_forward", "norms"}
    assert set(timer.seconds) == expected
    assert expected <= set(MODULES)


# --- weights ------------------------------------------------------------------------------------


def test_init_follows_hugging_face(weights: deberta.DebertaWeights) -> None:
    span = CONFIG.relative_span
    assert weights.rel_embeddings.shape == (2 * span, CONFIG.hidden_size)
    assert len(weights.layers) == CONFIG.num_hidden_layers
    np.testing.assert_array_equal(weights.rel_norm_weight, 1.0)
    np.testing.assert_array_equal(weights.rel_norm_bias, 0.0)
    np.testing.assert_array_equal(weights.layers[0].qkv_bias, 0.0)
    np.testing.assert_array_equal(weights.embeddings.word_embeddings[CONFIG.pad_token_id], 0.0)
    assert abs(float(weights.rel_embeddings.std()) - 0.02) < 0.002
    state = deberta.to_state_dict(weights)
    assert all(array.dtype == np.float32 for array in state.values())


def test_state_dict_round_trip(weights: deberta.DebertaWeights) -> None:
    state = deberta.to_state_dict(weights)
    assert list(state) == list(deberta.state_dict_shapes(CONFIG))
    assert {k: v.shape for k, v in state.items()} == deberta.state_dict_shapes(CONFIG)
    assert "encoder.rel_embeddings.weight" in state and "encoder.LayerNorm.weight" in state
    back = deberta.from_state_dict(CONFIG, state)
    for name in ("rel_embeddings", "rel_norm_weight", "rel_norm_bias"):
        np.testing.assert_array_equal(getattr(back, name), getattr(weights, name))
    for ours, theirs in zip(back.layers, weights.layers, strict=True):
        for field in fields(ours):
            np.testing.assert_array_equal(getattr(ours, field.name), getattr(theirs, field.name))
    np.testing.assert_array_equal(
        back.embeddings.word_embeddings, weights.embeddings.word_embeddings
    )


def test_missing_key_is_named(weights: deberta.DebertaWeights) -> None:
    state = deberta.to_state_dict(weights)
    del state["encoder.layer.1.attention.self.key_proj.bias"]
    with pytest.raises(WeightError, match=r"encoder\.layer\.1\.attention\.self\.key_proj\.bias"):
        deberta.from_state_dict(CONFIG, state)


def test_wrong_shape_is_named(weights: deberta.DebertaWeights) -> None:
    state = deberta.to_state_dict(weights)
    state["encoder.rel_embeddings.weight"] = np.zeros((10, CONFIG.hidden_size), np.float32)
    with pytest.raises(WeightError, match=r"encoder\.rel_embeddings\.weight.*\(10, 32\)"):
        deberta.from_state_dict(CONFIG, state)


# --- relative positions -------------------------------------------------------------------------


def test_log_buckets_keep_near_positions_and_compress_far_ones() -> None:
    relative = np.arange(-511, 512, dtype=np.int64)
    buckets = deberta.log_bucket_position(relative, 256, 512)
    assert buckets.dtype == np.int64
    near = np.abs(relative) <= 128
    np.testing.assert_array_equal(buckets[near], relative[near])
    np.testing.assert_array_equal(buckets, -buckets[::-1])  # odd
    assert (np.diff(buckets) >= 0).all()  # monotonic
    assert buckets.max() == 255


def _bucket_of(distance: int, config: EncoderConfig) -> int:
    rel = np.array([distance], dtype=np.int64)
    return int(deberta.log_bucket_position(rel, config.position_buckets, 512)[0])


def test_reachable_relative_rows() -> None:
    k = CONFIG.relative_span
    assert k == 256
    assert deberta.reachable_relative_rows(1, CONFIG) == 1
    assert deberta.reachable_relative_rows(2, CONFIG) == 3
    assert deberta.reachable_relative_rows(128, CONFIG) == 255
    b = _bucket_of(511, CONFIG)
    expected = min(2 * k - 1, k + b) - max(0, k - b) + 1
    assert deberta.reachable_relative_rows(512, CONFIG) == expected == 511
    for seq in (600, 2048):
        assert deberta.reachable_relative_rows(seq, CONFIG) <= 2 * k


@pytest.mark.parametrize(
    "config",
    [CONFIG, replace(CONFIG, position_buckets=8, max_relative_positions=32)],
    ids=["256 buckets", "8 buckets, clipped"],
)
@pytest.mark.parametrize("seq", [1, 3, 129, 200])
def test_relative_index_uses_exactly_the_reachable_rows(config: EncoderConfig, seq: int) -> None:
    index = deberta.relative_index(seq, config)
    rows = index.hi - index.lo
    assert rows == deberta.reachable_relative_rows(seq, config)
    delta_c2p = index.c2p.reshape(seq, seq) - np.arange(seq)[:, None] * rows  # [n, n]
    delta_p2c = index.p2c.reshape(seq, seq) - np.arange(seq)[None, :] * rows  # [n, n]
    np.testing.assert_array_equal(delta_c2p, delta_p2c)
    assert delta_c2p.min() == 0 and delta_c2p.max() == rows - 1
    # Re-based: the reference's row clamp(bucket(i - j) + k, 0, 2k - 1) is lo + delta.
    span, limit = config.relative_span, config.max_relative_positions
    max_position = limit if limit > 0 else config.max_position_embeddings
    relative = np.arange(seq)[:, None] - np.arange(seq)[None, :]  # [n, n]
    bucketed = deberta.log_bucket_position(relative, config.position_buckets, max_position)
    np.testing.assert_array_equal(np.clip(bucketed + span, 0, 2 * span - 1), index.lo + delta_c2p)
