"""The lab's three demos: int8 quantization (pure), and tokenize, similarity and quantize through
the JSON API and the /lab page, with their limits."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.encoders import bert
from app.encoders import quantize as q8
from app.encoders.configs import Preset, config_for
from app.lab.demos import Demos
from app.lab.store import ModelStore
from app.main import create_app
from tests.lab.busy import full_lab

# --- int8, pure -------------------------------------------------------------------------------


def test_int8_rows_round_trip_within_half_a_step_per_row() -> None:
    rng = np.random.default_rng(3)
    matrix = (rng.standard_normal((64, 48)) * rng.uniform(0.01, 3.0, (64, 1))).astype(np.float32)
    matrix[5] = 0.0  # an all-zero row keeps scale 1 and stays zero
    rows = q8.quantize_rows(matrix)
    assert rows.values.dtype == np.int8 and rows.values.shape == matrix.shape
    assert np.abs(rows.values.astype(np.int32)).max() == 127  # the largest |w| of a row maps to 127
    back = q8.dequantize(rows)
    step = rows.scales[:, None]
    assert np.all(np.abs(back - matrix) <= step / 2 + 1e-7)
    assert rows.scales[5] == 1.0 and not back[5].any()
    assert rows.nbytes == matrix.size + 4 * matrix.shape[0]


def test_a_quantized_bert_keeps_its_biases_and_shrinks_its_matrices_four_times() -> None:
    config = config_for("bert", "tiny")
    weights = bert.init_weights(config, 0)
    quantized = q8.quantize(weights)
    rebuilt = q8.dequantized(quantized)
    for original, layer in zip(weights.layers, rebuilt.layers, strict=True):
        for name in q8.LAYER_MATRICES:
            before, after = getattr(original, name), getattr(layer, name)
            assert after.shape == before.shape and after.dtype == np.float32
            assert np.array_equal(after[:, -1], before[:, -1])  # the bias column is untouched
            assert 0 < np.abs(after - before).max() <= np.abs(before[:, :-1]).max() / 127
        assert layer.attention_norm_weight is original.attention_norm_weight
    assert rebuilt.embeddings is weights.embeddings
    matrices = sum(
        getattr(layer, name)[:, :-1].size for layer in weights.layers for name in q8.LAYER_MATRICES
    )
    rows = sum(
        getattr(layer, name).shape[0] for layer in weights.layers for name in q8.LAYER_MATRICES
    )
    assert quantized.float32_bytes == 4 * matrices
    assert quantized.int8_bytes == matrices + 4 * rows


# --- tokenize ---------------------------------------------------------------------------------


def test_four_tokenizers_split_a_text_and_say_what_they_were_trained_on(
    minilm_client: TestClient, migrated: Settings
) -> None:
    response = minilm_client.post(
        "/api/v1/lab/tokenize", json={"text": "Tokenizers split naïve words 😀"}
    )
    assert response.status_code == 200, response.text
    found = {t["kind"]: t for t in response.json()["tokenizers"]}
    assert list(found) == ["wordpiece", "bpe", "byte-bpe", "unigram"]
    wordpiece = found["wordpiece"]
    assert wordpiece["vocab_size"] == 30_522 and "real vocabulary" in wordpiece["trained_on"]
    assert wordpiece["tokens"][-1] == "[UNK]" and wordpiece["unknown"] == [wordpiece["count"] - 1]
    assert "naive" in wordpiece["tokens"]  # BERT's uncased normaliser drops the accent
    for kind in ("bpe", "byte-bpe", "unigram"):
        assert found[kind]["vocab_size"] <= 2000
        assert "this site's lesson text" in found[kind]["trained_on"]
        assert found[kind]["count"] == len(found[kind]["tokens"]) > 0
    assert found["byte-bpe"]["unknown"] == []  # 256 bytes as its base: nothing is unknown
    assert "".join(found["unigram"]["tokens"]).replace("▁", " ").strip().startswith("Tokenizers")
    cached = sorted(p.name.split("-2000-")[0] for p in (migrated.data_dir / "tokenizers").iterdir())
    assert cached == ["bpe", "byte-bpe", "unigram"]


def test_trained_tokenizers_come_back_from_the_cache_and_retrain_when_unreadable(
    tmp_path: Path,
) -> None:
    store = ModelStore(models_dir=tmp_path / "none", max_preset=Preset.tiny, preload=[])
    corpus = ["Attention costs grow with the square of the length."] * 50
    first = Demos(store=store, corpus=corpus, cache_dir=tmp_path / "cache")
    tokens = first.tokenize("attention length")
    files = sorted((tmp_path / "cache").iterdir())
    assert len(files) == 4  # without MiniLM, WordPiece is trained here too
    assert tokens[0].kind == "wordpiece" and "this site's lesson text" in tokens[0].trained_on
    stamps = {f: f.stat().st_mtime_ns for f in files}
    files[0].write_text("not json")
    again = Demos(store=store, corpus=corpus, cache_dir=tmp_path / "cache").tokenize(
        "attention length"
    )
    assert [t.tokens for t in again] == [t.tokens for t in tokens]
    assert files[0].stat().st_mtime_ns != stamps[files[0]]  # retrained and written again
    assert all(f.stat().st_mtime_ns == stamps[f] for f in files[1:])  # read, not retrained


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"text": ""}, "at least 1 character"),
        ({"text": "   "}, "is empty"),
        ({"text": "x" * 1001}, "at most 1000 characters"),
        ({}, "body.text: Field required"),
    ],
)
def test_bad_tokenize_input_is_a_422_that_says_what_to_fix(
    client: TestClient, body: dict[str, Any], fragment: str
) -> None:
    response = client.post("/api/v1/lab/tokenize", json=body)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


# --- similarity and quantize -------------------------------------------------------------------


def test_similarity_is_a_symmetric_cosine_matrix_that_ranks_meaning(
    minilm_client: TestClient,
) -> None:
    sentences = [
        "The cat sat on the mat.",
        "A cat was sitting on a rug.",
        "Interest rates rose again this quarter.",
    ]
    response = minilm_client.post("/api/v1/lab/similarity", json={"sentences": sentences})
    assert response.status_code == 200, response.text
    matrix = np.array(response.json()["matrix"])
    assert matrix.shape == (3, 3)
    assert np.allclose(np.diag(matrix), 1.0, atol=1e-3) and np.allclose(matrix, matrix.T)
    assert matrix[0, 1] > 0.5 > matrix[0, 2] and matrix[0, 1] > matrix[1, 2]


@pytest.mark.parametrize(
    ("sentences", "fragment"),
    [
        (["only one"], "at least 2 items"),
        ([f"s{i}" for i in range(9)], "at most 8 items"),
        (["fine", " "], "sentence 2 is empty"),
        (["fine", "y" * 301], "at most 300 characters"),
    ],
)
def test_bad_sentences_are_a_422_for_both_demos(
    client: TestClient, sentences: list[str], fragment: str
) -> None:
    for path in ("/api/v1/lab/similarity", "/api/v1/lab/quantize"):
        if path.endswith("quantize") and fragment == "at least 2 items":
            continue  # one sentence is enough to quantize
        response = client.post(path, json={"sentences": sentences})
        assert response.status_code == 422, (path, response.text)
        assert fragment in response.json()["detail"]


def test_without_minilm_the_model_demos_say_so_with_a_422(client: TestClient) -> None:
    for path in ("/api/v1/lab/similarity", "/api/v1/lab/quantize"):
        response = client.post(path, json={"sentences": ["one", "two"]})
        assert response.status_code == 422
        assert "all-MiniLM-L6-v2" in response.json()["detail"]
        assert "fetch-model" in response.json()["detail"]


def test_int8_minilm_is_four_times_smaller_nearly_the_same_and_timed(
    minilm_client: TestClient,
) -> None:
    response = minilm_client.post(
        "/api/v1/lab/quantize",
        json={
            "sentences": ["ALBERT shares its layers.", "Int8 stores weights in a byte."],
            "runs": 2,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert 3.9 < body["weight_bytes_fp32"] / body["weight_bytes_int8"] < 4.0  # scales cost a little
    assert len(body["cosine"]) == 2 and all(0.99 < c <= 1.0 for c in body["cosine"])
    assert body["latency"]["runs"] == 2
    assert body["latency"]["fp32_ms"] > 0 and body["latency"]["int8_ms"] > 0
    assert 0 < body["max_abs_error"] < 0.1
    assert "BLAS" in body["note"]
    too_many = minilm_client.post("/api/v1/lab/quantize", json={"sentences": ["a"], "runs": 21})
    assert too_many.status_code == 422


def test_a_full_pool_refuses_the_demos_with_429(tmp_path: Path) -> None:
    with full_lab(tmp_path / "data") as base:
        refused = httpx.post(base + "/api/v1/lab/tokenize", json={"text": "busy?"})
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["retry-after"]) >= 1
    assert "busy" in refused.json()["detail"]


# --- the page ---------------------------------------------------------------------------------


def _csrf(client: TestClient) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/lab").text)
    assert match
    return match.group(1)


def test_the_demo_forms_run_on_the_lab_page_and_keep_bad_input(
    minilm_client: TestClient,
) -> None:
    token = _csrf(minilm_client)
    tokens = minilm_client.post("/lab/tokenize", data={"csrf_token": token, "text": "unbelievably"})
    assert tokens.status_code == 200
    assert '<li class="token">##bly</li>' in tokens.text or "##bly" in tokens.text
    matrix = minilm_client.post(
        "/lab/similarity",
        data={"csrf_token": token, "sentences": "A cat sat.\nA cat was sitting.\n\n"},
    )
    assert matrix.status_code == 200
    assert matrix.text.count('class="heat heat-10"') == 2  # the diagonal
    one = minilm_client.post("/lab/similarity", data={"csrf_token": token, "sentences": "alone"})
    assert one.status_code == 422
    assert 'id="similarity-error"' in one.text and "at least 2 items" in one.text
    assert ">alone</textarea>" in one.text  # what was typed stays
    int8 = minilm_client.post("/lab/quantize", data={"csrf_token": token, "quantize": "A cat sat."})
    assert int8.status_code == 200
    assert "smaller weights" in int8.text and "lowest cosine" in int8.text


def test_without_minilm_the_page_disables_the_model_demos(migrated: Settings) -> None:
    with TestClient(create_app(migrated)) as client:
        page = client.get("/lab").text
        token = _csrf(client)
        refused = client.post("/lab/similarity", data={"csrf_token": token, "sentences": "a\nb"})
    assert page.count("This demo needs all-MiniLM-L6-v2") == 2
    assert refused.status_code == 422 and "fetch-model" in refused.text
