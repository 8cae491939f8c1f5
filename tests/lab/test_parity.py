"""Our numpy BERT, RoBERTa, DistilBERT and ALBERT against transformers' ``BertModel``,
``RobertaModel``, ``DistilBertModel`` and ``AlbertModel`` built from a config (no downloads).

Our seeded weights are loaded into the reference with ``load_state_dict(strict=True)``, so the key
tables must be complete and exact. At Hugging Face's initialisation (std 0.02) attention is nearly
uniform, which would hide a wrong mask or a misplaced position, so Q and K are scaled up first
(``sharpened``) until each token attends to a few others. Last hidden states and pooler outputs
must agree within 1e-4 at real positions, with and without padding. Outside CI the tests skip
when torch or transformers is missing; in CI (CI=true) a missing library is a failure.
"""

from __future__ import annotations

from dataclasses import replace
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from app.encoders import albert, bert, distilbert, roberta
from app.encoders.configs import EncoderConfig, config_for
from app.encoders.encoder import EncoderOutput
from app.encoders.ops import Array
from tests.lab.needs import torch_and_transformers
from tests.lab.reference import hf_model

ATOL = 1e-4
GAIN = 6.0  # Q and K weights x 6: attention scores x 36

MODULES: dict[str, ModuleType] = {
    "bert": bert,
    "roberta": roberta,
    "distilbert": distilbert,
    "albert": albert,
}


@pytest.fixture(scope="module")
def torch() -> Any:
    return torch_and_transformers()[0]


def small(variant: str, **changes: Any) -> EncoderConfig:
    """The tiny preset's widths, 2 layers and a 500-token vocabulary: fast, and every part there."""
    return replace(config_for(variant, "tiny"), num_hidden_layers=2, vocab_size=500, **changes)


def sharpened(module: ModuleType, config: EncoderConfig, seed: int) -> Any:
    """Seeded weights with the query and key projections (weights and biases) scaled by GAIN."""
    state = dict(module.to_state_dict(module.init_weights(config, seed)))
    for key in state:
        if any(name in key for name in (".query.", ".key.", ".q_lin.", ".k_lin.")):
            state[key] = state[key] * np.float32(GAIN)
    return module.from_state_dict(config, state)


def compare(torch: Any, config: EncoderConfig, ids: Array, mask: Array) -> dict[str, float]:
    """Largest differences from the reference at real positions, and a sanity figure."""
    module = MODULES[config.variant]
    weights = sharpened(module, config, seed=11)
    model = hf_model(config, module.to_state_dict(weights))
    ours: EncoderOutput = module.forward(weights, config, ids, mask)
    with torch.inference_mode():
        theirs = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))
    real = mask.astype(bool)
    hidden_theirs = theirs.last_hidden_state.numpy()
    diffs = {"hidden": float(np.abs(ours.last_hidden_state - hidden_theirs)[real].max())}
    diffs["spread"] = float(np.abs(hidden_theirs[real]).max())  # not all zeros
    if ours.pooler_output is not None:
        pooled = theirs.pooler_output.numpy()
        diffs["pooler"] = float(np.abs(ours.pooler_output - pooled).max())
    else:
        assert getattr(theirs, "pooler_output", None) is None
    return diffs


def inputs(config: EncoderConfig, lengths: list[int], seq: int) -> tuple[Array, Array]:
    """Right-padded ids (the padding carries the pad id) and their attention mask."""
    rng = np.random.default_rng(5)
    ids = rng.integers(config.pad_token_id + 1, config.vocab_size, size=(len(lengths), seq))
    mask = np.zeros_like(ids)
    for row, length in enumerate(lengths):
        mask[row, :length] = 1
    ids[mask == 0] = config.pad_token_id
    return ids.astype(np.int64), mask.astype(np.int64)


def check(diffs: dict[str, float]) -> None:
    assert diffs["spread"] > 0.5
    assert diffs["hidden"] < ATOL, diffs
    assert diffs.get("pooler", 0.0) < ATOL, diffs


@pytest.mark.parametrize("variant", list(MODULES))
def test_parity_without_padding(torch: Any, variant: str) -> None:
    config = small(variant)
    check(compare(torch, config, *inputs(config, [24, 24], seq=24)))


@pytest.mark.parametrize("variant", list(MODULES))
def test_parity_with_padding(torch: Any, variant: str) -> None:
    config = small(variant)
    check(compare(torch, config, *inputs(config, [24, 17, 5, 1], seq=24)))


def test_parity_bert_tiny_preset_at_benchmark_length(torch: Any) -> None:
    """The benchmark's shape: the full tiny preset (12 layers, 30k vocabulary), 128 tokens."""
    config = config_for("bert", "tiny")
    check(compare(torch, config, *inputs(config, [128], seq=128)))


def test_parity_bert_without_pooler(torch: Any) -> None:
    """MiniLM-style: a BertModel built without its pooling layer."""
    config = small("bert", has_pooler=False)
    check(compare(torch, config, *inputs(config, [12, 7], seq=12)))


def test_the_sharpening_matters() -> None:
    """Sharpened attention is far from uniform, so a mask or position slip would show."""
    config = small("bert")
    weights = sharpened(bert, config, seed=11)
    ids, _ = inputs(config, [16], seq=16)
    hidden = bert.embed(weights.embeddings, config, ids, weights.embeddings.position[:16])
    layer = weights.layers[0]
    parts = bert.layer_to_parts(layer)
    head = config.head_dim
    q = hidden @ parts["query.weight"][:head].T + parts["query.bias"][:head]  # first head
    k = hidden @ parts["key.weight"][:head].T + parts["key.bias"][:head]  # [16, head_dim]
    scores = q @ k.T / np.sqrt(head)  # [16, 16]
    probs = np.exp(scores - scores.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    assert probs.max(axis=-1).mean() > 3 / 16  # uniform would be 1/16
