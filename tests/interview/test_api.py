"""``/api/v1/interviews``: the whole flow for a script with a token, on SQLite and PostgreSQL.

The app here has no sentence encoder (its models directory is empty), so answers are judged
by the keyword grader, labelled as such; tests/interview/test_minilm.py runs with the model.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Clock, make_account
from tests.interview.flow import BANK, MISSES_ALL, covering, follow_up_targets

pytestmark = pytest.mark.both_databases

URL = "/api/v1/interviews"
Headers = dict[str, str]


def start(client: TestClient, headers: Headers, **body: Any) -> dict[str, Any]:
    response = client.post(URL, json={"length": 3, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def answer(
    client: TestClient, headers: Headers, interview: dict[str, Any], text: str
) -> dict[str, Any]:
    response = client.post(
        f"{URL}/{interview['id']}/answers",
        json={"position": interview["position"], "text": text},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_start_serves_the_first_question_without_answer_keys(
    client: TestClient, auth: Headers, clock: Clock
) -> None:
    body = start(client, auth, lessons=["albert", "bert"], length=5)
    assert body["status"] == "in_progress" and body["position"] == 1 and body["length"] == 5
    assert body["lessons"] == ["bert", "albert"]  # in lesson order
    asked = body["question"]
    question = BANK.get(asked["id"])
    assert (
        question is not None and question.type == "open" and question.lesson in ("albert", "bert")
    )
    assert set(asked) == {"id", "prompt", "prompt_html", "lesson", "difficulty", "asked_at"}
    assert asked["asked_at"] == clock.now.isoformat().replace("+00:00", "Z")
    assert body["report"] is None


def test_a_missed_point_brings_its_follow_up_and_the_length_stays(
    client: TestClient, auth: Headers
) -> None:
    interview = start(client, auth, lessons=["cheat-sheet"])
    first = interview["question"]["id"]
    assert follow_up_targets(first)  # every cheat-sheet open question names follow-ups
    after = answer(client, auth, interview, MISSES_ALL)
    assert after["position"] == 2 and after["status"] == "in_progress"
    assert after["question"]["id"] in follow_up_targets(first)
    assert after["question"]["lesson"] != "cheat-sheet"  # it follows the point, not the lessons
    assert after["report"] is None  # no feedback until the end
    third = answer(client, auth, after, covering(after["question"]["id"]))
    done = answer(client, auth, third, covering(third["question"]["id"]))
    assert done["status"] == "finished" and done["length"] == 3 and done["question"] is None
    answers = done["report"]["answers"]
    assert [a["position"] for a in answers] == [1, 2, 3]
    assert len({a["question_id"] for a in answers}) == 3
    why = answers[1]["follow_up_of"]
    assert why["position"] == 1 and why["key_point_text"]
    missed = next(p for p in BANK.get(first).key_points if p.id == why["key_point"])
    assert missed.follow_up == answers[1]["question_id"]
    assert answers[0]["follow_up_of"] is None


def test_an_answer_covering_every_point_brings_no_follow_up(
    client: TestClient, auth: Headers
) -> None:
    interview = start(client, auth, lessons=["cheat-sheet"])
    after = answer(client, auth, interview, covering(interview["question"]["id"]))
    assert after["question"]["lesson"] == "cheat-sheet"  # the planned question, not a follow-up


def test_times_come_from_the_server_clock(client: TestClient, auth: Headers, clock: Clock) -> None:
    interview = start(client, auth, lessons=["albert"])
    clock.advance(seconds=42)
    response = client.post(
        f"{URL}/{interview['id']}/answers",
        # what a client says about time is not a field of the body and is ignored
        json={"position": 1, "text": MISSES_ALL, "seconds": 1, "asked_at": "2020-01-01T00:00:00Z"},
        headers=auth,
    )
    assert response.status_code == 200
    assert response.json()["question"]["asked_at"] == clock.now.isoformat().replace("+00:00", "Z")
    clock.advance(seconds=75)
    report = client.post(f"{URL}/{interview['id']}/finish", headers=auth).json()["report"]
    (only,) = report["answers"]
    assert only["seconds"] == 42
    assert report["not_asked"] == 2 and report["answered"] == 1


def test_finish_reports_verdicts_evidence_and_figures(client: TestClient, auth: Headers) -> None:
    interview = start(client, auth, lessons=["distilbert"])
    question_id = interview["question"]["id"]
    after = answer(client, auth, interview, covering(question_id))
    body = client.post(f"{URL}/{interview['id']}/finish", headers=auth).json()
    assert body["status"] == "finished" and body["ended_at"] and body["position"] is None
    report = body["report"]
    assert report["grader"] == "keywords"
    (first,) = report["answers"]
    assert first["question_id"] == question_id and first["grader"] == "keywords"
    assert first["verdict"] == "unsure"  # the keyword grader is never better
    assert all(p["covered"] for p in first["key_points"]) and first["score"] == 1.0
    question = BANK.get(question_id)
    assert question is not None
    assert first["reference_answer_html"] == question.reference_answer_html
    assert first["lesson_url"] == question.lesson_url
    assert report["score"] == 0.0 and report["coverage"] == 1.0 and report["acceptable"] == 0
    assert body["score"] == 0.0 and body["coverage"] == 1.0  # kept with the interview
    assert after["position"] == 2
    again = client.post(
        f"{URL}/{interview['id']}/answers", json={"position": 2, "text": "x"}, headers=auth
    )
    assert again.status_code == 409 and "finished" in again.json()["detail"]


def test_list_and_get_mine(client: TestClient, auth: Headers) -> None:
    first = start(client, auth, lessons=["bert"])
    second = start(client, auth, lessons=["roberta"])
    listed = client.get(URL, headers=auth).json()
    assert [i["id"] for i in listed] == [second["id"], first["id"]]  # newest first
    assert listed[0]["status"] == "in_progress" and listed[0]["answered"] == 0
    got = client.get(f"{URL}/{first['id']}", headers=auth).json()
    assert got["question"] == first["question"] and got["position"] == 1  # resumed as it was


def test_resume_keeps_the_question_and_its_clock(
    client: TestClient, auth: Headers, clock: Clock
) -> None:
    interview = start(client, auth, lessons=["deberta"])
    after = answer(client, auth, interview, MISSES_ALL)
    clock.advance(hours=2)
    resumed = client.get(f"{URL}/{interview['id']}", headers=auth).json()
    assert resumed["position"] == 2 and resumed["question"] == after["question"]


def test_abandon_keeps_the_answers_without_a_score(client: TestClient, auth: Headers) -> None:
    interview = start(client, auth, lessons=["albert"])
    answer(client, auth, interview, MISSES_ALL)
    body = client.post(f"{URL}/{interview['id']}/abandon", headers=auth).json()
    assert body["status"] == "abandoned" and body["score"] is None
    assert len(body["report"]["answers"]) == 1
    for path in ("finish", "abandon"):
        again = client.post(f"{URL}/{interview['id']}/{path}", headers=auth)
        assert again.status_code == 409 and "already abandoned" in again.json()["detail"]
    late = client.post(
        f"{URL}/{interview['id']}/answers", json={"position": 2, "text": "x"}, headers=auth
    )
    assert late.status_code == 409 and "abandoned" in late.json()["detail"]


def test_another_learners_interview_is_not_found(client: TestClient, auth: Headers) -> None:
    mine = start(client, auth, lessons=["albert"])
    other = make_account(client, "grace", "another password")
    base = f"{URL}/{mine['id']}"
    assert client.get(base, headers=other).status_code == 404
    assert (
        client.post(f"{base}/answers", json={"position": 1, "text": "x"}, headers=other).status_code
        == 404
    )
    assert client.post(f"{base}/finish", headers=other).status_code == 404
    assert client.post(f"{base}/abandon", headers=other).status_code == 404
    assert client.get(URL, headers=other).json() == []
    assert client.get(base, headers=auth).json()["status"] == "in_progress"  # untouched


def test_answering_a_recorded_position_is_409_and_changes_nothing(
    client: TestClient, auth: Headers
) -> None:
    interview = start(client, auth, lessons=["roberta"])
    answer(client, auth, interview, "My first answer.")
    again = client.post(
        f"{URL}/{interview['id']}/answers",
        json={"position": 1, "text": "A second try."},
        headers=auth,
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    detail = again.json()["detail"]
    assert "already recorded" in detail and "question 2" in detail
    ahead = client.post(
        f"{URL}/{interview['id']}/answers", json={"position": 3, "text": "Ahead."}, headers=auth
    )
    assert ahead.status_code == 409 and "not been asked yet" in ahead.json()["detail"]
    report = client.post(f"{URL}/{interview['id']}/finish", headers=auth).json()["report"]
    assert [a["text"] for a in report["answers"]] == ["My first answer."]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"length": 4}, "3, 5 or 8"),
        ({"length": 3, "lessons": []}, "at least one lesson"),
        ({"length": 3, "lessons": ["gpt"]}, "'gpt'"),
        ({"length": 5, "lessons": ["albert"]}, "choose more lessons or a shorter interview"),
        ({"lessons": ["albert"]}, "length"),
    ],
)
def test_bad_starts_say_what_to_fix(
    client: TestClient, auth: Headers, body: dict[str, Any], says: str
) -> None:
    response = client.post(URL, json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert says in response.json()["detail"]


@pytest.mark.parametrize(
    ("position", "text", "says"),
    [
        (1, "   ", "empty"),
        (1, "x" * 5001, "under 5000"),
        (1, "nul\x00here", "cannot be graded"),
        (9, "an answer", "between 1 and 3"),
        (0, "an answer", "position"),
    ],
)
def test_bad_answers_say_what_to_fix(
    client: TestClient, auth: Headers, position: int, text: str, says: str
) -> None:
    interview = start(client, auth, lessons=["bert"])
    response = client.post(
        f"{URL}/{interview['id']}/answers", json={"position": position, "text": text}, headers=auth
    )
    assert response.status_code == 422, response.text
    assert says in response.json()["detail"]
    assert client.get(f"{URL}/{interview['id']}", headers=auth).json()["position"] == 1


def test_unknown_interviews_and_early_finish(client: TestClient, auth: Headers) -> None:
    assert client.get(f"{URL}/999", headers=auth).status_code == 404
    assert client.get(f"{URL}/99999999999999999999", headers=auth).status_code == 422
    interview = start(client, auth, lessons=["bert"])
    early = client.post(f"{URL}/{interview['id']}/finish", headers=auth)
    assert early.status_code == 409 and "Nothing is answered yet" in early.json()["detail"]
    assert client.get(URL).status_code == 401  # no token, no session


def test_export_carries_interviews_and_delete_removes_them(
    client: TestClient, auth: Headers
) -> None:
    interview = start(client, auth, lessons=["bert"])
    answer(client, auth, interview, "My answer about BERT.")
    exported = client.get("/api/v1/me/export", headers=auth).json()
    (kept,) = exported["interviews"]
    assert kept["id"] == interview["id"] and kept["answers"][0]["text"] == "My answer about BERT."
    assert kept["answers"][0]["judgement"]["grader"] == "keywords"
    assert client.delete("/api/v1/me", headers=auth).status_code == 204
