"""The reference BERT, and RoBERTa, DistilBERT and ALBERT as BERT plus their differences.

Plain token-major numpy, one idea per line, written to be read (the lessons quote it) and to be
obviously right; ``tests/lab/test_reference.py`` holds the fast path (``bert``, ``roberta``,
``distilbert``, ``albert``) to it within 1e-5. Weights are a Hugging Face state dict (``*Model``
keys, no "bert." prefix), the names the BERT paper and the checkpoints use::

    embeddings  LN(word[ids] + position[0..n) + token_type[0])
    L layers    x = LN(x + Attention(x));  x = LN(x + W2 gelu(W1 x + b1) + b2)   (post-LN)
    pooler      tanh(W x[CLS] + b)

Every token is segment 0, as when Hugging Face's ``token_type_ids`` is left out. DeBERTa is in
``reference_deberta``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
from numpy.typing import NDArray

from app.encoders.configs import EncoderConfig
from app.encoders.encoder import EncoderOutput
from app.encoders.ops import Array

__all__ = [
    "ACTIVATIONS",
    "MASKED",
    "albert",
    "attention",
    "bert",
    "distilbert",
    "encoder_layer",
    "gelu",
    "gelu_new",
    "layer_norm",
    "linear",
    "padding_bias",
    "roberta",
    "softmax",
]

Ids = NDArray[np.int64]
State = Mapping[str, Array]

# A masked score: float32's most negative value, as Hugging Face adds (exp gives exactly 0).
MASKED = np.float32(np.finfo(np.float32).min)
_erf = np.frompyfunc(math.erf, 1, 1)  # numpy has no erf: Python's, one element at a time


def gelu(x: Array) -> Array:
    """x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)): BERT's GELU, the exact form."""
    phi = 0.5 * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float32))  # [...] Phi(x)
    y: Array = x * phi
    return y


def gelu_new(x: Array) -> Array:
    """0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))): ALBERT's tanh approximation."""
    u = np.float32(math.sqrt(2.0 / math.pi)) * (x + np.float32(0.044715) * x**3)  # [...]
    y: Array = np.float32(0.5) * x * (1 + np.tanh(u))
    return y


ACTIVATIONS: dict[str, Callable[[Array], Array]] = {"gelu": gelu, "gelu_new": gelu_new}


def linear(x: Array, w: State, name: str) -> Array:
    """x W^T + b, W stored [out, in] as PyTorch stores it: [..., in] -> [..., out]."""
    y: Array = x @ w[f"{name}.weight"].T + w[f"{name}.bias"]
    return y


def layer_norm(x: Array, w: State, name: str, eps: float) -> Array:
    """Normalise each token's vector to mean 0, variance 1, then scale and shift: [..., H]."""
    mean = x.mean(axis=-1, keepdims=True)  # [..., 1]
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)  # [..., 1]
    y: Array = (x - mean) / np.sqrt(var + eps) * w[f"{name}.weight"] + w[f"{name}.bias"]
    return y


def softmax(x: Array) -> Array:
    """Softmax over the last axis; subtracting the row max keeps exp from overflowing."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    y: Array = e / e.sum(axis=-1, keepdims=True)
    return y


def padding_bias(attention_mask: Ids) -> Array:
    """0 for real keys, float32's minimum for padding (exp gives exactly 0): [batch, 1, 1, seq]."""
    padded = attention_mask[:, None, None, :] == 0  # [batch, 1, 1, seq]
    return np.where(padded, MASKED, np.float32(0.0))


def attention(x: Array, bias: Array, w: State, config: EncoderConfig) -> Array:
    """Multi-head self-attention (``attention.self`` then ``attention.output.dense``)."""
    batch, seq, hidden = x.shape  # [batch, seq, H]
    heads, d = config.num_attention_heads, config.head_dim  # A heads of d = H / A

    def split_heads(t: Array) -> Array:  # [batch, seq, H] -> [batch, A, seq, d]
        return t.reshape(batch, seq, heads, d).transpose(0, 2, 1, 3)

    q = split_heads(linear(x, w, "attention.self.query"))  # [batch, A, seq, d]
    k = split_heads(linear(x, w, "attention.self.key"))  # [batch, A, seq, d]
    v = split_heads(linear(x, w, "attention.self.value"))  # [batch, A, seq, d]
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d)  # [batch, A, seq, seq]
    probs = softmax(scores + bias)  # [batch, A, seq, seq], padded keys weigh 0
    context = probs @ v  # [batch, A, seq, d]
    context = context.transpose(0, 2, 1, 3).reshape(batch, seq, hidden)  # [batch, seq, H]
    return linear(context, w, "attention.output.dense")  # [batch, seq, H]


def encoder_layer(x: Array, bias: Array, w: State, config: EncoderConfig) -> Array:
    """One post-LN transformer layer; ``w`` holds its weights under BERT's names: [batch, seq, H]."""
    eps, act = config.layer_norm_eps, ACTIVATIONS[config.hidden_act]
    x = layer_norm(x + attention(x, bias, w, config), w, "attention.output.LayerNorm", eps)
    inner = act(linear(x, w, "intermediate.dense"))  # [batch, seq, I]
    return layer_norm(x + linear(inner, w, "output.dense"), w, "output.LayerNorm", eps)


def layer_weights(state: State, prefix: str, names: Mapping[str, str] | None = None) -> State:
    """The keys under ``prefix``, the prefix dropped, renamed to BERT's names by ``names``."""
    layer = {key[len(prefix) :]: value for key, value in state.items() if key.startswith(prefix)}
    for theirs, ours in (names or {}).items():
        for key in [key for key in layer if key.startswith(f"{theirs}.")]:
            layer[ours + key[len(theirs) :]] = layer.pop(key)
    return layer


def embeddings(state: State, config: EncoderConfig, input_ids: Ids, position_ids: Ids) -> Array:
    """Word + position (+ token type 0), layer-normed: [batch, seq] -> [batch, seq, E]."""
    x = state["embeddings.word_embeddings.weight"][input_ids]  # [batch, seq, E]
    x = x + state["embeddings.position_embeddings.weight"][position_ids]  # [(batch,) seq, E]
    if "embeddings.token_type_embeddings.weight" in state:  # DistilBERT has none
        x = x + state["embeddings.token_type_embeddings.weight"][0]  # every token is segment 0
    return layer_norm(x, state, "embeddings.LayerNorm", config.layer_norm_eps)


def pooler(x: Array, state: State, name: str = "pooler.dense") -> Array:
    """tanh(W x_0 + b) on each sequence's first token ([CLS]): [batch, seq, H] -> [batch, H]."""
    return np.tanh(linear(x[:, 0], state, name))


def bert(state: State, config: EncoderConfig, input_ids: Ids, attention_mask: Ids) -> EncoderOutput:
    """BERT (Devlin et al. 2019; Hugging Face ``BertModel``)."""
    positions = np.arange(input_ids.shape[1])  # [seq] 0, 1, 2, ...
    x = embeddings(state, config, input_ids, positions)  # [batch, seq, H]
    bias = padding_bias(attention_mask)  # [batch, 1, 1, seq]
    for i in range(config.num_hidden_layers):
        x = encoder_layer(x, bias, layer_weights(state, f"encoder.layer.{i}."), config)
    pooled = pooler(x, state) if "pooler.dense.weight" in state else None  # MiniLM has none
    return EncoderOutput(last_hidden_state=x, pooler_output=pooled)


def roberta(
    state: State, config: EncoderConfig, input_ids: Ids, attention_mask: Ids
) -> EncoderOutput:
    """RoBERTa: BERT's network and key names; only the position ids differ (fairseq's).

    Real tokens count from pad_token_id + 1 (2, 3, 4, ...), padding sits at pad_token_id (1):
    hence 514 position rows for 512 tokens. One token type row.
    """
    real = (input_ids != config.pad_token_id).astype(np.int64)  # [batch, seq]
    positions = np.cumsum(real, axis=1) * real + config.pad_token_id  # [batch, seq]
    x = embeddings(state, config, input_ids, positions)  # [batch, seq, H]
    bias = padding_bias(attention_mask)  # [batch, 1, 1, seq]
    for i in range(config.num_hidden_layers):
        x = encoder_layer(x, bias, layer_weights(state, f"encoder.layer.{i}."), config)
    return EncoderOutput(last_hidden_state=x, pooler_output=pooler(x, state))


# DistilBERT's layer is BERT's under other names: theirs -> BERT's.
DISTILBERT_NAMES = {
    "attention.q_lin": "attention.self.query",
    "attention.k_lin": "attention.self.key",
    "attention.v_lin": "attention.self.value",
    "attention.out_lin": "attention.output.dense",
    "sa_layer_norm": "attention.output.LayerNorm",
    "ffn.lin1": "intermediate.dense",
    "ffn.lin2": "output.dense",
    "output_layer_norm": "output.LayerNorm",
}


def distilbert(
    state: State, config: EncoderConfig, input_ids: Ids, attention_mask: Ids
) -> EncoderOutput:
    """DistilBERT: BERT's layer, 6 of them, no token types, no pooler, other key names."""
    positions = np.arange(input_ids.shape[1])  # [seq]
    x = embeddings(state, config, input_ids, positions)  # [batch, seq, H], no token type table
    bias = padding_bias(attention_mask)  # [batch, 1, 1, seq]
    for i in range(config.num_hidden_layers):  # 6 at base
        w = layer_weights(state, f"transformer.layer.{i}.", DISTILBERT_NAMES)
        x = encoder_layer(x, bias, w, config)
    return EncoderOutput(last_hidden_state=x)


# ALBERT's one layer under BERT's names: theirs -> BERT's.
ALBERT_NAMES = {
    "attention.query": "attention.self.query",
    "attention.key": "attention.self.key",
    "attention.value": "attention.self.value",
    "attention.dense": "attention.output.dense",
    "attention.LayerNorm": "attention.output.LayerNorm",
    "ffn": "intermediate.dense",
    "ffn_output": "output.dense",
    "full_layer_layer_norm": "output.LayerNorm",
}


def albert(
    state: State, config: EncoderConfig, input_ids: Ids, attention_mask: Ids
) -> EncoderOutput:
    """ALBERT: E-wide embeddings projected to H, and one layer's weights applied L times."""
    positions = np.arange(input_ids.shape[1])  # [seq]
    small = embeddings(state, config, input_ids, positions)  # [batch, seq, E], E = 128 at base
    x = linear(small, state, "encoder.embedding_hidden_mapping_in")  # [batch, seq, H]
    bias = padding_bias(attention_mask)  # [batch, 1, 1, seq]
    shared = "encoder.albert_layer_groups.0.albert_layers.0."
    w = layer_weights(state, shared, ALBERT_NAMES)  # the only layer
    for _ in range(config.num_hidden_layers):
        x = encoder_layer(x, bias, w, config)  # the same weights every time
    return EncoderOutput(last_hidden_state=x, pooler_output=pooler(x, state, "pooler"))
