"""``/interview`` as a browser without JavaScript drives it: start, answer page by page, the
report, Back-and-resubmit, resume and abandon, and another visitor kept out."""

from __future__ import annotations

import html
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Clock, make_account
from tests.interview.flow import BANK, MISSES_ALL, covering, follow_up_targets

pytestmark = pytest.mark.both_databases


def _field(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no field {name}"
    return match.group(1)


def _start(client: TestClient, lessons: list[str], length: int = 3) -> str:
    """Start from the form; the URL of the interview."""
    csrf = _field(client.get("/interview").text, "csrf_token")
    response = client.post(
        "/interview",
        data={"csrf_token": csrf, "lessons": lessons, "length": str(length)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(r"/interview/\d+/questions/1", location)
    return location.removesuffix("/questions/1")


def _question_id(page: str) -> str:
    prompt = re.search(r'<div class="question-prompt prose" id="prompt">(.*?)</div>', page, re.S)
    assert prompt, "no prompt on the page"
    found = [q.id for q in BANK.questions if q.type == "open" and q.prompt_html == prompt.group(1)]
    assert len(found) == 1
    return found[0]


def _send(client: TestClient, url: str, page: str, text: str) -> tuple[int, str]:
    """Send the answer form of ``page`` (as it was rendered, even if the page is stale)."""
    response = client.post(
        f"{url}/answers",
        data={
            "csrf_token": _field(page, "csrf_token"),
            "position": _field(page, "position"),
            "text": text,
        },
        follow_redirects=True,
    )
    return response.status_code, response.text


def test_the_start_form_offers_every_lesson_with_open_questions(client: TestClient) -> None:
    page = client.get("/interview")
    assert page.status_code == 200
    boxes = re.findall(
        r'<input type="checkbox" name="lessons" value="([a-z-]+)" checked>', page.text
    )
    lessons = [lesson.slug for lesson in client.app.state.content.lessons]  # reading order
    with_open = [slug for slug in lessons if any(q.type == "open" for q in BANK.for_lesson(slug))]
    assert boxes == with_open and boxes[:6] == [
        "bert",
        "roberta",
        "distilbert",
        "albert",
        "deberta",
        "cheat-sheet",
    ]
    assert re.findall(r'name="length" value="(\d)"', page.text) == ["3", "5", "8"]
    assert 'name="length" value="5" checked' in page.text
    assert "The real grader is not available" in page.text  # no MiniLM in this app
    assert 'href="/interview" aria-current="page">Interview</a>' in page.text  # the nav link


def test_a_whole_interview_through_the_forms(client: TestClient, clock: Clock) -> None:
    url = _start(client, ["cheat-sheet"])
    page = client.get(url).text
    assert "Question 1 of 3" in page and '<textarea id="text" name="text"' in page
    assert 'data-elapsed="0"' in page and "js/interview.js" in page
    clock.advance(seconds=30)
    assert 'data-elapsed="30"' in client.get(url).text  # the server's clock, on every visit
    first = _question_id(page)
    status, page = _send(client, url, page, MISSES_ALL)
    assert status == 200 and "Question 2 of 3" in page
    assert _question_id(page) in follow_up_targets(first)  # the missed point's follow-up
    for _ in range(2):
        status, page = _send(client, url, page, covering(_question_id(page)))
        assert status == 200
    assert "How the interview went" in page
    assert page.count('class="question-card interview-answer"') == 3
    assert "Not acceptable" in page and "Unsure" in page
    assert "graded by keywords only" in page and "Follow-up" in page
    assert "0:30 to answer" in page  # question 1 was open 30 s by the server's clock
    question = BANK.get(first)
    assert question is not None
    assert f'href="{question.lesson_url}"' in page and question.reference_answer_html in page
    progress = client.get("/progress").text
    assert "Mock interviews" in progress and f'href="{url}">Report</a>' in progress
    assert "finished" in progress and "0%</strong>" in progress


def test_back_and_resubmit_says_it_was_recorded_and_changes_nothing(client: TestClient) -> None:
    url = _start(client, ["albert"])
    stale = client.get(url).text
    status, _ = _send(client, url, stale, "My first answer, kept.")
    assert status == 200
    status, page = _send(client, url, stale, "A different second try.")
    assert status == 409
    assert "already recorded" in html.unescape(page) and "question 2" in page
    assert f'href="{url}"' in page and "Carry on" in page
    assert "Question 2 of 3" in client.get(url).text  # still where it was
    back = client.get(f"{url}/questions/1")  # Back, to the first question's own page
    assert back.status_code == 200 and "This question is answered" in back.text
    assert "already recorded" in html.unescape(back.text) and "<textarea" not in back.text
    ahead = client.get(f"{url}/questions/3", follow_redirects=False)
    assert ahead.status_code == 303 and ahead.headers["location"] == url
    csrf = _field(client.get(url).text, "csrf_token")
    client.post(f"{url}/finish", data={"csrf_token": csrf})
    report = client.get(url).text
    assert "My first answer, kept." in report and "A different second try." not in report
    status, page = _send(client, url, stale, "After the end.")
    assert status == 409 and "finished" in page and f'href="{url}"' in page


def test_an_empty_answer_shows_the_question_again_with_what_to_fix(client: TestClient) -> None:
    url = _start(client, ["bert"])
    page = client.get(url).text
    status, again = _send(client, url, page, "   ")
    assert status == 422 and "is empty" in again and "Question 1 of 3" in again
    assert _question_id(again) == _question_id(page)
    long = "word " * 1001
    status, again = _send(client, url, page, long)
    assert status == 422 and "under 5000" in again and long.strip() in again  # the text is kept


def test_unfinished_interviews_can_be_resumed_or_abandoned(client: TestClient) -> None:
    url = _start(client, ["roberta"])
    page = client.get(url).text
    _send(client, url, page, MISSES_ALL)
    for listing in (client.get("/interview").text, client.get("/progress").text):
        assert f'href="{url}">Resume</a>' in listing and f'action="{url}/abandon"' in listing
        assert "question 2 of 3" in listing
    csrf = _field(client.get("/interview").text, "csrf_token")
    done = client.post(f"{url}/abandon", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    listing = client.get(done.headers["location"]).text
    assert f"Interview {url.rsplit('/', 1)[1]} is abandoned" in listing
    assert f'href="{url}">Resume</a>' not in listing and f'href="{url}">Report</a>' in listing
    report = client.get(url).text
    assert "An abandoned interview" in report and "no overall score" in report


def test_bad_start_forms_say_what_to_fix(client: TestClient) -> None:
    csrf = _field(client.get("/interview").text, "csrf_token")
    none = client.post("/interview", data={"csrf_token": csrf, "length": "3"})
    assert none.status_code == 422 and "Choose at least one lesson" in none.text
    short = client.post(
        "/interview", data={"csrf_token": csrf, "lessons": ["albert"], "length": "8"}
    )
    assert short.status_code == 422 and "shorter interview" in short.text
    assert '<input type="checkbox" name="lessons" value="albert" checked>' in short.text
    assert '<input type="checkbox" name="lessons" value="bert" checked>' not in short.text
    odd = client.post("/interview", data={"csrf_token": csrf, "lessons": ["albert"], "length": "²"})
    assert odd.status_code == 422 and "Choose a length" in odd.text
    forged = client.post("/interview", data={"csrf_token": "forged", "length": "3"})
    assert forged.status_code == 403


def test_another_visitor_gets_404(client: TestClient, app: FastAPI) -> None:
    url = _start(client, ["deberta"])
    page = client.get(url).text
    stranger = TestClient(app)
    assert stranger.get(url).status_code == 404
    csrf = _field(stranger.get("/interview").text, "csrf_token")
    sent = stranger.post(
        f"{url}/answers", data={"csrf_token": csrf, "position": "1", "text": "Mine now."}
    )
    assert sent.status_code == 404
    assert stranger.post(f"{url}/abandon", data={"csrf_token": csrf}).status_code == 404
    assert f'href="{url}"' not in stranger.get("/interview").text
    assert "Question 1 of 3" in client.get(url).text and _question_id(page)


def test_signing_in_brings_a_guests_interviews_into_the_account(
    client: TestClient, app: FastAPI
) -> None:
    auth = make_account(client, "ada")
    guest = TestClient(app)
    url = _start(guest, ["albert"])
    csrf = _field(guest.get("/account").text, "csrf_token")
    signed_in = guest.post(
        "/account/sign-in",
        data={"csrf_token": csrf, "username": "ada", "password": "correct horse"},
    )
    assert signed_in.status_code == 200
    listed = client.get("/api/v1/interviews", headers=auth).json()
    assert [f"/interview/{i['id']}" for i in listed] == [url]
    assert "Question 1 of 3" in guest.get(url).text
