"""``POST /api/v1/questions/{id}/grade``: open answers judged without being kept."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_account

URL = "/api/v1/questions/albert-inference-speed/grade"
STRONG = (
    "No. ALBERT shares one set of weights across its 12 layers, but every layer still runs its "
    "full matrix multiplications, so the FLOPs are the same as BERT's. Measured latency is about "
    "the same on CPU. What it saves is memory and checkpoint size."
)


def test_a_strong_answer_is_acceptable_with_evidence(minilm_client: TestClient) -> None:
    auth = make_account(minilm_client)
    body = minilm_client.post(URL, json={"text": STRONG}, headers=auth).json()
    assert body["grader"] == "minilm"
    assert body["verdict"] == "acceptable" and body["acceptable"] is True
    assert body["score"] == 1.0
    flops = next(k for k in body["key_points"] if k["id"] == "same-flops")
    assert flops["covered"] and "FLOPs are the same" in flops["evidence"]
    assert 0.5 < flops["similarity"] <= 1.0


def test_a_confident_wrong_answer_is_not_acceptable(minilm_client: TestClient) -> None:
    auth = make_account(minilm_client)
    wrong = "Each layer no longer performs its full matmuls, so the FLOPs are much lower."
    body = minilm_client.post(URL, json={"text": wrong}, headers=auth).json()
    assert body["verdict"] == "not_acceptable" and body["acceptable"] is False


def test_without_the_model_the_keyword_grader_says_so(client: TestClient) -> None:
    auth = make_account(client)
    response = client.post(URL, json={"text": STRONG}, headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert body["grader"] == "keywords"
    assert body["verdict"] == "unsure" and body["acceptable"] is False  # never better
    assert "keywords" in body["reason"]


@pytest.mark.parametrize(
    ("url", "text", "status", "says"),
    [
        ("/api/v1/questions/no-such-question/grade", "an answer", 404, "no-such-question"),
        ("/api/v1/questions/albert-sop-negatives/grade", "an answer", 422, "only open questions"),
        (URL, "   ", 422, "empty"),
        (URL, "x" * 5001, 422, "under 5000"),
        (URL, "nul\x00here", 422, "cannot be graded"),
    ],
)
def test_bad_requests_say_what_to_fix(
    client: TestClient, url: str, text: str, status: int, says: str
) -> None:
    auth = make_account(client)
    response = client.post(url, json={"text": text}, headers=auth)
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]


def test_a_script_without_a_token_is_asked_for_one(client: TestClient) -> None:
    response = client.post(URL, json={"text": STRONG})
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
