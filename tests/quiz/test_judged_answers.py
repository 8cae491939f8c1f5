"""Open answers in a quiz or review are judged by MiniLM and kept with their verdict and evidence;
the pages show the evidence highlighted in the learner's own words."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import make_account, new_id
from tests.quiz.test_grade_api import STRONG

QUESTION = "albert-inference-speed"
WRONG = "Yes, ALBERT is much faster because it shares its weights, so each layer does less work."


def _attempt(client: TestClient, auth: dict[str, str], text: str, attempt_id: str) -> dict:
    response = client.post(
        "/api/v1/attempts",
        headers=auth,
        json={
            "attempt_id": attempt_id,
            "question_id": QUESTION,
            "response": {"text": text, "rating": 3},
        },
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def _field(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no field {name}"
    return match.group(1)


def test_a_judged_attempt_keeps_its_verdict_and_evidence(minilm_client: TestClient) -> None:
    auth = make_account(minilm_client)
    attempt_id = new_id()
    body = _attempt(minilm_client, auth, STRONG, attempt_id)
    judgement = body["judgement"]
    assert judgement["grader"] == "minilm" and judgement["verdict"] == "acceptable"
    assert body["correct"] is True and body["score"] == judgement["score"]
    flops = next(k for k in judgement["key_points"] if k["id"] == "same-flops")
    assert flops["covered"] and "FLOPs are the same" in flops["evidence"]
    assert "same-flops" in body["covered_key_points"]
    # A resend gets the verdict as it was kept, and the export carries it.
    again = _attempt(minilm_client, auth, STRONG, attempt_id)
    assert again["judgement"] == judgement
    exported = minilm_client.get("/api/v1/me/export", headers=auth).json()
    assert exported["attempts"][0]["judgement"]["verdict"] == "acceptable"


def test_a_confident_wrong_answer_is_kept_as_wrong(minilm_client: TestClient) -> None:
    auth = make_account(minilm_client)
    body = _attempt(minilm_client, auth, WRONG, new_id())
    assert body["correct"] is False
    assert body["judgement"]["verdict"] == "not_acceptable"


def test_without_the_model_an_open_attempt_is_never_right(client: TestClient) -> None:
    auth = make_account(client)
    body = _attempt(client, auth, STRONG, new_id())
    assert body["judgement"]["grader"] == "keywords"
    assert body["judgement"]["verdict"] == "unsure" and body["correct"] is False


def test_quiz_page_highlights_the_evidence_before_and_after_rating(
    minilm_client: TestClient,
) -> None:
    page = minilm_client.get("/quiz/albert")
    fields = {n: _field(page.text, n) for n in ("csrf_token", "attempt_id", "started_ms")}
    fields |= {"question_id": QUESTION, "shown": "", "text": STRONG}
    reveal = minilm_client.post("/quiz/albert", data=fields)
    assert reveal.status_code == 200
    assert 'data-verdict="acceptable"' in reveal.text
    assert re.search(r'<mark class="hl hl-point" title="Covers: [^"]*FLOPs[^"]*">', reveal.text)
    assert "is-suggested" in reveal.text and 'data-grader="minilm"' in reveal.text
    # Each rating names the interval FSRS would give a new card: Again soonest, Easy latest.
    labels = re.findall(r'<span class="rating-interval">([^<]+)</span>', reveal.text)
    assert len(labels) == 4 and labels[0].endswith("min") and labels[3].endswith(("d", "mo"))
    rated = minilm_client.post("/quiz/albert", data=fields | {"rating": "3"})
    assert rated.status_code == 200 and 'class="hl hl-point"' in rated.text
    assert '<h1 id="verdict">Acceptable</h1>' in rated.text


def test_a_misconception_is_highlighted_with_its_correction(minilm_client: TestClient) -> None:
    page = minilm_client.get("/quiz/albert")
    fields = {n: _field(page.text, n) for n in ("csrf_token", "attempt_id", "started_ms")}
    text = "ALBERT is faster than BERT at inference because it has fewer parameters."
    reveal = minilm_client.post(
        "/quiz/albert", data=fields | {"question_id": QUESTION, "shown": "", "text": text}
    )
    assert 'data-verdict="not_acceptable"' in reveal.text
    assert 'class="hl hl-misconception"' in reveal.text
    assert 'class="mis-correction"' in reveal.text
    rated = minilm_client.post(
        "/quiz/albert",
        data=fields | {"question_id": QUESTION, "shown": "", "text": text, "rating": "3"},
    )
    assert '<div class="verdict verdict-wrong"' in rated.text
    assert '<h1 id="verdict">Not acceptable</h1>' in rated.text


def test_review_answers_an_open_card_in_writing_and_keeps_it(minilm_client: TestClient) -> None:
    auth = make_account(minilm_client, "grace")
    page = minilm_client.get("/quiz/bert")  # any form carries the visitor's CSRF token
    csrf = _field(page.text, "csrf_token")
    attempt_id = new_id()
    form = {"csrf_token": csrf, "question_id": QUESTION, "attempt_id": attempt_id}
    reveal = minilm_client.post("/review/answer", data=form | {"text": STRONG})
    assert reveal.status_code == 200 and 'class="hl hl-point"' in reveal.text
    assert 'action="/review"' in reveal.text
    assert reveal.text.count('class="rating-interval"') == 4
    empty = minilm_client.post("/review/answer", data=form | {"text": "  "})
    assert empty.status_code == 422 and "empty" in empty.text
    rated = minilm_client.post(
        "/review", data=form | {"text": STRONG, "rating": "3"}, follow_redirects=False
    )
    assert rated.status_code == 303
    # The browser is a guest: its attempt and log are the guest's (the API account saw none).
    assert minilm_client.get("/api/v1/me/export", headers=auth).json()["attempts"] == []
    exported = minilm_client.get("/account/export.json").json()
    assert exported["attempts"][0]["judgement"]["verdict"] == "acceptable"
    assert exported["review_log"][0]["source"] == "review"
