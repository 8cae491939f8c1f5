"""Practice sessions through the real app (a real SQLite file): a counted session to its
summary, a reload and a restart, another learner's session, Back and resubmit, tampered forms."""

from __future__ import annotations

import random
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from app.config import Settings
from app.main import create_app
from app.quiz.scheduling import make_scheduler
from tests.conftest import Clock, make_account, new_id
from tests.quiz.practice_forms import answer_fields, hidden_fields, shown_question

pytestmark = pytest.mark.both_databases


def _bank(app: FastAPI):  # type: ignore[no-untyped-def]
    return app.state.content.questions


def _answer(client: TestClient, app: FastAPI, page: str, *, right: bool) -> Response:
    question = shown_question(page, _bank(app))
    action = re.search(r'<form class="question-card" method="post" action="([^"]+)"', page)
    assert action
    return client.post(action.group(1), data=answer_fields(page, question, right=right))


def _session_url(page: str) -> str:
    found = re.search(r'href="(/quiz/[a-z-]+/s/[A-Za-z0-9_-]{16})"', page)
    assert found, "no link to the session"
    return found.group(1)


def test_a_session_of_three_runs_to_its_summary(client: TestClient, app: FastAPI) -> None:
    first = client.get("/quiz/albert?length=3")
    assert first.status_code == 200
    assert "Question <strong>1</strong> of 3" in first.text
    assert '<progress max="3" value="0"' in first.text
    asked = [shown_question(first.text, _bank(app))]
    answered = _answer(client, app, first.text, right=True)
    assert answered.status_code == 200 and '<progress max="3" value="1"' in answered.text
    assert "Question <strong>1</strong> of 3" in answered.text
    url = _session_url(answered.text)

    second = client.get(url)
    assert "Question <strong>2</strong> of 3" in second.text
    assert client.get(url).text.count("Question <strong>2</strong> of 3") == 1  # a reload: same
    asked.append(shown_question(second.text, _bank(app)))
    wrong = _answer(client, app, second.text, right=False)
    assert "1 right so far" in wrong.text and f'href="{url}"' in wrong.text

    third = client.get(url)
    asked.append(shown_question(third.text, _bank(app)))
    assert len({q.id for q in asked}) == 3  # no question twice in a session
    skipped = client.post(url, data=hidden_fields(third.text) | {"skip": "1"})
    assert skipped.status_code == 200 and skipped.url.path == f"{url}/summary"

    summary = skipped.text
    assert "1 of 3 right" in summary and "Time taken" in summary
    rows = re.findall(r'data-question="([^"]+)" data-result="([^"]+)"', summary)
    assert rows == [(asked[0].id, "right"), (asked[1].id, "wrong"), (asked[2].id, "skipped")]
    for question in asked:
        assert f'href="{question.lesson_url}" data-section' in summary
    assert "question" in re.search(r"data-due>(.*?)</p>", summary, re.S).group(1)  # type: ignore[union-attr]
    assert "Again with the ones I missed (2)" in summary

    again = client.post(f"{url}/again", data={"csrf_token": hidden_fields(summary)["csrf_token"]})
    assert again.status_code == 200 and again.url.path != url
    assert "Question <strong>1</strong> of 2" in again.text
    retry = [shown_question(again.text, _bank(app)).id]
    retry.append(
        shown_question(
            client.get(str(_answer(client, app, again.text, right=True).url.path)).text, _bank(app)
        ).id
    )
    assert retry == [asked[1].id, asked[2].id]


def test_the_length_is_capped_and_checked(client: TestClient, app: FastAPI) -> None:
    available = len(_bank(app).for_lesson("albert"))
    assert f"Question <strong>1</strong> of {available}<" in client.get(
        "/quiz/albert?length=100"
    ).text.replace("</p>", "<")
    assert "of 10" in client.get("/quiz/albert").text  # the default
    for bad in ("0", "abc", "101", "٣"):
        page = client.get(f"/quiz/albert?length={bad}")
        assert page.status_code == 422 and "1 to 100 questions" in page.text
        assert 'href="/quiz/albert" data-again' in page.text
    index = client.get("/quiz?length=5").text
    assert 'href="/quiz/albert?length=5"' in index and 'aria-current="true">5<' in index


def test_a_session_survives_a_restart_and_is_nobody_elses(
    client: TestClient, app: FastAPI, migrated: Settings, clock: Clock
) -> None:
    answered = _answer(client, app, client.get("/quiz/bert?length=5").text, right=True)
    url = _session_url(answered.text)
    cookies = dict(client.cookies)
    restarted = create_app(migrated, clock=clock, rng=random.Random(1), scheduler=make_scheduler())
    with TestClient(restarted, cookies=cookies) as again:
        assert "Question <strong>2</strong> of 5" in again.get(url).text
    with TestClient(app) as stranger:
        page = stranger.get("/quiz/bert")  # a guest cookie of their own
        for path in (url, f"{url}/summary"):
            refused = stranger.get(path)
            assert refused.status_code == 404 and "Start a new session" in refused.text
        fields = answer_fields(
            client.get(url).text, shown_question(client.get(url).text, _bank(app)), right=True
        )
        fields["csrf_token"] = hidden_fields(page.text)["csrf_token"]
        assert stranger.post(url, data=fields).status_code == 404
        assert (
            stranger.post(f"{url}/again", data={"csrf_token": fields["csrf_token"]}).status_code
            == 404
        )
    assert client.get(url).status_code == 200  # still its owner's


def test_back_and_a_different_answer_says_the_first_counted(
    client: TestClient, app: FastAPI
) -> None:
    page = client.get("/quiz/albert?length=3").text
    question = shown_question(page, _bank(app))
    first = client.post("/quiz/albert", data=answer_fields(page, question, right=True))
    assert "Already answered" not in first.text
    again = client.post("/quiz/albert", data=answer_fields(page, question, right=True))
    assert again.status_code == 200 and "Already answered" not in again.text  # a reload
    changed = client.post("/quiz/albert", data=answer_fields(page, question, right=False))
    assert changed.status_code == 200
    assert "Already answered — your first answer counted" in changed.text
    assert "Result of your first answer" in changed.text
    verdict = re.search(r'<h1 id="verdict">([^<]*)</h1>', changed.text)
    assert verdict and verdict.group(1) in ("Right", "Acceptable", "Unsure")
    summary = client.get(_session_url(changed.text) + "/summary").text
    assert len(re.findall(r'data-result="(right|wrong|partly right)"', summary)) == 1
    assert "Session so far" in summary and "1 of 3 answered" in summary
    assert len(client.get("/account/export.json").json()["attempts"]) == 1


def test_an_open_question_in_a_session_is_judged_then_rated(
    client: TestClient, app: FastAPI
) -> None:
    question = next(q for q in _bank(app).questions if q.type == "open")
    page = client.get(f"/quiz/{question.lesson}?question={question.id}&length=5").text
    assert "Question <strong>1</strong> of 5" in page
    fields = hidden_fields(page)
    reveal = client.post(f"/quiz/{question.lesson}", data=fields | {"text": "attention"})
    assert reveal.status_code == 200 and "A strong answer" in reveal.text
    assert "Question <strong>1</strong> of 5" in reveal.text
    rate = hidden_fields(reveal.text)
    assert rate["session"] == fields["session"]
    rated = client.post(f"/quiz/{question.lesson}", data=rate | {"rating": "2"})
    assert rated.status_code == 200 and '<progress max="5" value="1"' in rated.text
    back = client.post(f"/quiz/{question.lesson}", data=fields | {"text": "something else"})
    assert "Already answered — your first answer counted" in back.text


def test_tampered_forms_get_a_page_that_asks_again(client: TestClient, app: FastAPI) -> None:
    page = client.get("/quiz/albert?length=3").text
    question = shown_question(page, _bank(app))
    good = answer_fields(page, question, right=True)
    cases: list[tuple[dict[str, str | list[str]], int, str]] = [
        ({"question_id": "no-such-question"}, 422, "does not exist"),
        ({"attempt_id": "bogus"}, 422, "attempt id is not one this site makes"),
        ({"session": "../../etc"}, 422, "session id is not one this site makes"),
        ({"length": "9999"}, 422, "1 to 100 questions"),
    ]
    if question.options:
        cases.append(({"shown": "x,y,z"}, 422, "does not match the question"))
        cases.append(({"shown": ",".join([question.options[0].id] * 300)}, 422, "does not match"))
    for change, status, says in cases:
        response = client.post("/quiz/albert", data=good | change)
        assert response.status_code == status, (change, response.text[-500:])
        assert says in response.text
        assert "data-again" in response.text or 'name="question_id"' in response.text
    multiple = next(q for q in _bank(app).questions if q.type == "multiple")
    page = client.get(f"/quiz/{multiple.lesson}?question={multiple.id}").text
    fields = hidden_fields(page) | {"choices": [multiple.options[0].id] * 300}
    repeated = client.post(f"/quiz/{multiple.lesson}", data=fields)
    assert 400 <= repeated.status_code < 500 and "<html" in repeated.text.lower()
    missing = client.post("/quiz/albert/s/AAAAAAAAAAAAAAAA", data=good)
    assert missing.status_code == 404 and 'href="/quiz/albert" data-again' in missing.text
    assert client.get("/account/export.json").json()["attempts"] == []


def test_an_attempt_id_of_another_question_is_refused_with_a_page(
    client: TestClient, app: FastAPI
) -> None:
    page = client.get("/quiz/albert?length=3").text
    question = shown_question(page, _bank(app))
    fields = answer_fields(page, question, right=True)
    assert client.post("/quiz/albert", data=fields).status_code == 200
    other = next(q for q in _bank(app).for_lesson("albert") if q.id != question.id)
    again = client.get(f"/quiz/albert?question={other.id}").text
    stolen = answer_fields(again, other, right=True) | {"attempt_id": fields["attempt_id"]}
    response = client.post("/quiz/albert", data=stolen)
    assert response.status_code == 409 and "already used" in response.text
    assert f'href="/quiz/albert?question={other.id}" data-again' in response.text
    assert new_id() != fields["attempt_id"]


def test_a_first_page_of_someone_elses_session_is_refused_before_storing(
    client: TestClient, app: FastAPI
) -> None:
    page = client.get("/quiz/albert?length=3").text
    fields = answer_fields(page, shown_question(page, _bank(app)), right=True)
    assert client.post("/quiz/albert", data=fields).status_code == 200
    with TestClient(app) as stranger:
        theirs = stranger.get("/quiz/albert?length=3").text
        forged = answer_fields(theirs, shown_question(theirs, _bank(app)), right=True)
        forged["session"] = fields["session"]
        refused = stranger.post("/quiz/albert", data=forged)
        assert refused.status_code == 404 and "not yours" in refused.text
        assert stranger.get("/account/export.json").json()["attempts"] == []


def test_sessions_are_exported_and_move_into_the_account_signed_in_to(
    client: TestClient, app: FastAPI
) -> None:
    with TestClient(app) as other:
        make_account(other, "ada", "correct horse")
    page = client.get("/quiz/bert?length=5").text
    answered = _answer(client, app, page, right=True)
    url = _session_url(answered.text)
    exported = client.get("/account/export.json").json()["practice_sessions"]
    assert [s["session_id"] for s in exported] == [url.rsplit("/", 1)[1]]
    assert len(exported[0]["questions"]) == 5 and len(exported[0]["items"]) == 1
    csrf = hidden_fields(client.get("/account").text)["csrf_token"]
    signed_in = client.post(
        "/account/sign-in",
        data={"csrf_token": csrf, "username": "ada", "password": "correct horse"},
    )
    assert signed_in.status_code == 200
    assert "Question <strong>2</strong> of 5" in client.get(url).text


def test_two_tabs_answering_one_position_count_it_once(client: TestClient, app: FastAPI) -> None:
    answered = _answer(client, app, client.get("/quiz/albert?length=3").text, right=True)
    url = _session_url(answered.text)
    tab_a, tab_b = client.get(url).text, client.get(url).text
    assert shown_question(tab_a, _bank(app)) == shown_question(tab_b, _bank(app))
    assert "already had an answer" not in _answer(client, app, tab_a, right=False).text
    second = _answer(client, app, tab_b, right=True)
    assert second.status_code == 200 and "already had an answer to this question" in second.text
    summary = client.get(f"{url}/summary").text
    assert re.findall(r'data-result="([^"]+)"', summary) == ["right", "wrong", "not reached"]


def test_the_first_page_offers_the_session_under_way(client: TestClient, app: FastAPI) -> None:
    assert "data-under-way" not in client.get("/quiz/deberta").text
    answered = _answer(client, app, client.get("/quiz/deberta?length=5").text, right=True)
    url = _session_url(answered.text)
    again = client.get("/quiz/deberta").text
    assert "1 of 5 answered" in again and f'<a href="{url}">Carry on with it' in again
    assert "data-under-way" not in client.get("/quiz/albert").text  # another lesson's page
