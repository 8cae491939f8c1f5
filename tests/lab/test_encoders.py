"""The BERT, RoBERTa, DistilBERT and ALBERT numpy encoders at the tiny preset, without torch:
shapes and dtypes, seeding, padding, the key tables, the timer, bad input. Parity with
transformers is in test_parity.py."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from app.encoders import albert, bert, distilbert, ops, roberta
from app.encoders.configs import EncoderConfig, config_for
from app.encoders.encoder import EncoderOutput, WeightError
from app.encoders.ops import ModuleTimer

MODULES: dict[str, ModuleType] = {
    "bert": bert,
    "roberta": roberta,
    "distilbert": distilbert,
    "albert": albert,
}
VARIANTS = tuple(MODULES)

# A key of each table, and the part of the model it names.
SOME_LAYER_KEY = {
    "bert": "encoder.layer.1.attention.self.key.weight",
    "roberta": "encoder.layer.0.output.dense.bias",
    "distilbert": "transformer.layer.1.ffn.lin1.weight",
    "albert": "encoder.albert_layer_groups.0.albert_layers.0.attention.value.weight",
}


@pytest.fixture(scope="module", params=VARIANTS)
def variant(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def config(variant: str) -> EncoderConfig:
    return config_for(variant, "tiny")


@pytest.fixture(scope="module")
def weights(variant: str, config: EncoderConfig) -> Any:
    """Seeded weights; frozen dataclasses, shared by the tests of one module (none writes)."""
    return MODULES[variant].init_weights(config, 7)


def run(variant: str, weights: Any, config: EncoderConfig, ids: Any, mask: Any) -> EncoderOutput:
    forward: Callable[..., EncoderOutput] = MODULES[variant].forward
    return forward(weights, config, ids, mask)


def token_ids(config: EncoderConfig, shape: tuple[int, int], seed: int = 0) -> np.ndarray[Any, Any]:
    """Random ids that are never the padding id (RoBERTa counts positions past it)."""
    rng = np.random.default_rng(seed)
    return rng.integers(config.pad_token_id + 1, config.vocab_size, size=shape, dtype=np.int64)


def test_shapes_and_float32(variant: str, config: EncoderConfig, weights: Any) -> None:
    ids = token_ids(config, (2, 16))
    out = run(variant, weights, config, ids, np.ones_like(ids))
    assert out.last_hidden_state.shape == (2, 16, config.hidden_size)
    assert out.last_hidden_state.dtype == np.float32
    assert np.isfinite(out.last_hidden_state).all()
    if variant == "distilbert":
        assert out.pooler_output is None
    else:
        assert out.pooler_output is not None
        assert out.pooler_output.shape == (2, config.hidden_size)
        assert out.pooler_output.dtype == np.float32
        assert np.abs(out.pooler_output).max() <= 1.0  # tanh


def test_weights_are_float32_and_as_large_as_the_state_dict(variant: str, weights: Any) -> None:
    state = MODULES[variant].to_state_dict(weights)
    assert all(array.dtype == np.float32 for array in state.values())
    assert len({id(array) for array in state.values()}) == len(state)  # no part listed twice


def test_same_seed_same_model(variant: str, config: EncoderConfig, weights: Any) -> None:
    module = MODULES[variant]
    ids = token_ids(config, (1, 12))
    again = module.init_weights(config, 7)
    first = run(variant, weights, config, ids, np.ones_like(ids)).last_hidden_state
    second = run(variant, again, config, ids, np.ones_like(ids)).last_hidden_state
    np.testing.assert_array_equal(first, second)


def test_other_seed_other_model(variant: str, config: EncoderConfig, weights: Any) -> None:
    ids = token_ids(config, (1, 12))
    other = MODULES[variant].init_weights(config, 8)
    first = run(variant, weights, config, ids, np.ones_like(ids)).last_hidden_state
    second = run(variant, other, config, ids, np.ones_like(ids)).last_hidden_state
    assert np.abs(first - second).max() > 1e-2


def test_initialisation_follows_hugging_face(
    variant: str, config: EncoderConfig, weights: Any
) -> None:
    """Matrices N(0, 0.02^2), biases 0, layer-norm weights 1."""
    state = MODULES[variant].to_state_dict(weights)
    for key, array in state.items():
        if key.endswith("bias"):
            assert not array.any(), key
        elif "LayerNorm" in key or "layer_norm" in key:
            assert (array == 1).all(), key
        elif array.size >= 10_000:  # enough draws for the sample std to be within 10%
            assert abs(float(array.std()) - 0.02) < 0.002, key


@pytest.mark.parametrize("length", [1, 7])
def test_padding_does_not_change_real_tokens(
    variant: str, config: EncoderConfig, weights: Any, length: int
) -> None:
    """A sequence alone and the same sequence padded in a batch agree at its real positions."""
    alone = token_ids(config, (1, length), seed=1)
    other = token_ids(config, (1, 12), seed=2)
    padded = np.full((1, 12), config.pad_token_id, dtype=np.int64)
    padded[0, :length] = alone[0]
    batch = np.concatenate([padded, other])
    mask = np.ones_like(batch)
    mask[0, length:] = 0
    single = run(variant, weights, config, alone, np.ones_like(alone))
    batched = run(variant, weights, config, batch, mask)
    np.testing.assert_allclose(
        batched.last_hidden_state[0, :length], single.last_hidden_state[0], atol=1e-5, rtol=0
    )
    if single.pooler_output is not None:
        assert batched.pooler_output is not None
        np.testing.assert_allclose(batched.pooler_output[0], single.pooler_output[0], atol=1e-5)
    # The unpadded neighbour is what it is alone.
    neighbour = run(variant, weights, config, other, np.ones_like(other)).last_hidden_state
    np.testing.assert_allclose(batched.last_hidden_state[1], neighbour[0], atol=1e-5, rtol=0)


def test_round_trip_within_a_rounding_when_the_query_scale_is_inexact() -> None:
    """head_dim 32 (MiniLM's): 1/sqrt(32) is not a power of two. The scale is applied to Q at
    every pass, not folded into the weights, so the round trip is exact (within a rounding is
    what the test has always allowed)."""
    config = replace(config_for("bert", "tiny"), num_attention_heads=4)  # head_dim 32
    state = {k: a.copy() for k, a in bert.to_state_dict(bert.init_weights(config, 3)).items()}
    back = bert.to_state_dict(bert.from_state_dict(config, state))
    for key, array in state.items():
        np.testing.assert_allclose(back[key], array, rtol=2e-7, atol=0, err_msg=key)


def test_a_feed_forward_narrower_than_the_hidden_size_runs() -> None:
    """intermediate_size < hidden_size: no buffer may assume the feed-forward is the wider one."""
    config = replace(config_for("bert", "tiny"), intermediate_size=64)
    weights = bert.init_weights(config, 0)
    ids = token_ids(config, (2, 5))
    mask = np.ones_like(ids)
    mask[1, 3:] = 0
    out = bert.forward(weights, config, ids, mask).last_hidden_state
    assert out.shape == (2, 5, config.hidden_size)
    alone = bert.forward(weights, config, ids[1:, :3], mask[1:, :3]).last_hidden_state
    np.testing.assert_allclose(out[1, :3], alone[0], atol=1e-5, rtol=0)


def test_state_dict_round_trip(variant: str, config: EncoderConfig, weights: Any) -> None:
    module = MODULES[variant]
    state = {key: array.copy() for key, array in module.to_state_dict(weights).items()}
    again = module.from_state_dict(config, state)
    back = module.to_state_dict(again)
    assert back.keys() == state.keys()
    for key, array in state.items():
        np.testing.assert_array_equal(back[key], array, err_msg=key)
    ids = token_ids(config, (1, 9))
    np.testing.assert_array_equal(
        run(variant, again, config, ids, np.ones_like(ids)).last_hidden_state,
        run(variant, weights, config, ids, np.ones_like(ids)).last_hidden_state,
    )


def test_state_dict_ignores_keys_it_does_not_know(
    variant: str, config: EncoderConfig, weights: Any
) -> None:
    """Checkpoints carry heads and buffers (cls.predictions..., position_ids) an encoder skips."""
    module = MODULES[variant]
    state = module.to_state_dict(weights) | {"cls.predictions.bias": np.zeros(3, np.float32)}
    module.from_state_dict(config, state)


def test_missing_key_is_named(variant: str, config: EncoderConfig, weights: Any) -> None:
    module = MODULES[variant]
    key = SOME_LAYER_KEY[variant]
    state = dict(module.to_state_dict(weights))
    del state[key]
    with pytest.raises(WeightError, match=f"missing weight '{key}'"):
        module.from_state_dict(config, state)


def test_wrong_shape_is_named(variant: str, config: EncoderConfig, weights: Any) -> None:
    module = MODULES[variant]
    key = SOME_LAYER_KEY[variant]
    state = dict(module.to_state_dict(weights))
    state[key] = state[key][:, :-1] if state[key].ndim == 2 else state[key][:-1]
    with pytest.raises(WeightError, match=f"weight '{key}' has shape"):
        module.from_state_dict(config, state)


def test_word_embeddings_checked_against_the_config(
    variant: str, config: EncoderConfig, weights: Any
) -> None:
    state = dict(MODULES[variant].to_state_dict(weights))
    state["embeddings.word_embeddings.weight"] = state["embeddings.word_embeddings.weight"][:-1]
    with pytest.raises(WeightError, match=f"expected \\({config.vocab_size}, "):
        MODULES[variant].from_state_dict(config, state)


def test_timer_sees_every_module(variant: str, config: EncoderConfig, weights: Any) -> None:
    expected = {"embeddings", "projections", "attention", "feed_forward", "norms"}
    expected |= {"pooler"} if variant != "distilbert" else set()
    expected |= {"embedding_projection"} if variant == "albert" else set()
    timer = ModuleTimer()
    ids = token_ids(config, (1, 8))
    MODULES[variant].forward(weights, config, ids, np.ones_like(ids), timer=timer)
    assert set(timer.seconds) == expected
    assert all(seconds > 0 for seconds in timer.seconds.values())


def test_forward_does_not_touch_the_weights(
    variant: str, config: EncoderConfig, weights: Any
) -> None:
    module = MODULES[variant]
    before = {key: array.copy() for key, array in module.to_state_dict(weights).items()}
    ids = token_ids(config, (2, 10))
    mask = np.ones_like(ids)
    mask[1, 6:] = 0
    module.forward(weights, config, ids, mask)
    for key, array in module.to_state_dict(weights).items():
        np.testing.assert_array_equal(array, before[key], err_msg=key)


@pytest.mark.parametrize(
    ("ids", "mask", "message"),
    [
        ([[1, 2, 3]], [[1, 1]], "same non-empty"),
        ([1, 2, 3], [1, 1, 1], "same non-empty"),
        ([[3, 99999999]], [[1, 1]], "token id 99999999 is outside the vocabulary"),
        ([[3, -1]], [[1, 1]], "token id -1 is outside"),
        ([[3.0, 4.0]], [[1, 1]], "must be integers"),
    ],
)
def test_bad_input_is_a_value_error(
    variant: str, config: EncoderConfig, weights: Any, ids: Any, mask: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        run(variant, weights, config, np.asarray(ids), np.asarray(mask))


def test_too_many_tokens_is_a_value_error(
    variant: str, config: EncoderConfig, weights: Any
) -> None:
    ids = token_ids(config, (1, 513))
    with pytest.raises(ValueError, match="513 tokens is more than the model's 512"):
        run(variant, weights, config, ids, np.ones_like(ids))


# --- variant details ----------------------------------------------------------------------------


def test_unknown_activation_is_named() -> None:
    from dataclasses import replace

    config = replace(config_for("bert", "tiny"), num_hidden_layers=1, hidden_act="relu")
    weights = bert.init_weights(config, 0)
    ids = token_ids(config, (1, 4))
    with pytest.raises(ValueError, match="hidden_act 'relu' is not supported"):
        bert.forward(weights, config, ids, np.ones_like(ids))


def test_bert_without_pooler() -> None:
    """MiniLM-style checkpoints have no pooler: no pooler keys, no pooler_output."""
    from dataclasses import replace

    config = replace(config_for("bert", "tiny"), num_hidden_layers=1, has_pooler=False)
    weights = bert.init_weights(config, 0)
    assert not any(key.startswith("pooler") for key in bert.to_state_dict(weights))
    ids = token_ids(config, (1, 4))
    assert bert.forward(weights, config, ids, np.ones_like(ids)).pooler_output is None


def test_roberta_positions_start_after_the_padding_id() -> None:
    ids = np.array([[0, 5, 6, 2, 1, 1], [0, 7, 2, 1, 1, 1]])
    np.testing.assert_array_equal(
        roberta.position_ids(ids, pad_token_id=1), [[2, 3, 4, 5, 1, 1], [2, 3, 4, 1, 1, 1]]
    )


def test_albert_stores_one_layer_whatever_the_depth() -> None:
    from dataclasses import replace

    deep = config_for("albert", "tiny")
    shallow = replace(deep, num_hidden_layers=1)
    keys = albert.to_state_dict(albert.init_weights(deep, 0)).keys()
    assert keys == albert.to_state_dict(albert.init_weights(shallow, 0)).keys()
    ids = token_ids(deep, (1, 6))
    mask = np.ones_like(ids)
    same = albert.init_weights(deep, 0)
    deep_out = albert.forward(same, deep, ids, mask).last_hidden_state
    shallow_out = albert.forward(same, shallow, ids, mask).last_hidden_state
    assert np.abs(deep_out - shallow_out).max() > 1e-3  # the one layer really is applied 12 times


def test_albert_embeddings_are_e_wide() -> None:
    config = config_for("albert", "tiny")
    weights = albert.init_weights(config, 0)
    assert weights.embeddings.word.shape == (config.vocab_size, config.embedding_size)
    assert weights.projection_weight.shape == (
        config.embedding_size,
        config.hidden_size,
    )  # [in, out]


def test_distilbert_has_no_token_types() -> None:
    weights = distilbert.init_weights(config_for("distilbert", "tiny"), 0)
    assert weights.embeddings.token_type is None
    assert not any("token_type" in key for key in distilbert.to_state_dict(weights))


# --- the primitives, as the encoders use them -----------------------------------------------------


def _every_magnitude() -> np.ndarray:
    """A dense grid where GELU bends, then out to float32's largest values on both sides."""
    tails = np.geomspace(12, np.finfo(np.float32).max, 300)
    return np.concatenate([np.linspace(-12, 12, 24001), tails, -tails]).astype(np.float32)


def test_gelu_matches_the_erf_form_at_every_magnitude() -> None:
    x = _every_magnitude()
    v = x.astype(np.float64)
    exact = np.array([0.5 * t * (1 + math.erf(t / math.sqrt(2))) for t in v])
    error = np.abs(ops.gelu(x) - exact) / np.maximum(1.0, np.abs(v))
    assert error.max() < 1.8e-7  # the documented bound; float32's own resolution is 6e-8 relative
    # every float32 in [1.125, 1.25), either sign: where the fit's error peaks (1.75e-7 at 1.19)
    first = np.float32(1.125).view(np.uint32)
    near = np.arange(first, first + (1 << 20), dtype=np.uint32).view(np.float32)
    near = np.concatenate([near, -near])
    v = near.astype(np.float64)
    erf = np.frompyfunc(math.erf, 1, 1)(v / math.sqrt(2)).astype(np.float64)
    assert np.abs(ops.gelu(near) - 0.5 * v * (1 + erf)).max() / 1.25 < 1.8e-7
    assert ops.gelu(np.float32([-1e30]))[0] == 0.0  # the power overflows to inf: x / inf
    assert ops.gelu(np.float32([1e30]))[0] == np.float32(1e30)  # and to 0: x / 1
    work = (np.empty_like(x), np.empty_like(x))
    y = x.copy()
    assert ops.gelu(y, out=y, scratch=work) is y
    np.testing.assert_array_equal(y, ops.gelu(x))
    assert ops.gelu(x).dtype == np.float32


def test_gelu_new_matches_the_tanh_form_at_every_magnitude() -> None:
    x = _every_magnitude()
    v = x.astype(np.float64)
    reference = 0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3)))
    error = np.abs(ops.gelu_new(x) - reference) / np.maximum(1.0, np.abs(v))
    assert error.max() < 2e-7
    y = x.copy()
    assert ops.gelu_new(y, out=y, scratch=(np.empty_like(x), np.empty_like(x))) is y
    np.testing.assert_array_equal(y, ops.gelu_new(x))
    assert ops.gelu_new(x).dtype == np.float32


def test_the_two_gelus_differ_as_the_lesson_says() -> None:
    """ALBERT's tanh form is an approximation: off the erf form by up to about 5e-4."""
    x = np.linspace(-6, 6, 12001, dtype=np.float32)
    gap = np.abs(ops.gelu(x) - ops.gelu_new(x)).max()
    assert 3e-4 < gap < 6e-4


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize(("scale", "shift"), [(1.0, 0.0), (10.0, 50.0), (10.0, -60.0), (1e3, 0.0)])
def test_softmax_shortcut_and_careful_path_agree(scale: float, shift: float, masked: bool) -> None:
    """Small scores skip the row max; large ones, or float32's minimum (masking), do not."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((3, 4, 16)) * scale + shift).astype(np.float32)
    if masked:
        x[0, 0, :] = np.finfo(np.float32).min  # a fully masked row: uniform, as Hugging Face gives
        x[1, 1, 5:] = np.finfo(np.float32).min
    v = x.astype(np.float64)
    e = np.exp(v - v.max(axis=-1, keepdims=True))
    expected = e / e.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(ops.softmax(x), expected, atol=1e-6)
    y = x.copy()
    assert ops.softmax(y, out=y) is y
    np.testing.assert_allclose(y, expected, atol=1e-6)
    # Into a separate array: x is left as it was, also when the shortcut is abandoned.
    out, before = np.empty_like(x), x.copy()
    assert ops.softmax(x, out=out) is out
    np.testing.assert_allclose(out, expected, atol=1e-6)
    np.testing.assert_array_equal(x, before)
    # Into a view of x's own memory: the shortcut must not be tried, as x would be gone.
    z = x.copy()
    np.testing.assert_allclose(ops.softmax(z, out=z[...]), expected, atol=1e-6)
    np.testing.assert_allclose(ops.softmax(x, axis=1).sum(axis=1), 1.0, atol=1e-5)


def test_layer_norm_in_place() -> None:
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((5, 32)) * 3 + 2).astype(np.float32)
    w, b = rng.standard_normal(32).astype(np.float32), rng.standard_normal(32).astype(np.float32)
    v = x.astype(np.float64)
    centred = v - v.mean(axis=-1, keepdims=True)
    expected = centred / np.sqrt((centred**2).mean(axis=-1, keepdims=True) + 1e-12) * w + b
    np.testing.assert_allclose(ops.layer_norm(x, w, b, 1e-12), expected, atol=1e-5)
    y = x.copy()
    assert ops.layer_norm(y, w, b, 1e-12, out=y) is y
    np.testing.assert_allclose(y, expected, atol=1e-5)


def test_layer_norm_columns_normalises_each_column_in_place() -> None:
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((32, 7)) * 3 + 2).astype(np.float32)  # [H, tokens]
    w, b = rng.standard_normal(32).astype(np.float32), rng.standard_normal(32).astype(np.float32)
    v = x.astype(np.float64)
    centred = v - v.mean(axis=0, keepdims=True)
    expected = centred / np.sqrt((centred**2).mean(axis=0, keepdims=True) + 1e-12) * w[:, None]
    expected += b[:, None]
    y = x.copy()
    assert ops.layer_norm_columns(y, w, b, 1e-12, np.empty_like(y)) is y
    np.testing.assert_allclose(y, expected, atol=1e-5)
    # The same numbers as the token-major norm of the transpose.
    np.testing.assert_allclose(y.T, ops.layer_norm(x.T.copy(), w, b, 1e-12), atol=1e-6)
