"""The lab's JSON API through TestClient: variants, cost, run, compare, and every limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.encoders.configs import config_for
from app.lab import service
from app.main import create_app
from tests.lab import needs
from tests.lab.busy import full_lab

FIVE = ["bert", "roberta", "distilbert", "albert", "deberta"]


def _client(settings: Settings, **changes: Any) -> TestClient:
    return TestClient(create_app(settings.model_copy(update=changes)))


def test_variants_list_the_five_and_say_why_minilm_is_missing(migrated: Settings) -> None:
    with _client(migrated, lab_max_preset="small") as client:
        body = client.get("/api/v1/lab/variants").json()
    names = [v["name"] for v in body["variants"]]
    assert names == [*FIVE, "minilm"]
    minilm = body["variants"][-1]
    assert minilm["available"] is False and "fetch-model" in minilm["note"]
    presets = {p["name"]: p for p in body["presets"]}
    assert presets["tiny"]["hidden_size"] == 128 and presets["tiny"]["albert_embedding_size"] == 64
    assert presets["small"]["allowed"] and not presets["medium"]["allowed"]
    assert "random weights" in body["weights"] and "not quality" in body["weights"]


@pytest.mark.parametrize(
    ("variant", "total", "embeddings", "pooler"),
    [
        ("bert", 109_482_240, 23_837_184, 590_592),
        ("roberta", 124_645_632, 39_000_576, 590_592),
        ("distilbert", 66_362_880, 23_835_648, 0),
        ("albert", 11_683_584, 3_906_048, 590_592),
        ("deberta", 183_831_552, 98_382_336, 0),
    ],
)
def test_cost_of_the_base_presets_equals_the_reference_counts(
    client: TestClient, variant: str, total: int, embeddings: int, pooler: int
) -> None:
    body = client.get(
        "/api/v1/lab/cost", params={"variant": variant, "preset": "base", "seq_len": 128}
    ).json()
    assert body["parameters"]["total"] == total
    assert body["parameters"]["embeddings"] == embeddings
    assert body["parameters"]["pooler"] == pooler
    assert body["flops_total"] == sum(body["flops"].values())


def test_cost_counts_deberta_both_ways(client: TestClient) -> None:
    ours, reference = (
        client.get(
            "/api/v1/lab/cost",
            params={"variant": "deberta", "preset": "base", "seq_len": 128, "implementation": i},
        ).json()
        for i in ("ours", "transformers")
    )
    assert reference["flops_total"] == 39_258_685_440  # the anchors' 39.259 GFLOP
    assert ours["relative_rows"] == 255 < reference["relative_rows"] == 512
    assert ours["flops_total"] < reference["flops_total"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"variant": "gpt2"}, "variant"),
        ({"variant": "bert", "preset": "huge"}, "preset"),
        ({"variant": "bert", "seq_len": 0}, "seq_len"),
        ({"variant": "bert", "seq_len": 513}, "seq_len"),
    ],
)
def test_cost_refuses_bad_input(client: TestClient, params: dict[str, Any], fragment: str) -> None:
    response = client.get("/api/v1/lab/cost", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert fragment in response.text


def test_run_reports_latency_modules_and_throughput(client: TestClient) -> None:
    response = client.post(
        "/api/v1/lab/run", json={"variant": "albert", "preset": "tiny", "seq_len": 16, "runs": 3}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    latency = body["latency"]
    assert len(latency["runs_ms"]) == 3
    assert latency["p10_ms"] <= latency["median_ms"] <= latency["p90_ms"]
    assert {
        "embeddings",
        "embedding_projection",
        "projections",
        "attention",
        "feed_forward",
    } <= set(body["modules_ms"])
    assert body["flops"]["embedding_projection"] == 2 * 16 * 64 * 128
    assert body["gflops_per_s"] > 0 and body["tokens"] is None and body["seq_len"] == 16
    assert body["parameters"]["total_applied"] > body["parameters"]["total"]  # one shared layer
    assert body["environment"]["numpy"] and body["environment"]["blas"]


def test_compare_runs_every_variant_against_bert_in_one_request(client: TestClient) -> None:
    response = client.post(
        "/api/v1/lab/compare",
        json={
            "preset": "tiny",
            "seq_len": 24,
            "runs": 2,
            "predicted": ["distilbert", "albert", "bert", "roberta", "deberta"],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    rows = {r["variant"]: r for r in body["rows"]}
    assert list(rows) == FIVE  # MiniLM is not installed in this data directory
    assert rows["bert"]["latency_ratio"] == 1.0 and rows["bert"]["params_ratio"] == 1.0
    assert rows["distilbert"]["flops_ratio"] == pytest.approx(0.5, abs=0.01)
    assert rows["albert"]["params_ratio"] < 0.5
    assert rows["deberta"]["flops_ratio"] > 1.0
    for row in body["rows"]:
        assert row["explanation"] and row["lesson_url"].startswith("/lessons/")
        assert row["latency_ms_p10"] <= row["latency_ms_median"] <= row["latency_ms_p90"]
        assert row["latency_ratio_p10"] <= row["latency_ratio"] <= row["latency_ratio_p90"]
        assert row["same_within_noise"] == (
            row["latency_ratio_p10"] <= 1.0 <= row["latency_ratio_p90"]
        )
        # time per module plus "other" is the pass timed by module, within rounding
        parts = sum(row["modules_ms"].values()) + row["other_ms"]
        assert parts == pytest.approx(row["module_pass_ms"], abs=1e-3)
        assert row["other_ms"] >= 0
    assert body["blas_threads"] == 1  # the tiny preset's timed passes
    guess = body["prediction"]
    assert guess["pairs"] == 10 and 0 <= guess["pairs_right"] <= 10
    assert sorted(guess["measured"]) == sorted(FIVE)


def test_compare_always_includes_bert_as_the_baseline(client: TestClient) -> None:
    body = client.post(
        "/api/v1/lab/compare",
        json={"preset": "tiny", "seq_len": 8, "runs": 1, "variants": ["albert"]},
    ).json()
    assert [r["variant"] for r in body["rows"]] == ["bert", "albert"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"variant": "bert"}, "send 'text' (a sentence to tokenise) or 'seq_len'"),
        ({"variant": "bert", "seq_len": 8, "text": "hi"}, "either 'text' or 'seq_len', not both"),
        ({"variant": "bert", "seq_len": 8, "runs": 0}, "runs"),
        ({"variant": "bert", "seq_len": 8, "runs": 51}, "runs"),
        ({"variant": "bert", "seq_len": 600}, "seq_len"),
        ({"variant": "xlnet", "seq_len": 8}, "variant"),
        ({"variant": "bert", "preset": "large", "seq_len": 8}, "preset"),
        ({"variant": "bert", "text": "x" * 4001}, "4000"),
        ({"variant": "bert", "text": "   "}, "empty"),
        ({"variant": "bert", "text": "no tokenizer here"}, "fetch-model"),
        ({"variant": "minilm", "seq_len": 8}, "not available"),
        ({"variant": "deberta", "preset": "base", "seq_len": 512, "runs": 50}, "GFLOP"),
    ],
)
def test_run_refuses_bad_input_with_a_clear_422(
    client: TestClient, body: dict[str, Any], fragment: str
) -> None:
    response = client.post("/api/v1/lab/run", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert fragment in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"seq_len": 8, "predicted": ["bert", "bert"]}, "twice"),
        ({"seq_len": 8, "variants": ["albert"], "predicted": ["deberta", "bert"]}, "only name"),
        ({"seq_len": 8, "predicted": ["bert"]}, "at least two"),
    ],
)
def test_compare_refuses_a_bad_prediction(
    client: TestClient, body: dict[str, Any], fragment: str
) -> None:
    response = client.post("/api/v1/lab/compare", json={"preset": "tiny", "runs": 1, **body})
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


def test_a_preset_above_the_servers_cap_is_refused(migrated: Settings) -> None:
    with _client(migrated, lab_max_preset="tiny") as client:
        response = client.post(
            "/api/v1/lab/run", json={"variant": "bert", "preset": "small", "seq_len": 8}
        )
    assert response.status_code == 422
    assert "up to 'tiny'" in response.json()["detail"]


def test_text_is_tokenised_with_wordpiece_for_every_variant(migrated: Settings) -> None:
    with _client(migrated, models_dir=needs.models_dir()) as client:
        body = client.post(
            "/api/v1/lab/compare",
            json={"preset": "tiny", "runs": 1, "text": "ALBERT shares one layer's weights."},
        ).json()
        long = client.post(
            "/api/v1/lab/run", json={"variant": "bert", "text": "word " * 700, "runs": 1}
        ).json()
    assert body["tokens"][0] == "[CLS]" and body["tokens"][-1] == "[SEP]"
    assert "albert" in body["tokens"] and body["seq_len"] == len(body["tokens"])
    assert [r["variant"] for r in body["rows"]] == [*FIVE, "minilm"]
    minilm = body["rows"][-1]
    assert minilm["pretrained"] is True and minilm["params_total"] == 22_713_216
    assert long["seq_len"] == 512 and long["truncated"] is True


def test_a_full_pool_answers_429_and_pages_keep_answering(tmp_path: Path) -> None:
    """One worker, no queue: while a long run holds it, the next run is refused at once."""
    with full_lab(tmp_path / "data") as base:
        refused = httpx.post(
            base + "/api/v1/lab/run", json={"variant": "bert", "seq_len": 4, "runs": 1}
        )
        lesson = httpx.get(base + "/lessons/albert", timeout=10)
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["content-type"] == "application/problem+json"
    assert "busy" in refused.json()["detail"]
    assert lesson.status_code == 200


def test_left_out_runs_shrink_to_fit_the_work_limit_and_explicit_ones_do_not(
    migrated: Settings,
) -> None:
    """No `runs`: the default, or the most the server's work limit allows; `runs` given: a 422
    saying what to lower, as before."""
    limit = 20.0
    configs = [
        config_for(v, "tiny") for v in ("bert", "roberta", "distilbert", "albert", "deberta")
    ]
    with _client(migrated, lab_max_work=limit) as client:
        body = client.post("/api/v1/lab/compare", json={"preset": "tiny", "seq_len": 64}).json()
        runs = body["runs"]
        assert 1 <= runs < service.DEFAULT_RUNS
        assert (
            service.work_gflop(configs, [64], runs)
            <= limit
            < service.work_gflop(configs, [64], runs + 1)
        )
        refused = client.post(
            "/api/v1/lab/compare",
            json={"preset": "tiny", "seq_len": 64, "runs": service.DEFAULT_RUNS},
        )
        assert refused.status_code == 422
        assert "GFLOP" in refused.json()["detail"]
        small = client.post("/api/v1/lab/run", json={"variant": "bert", "seq_len": 8}).json()
        assert len(small["latency"]["runs_ms"]) == service.DEFAULT_RUNS  # small: the full default
