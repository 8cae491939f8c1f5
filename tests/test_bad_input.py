"""Bad input is a 4xx with a message, every time, and nothing saved is lost.

First the cases found by hand (each was a 500), then a property: arbitrary values in every
field of every quiz, account and lab form and API body never produce a 5xx. Last, against a
real server: after bad requests the same keep-alive connection still serves."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_from_bytes

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.config import Settings
from app.content.questions import Question
from tests.conftest import make_account, new_id
from tests.live import live_server


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    return found.group(1) if found else ""


def _question(app: FastAPI, **where: Any) -> Question:
    return next(
        q
        for q in app.state.content.questions.questions
        if all(getattr(q, k) == v for k, v in where.items())
    )


def _calculated(app: FastAPI) -> Question:
    return next(q for q in app.state.content.questions.questions if q.compute is not None)


@pytest.fixture
def csrf(client: TestClient) -> str:
    return _field(client.get("/quiz/bert").text, "csrf_token")


def _quiz_post(client: TestClient, lesson: str, csrf: str, **data: str) -> httpx.Response:
    return client.post(f"/quiz/{lesson}", data={"csrf_token": csrf, "attempt_id": new_id(), **data})


def test_a_tampered_shown_list_is_422_with_the_question_again(
    client: TestClient, app: FastAPI, csrf: str
) -> None:
    question = _question(app, type="single", lesson="bert")
    response = _quiz_post(client, "bert", csrf, question_id=question.id, shown="zzz,yyy")
    assert response.status_code == 422
    assert "does not match the question" in response.text
    assert f'value="{question.id}"' in response.text  # offered again
    for option in question.options:
        assert f'value="{option.id}"' in response.text


@pytest.mark.parametrize("seed", ["²", "٣", "-1", "1e3", "99999999999999999999999"])
def test_a_bad_seed_on_a_calculated_question_is_422(
    client: TestClient, app: FastAPI, csrf: str, seed: str
) -> None:
    question = _calculated(app)
    response = _quiz_post(
        client, question.lesson, csrf, question_id=question.id, value="3", seed=seed
    )
    assert response.status_code == 422
    assert "drawn values were lost" in response.text


def test_a_bad_started_ms_is_ignored_not_a_500(client: TestClient, app: FastAPI, csrf: str) -> None:
    question = _question(app, type="single", lesson="bert")
    response = _quiz_post(
        client, "bert", csrf, question_id=question.id, choice=question.options[0].id, started_ms="²"
    )
    assert response.status_code == 200 and 'id="verdict"' in response.text


@pytest.mark.parametrize("rating", ["abc", "²", "٣", "0", "5", "3.0"])
def test_a_bad_open_rating_is_422(client: TestClient, app: FastAPI, csrf: str, rating: str) -> None:
    question = _question(app, type="open")
    response = _quiz_post(
        client, question.lesson, csrf, question_id=question.id, text="An answer.", rating=rating
    )
    assert response.status_code == 422 and "Rate your answer" in response.text


@pytest.mark.both_databases
def test_a_question_from_another_lesson_is_refused(
    client: TestClient, app: FastAPI, csrf: str
) -> None:
    other = _question(app, type="truefalse", lesson="albert")
    response = _quiz_post(client, "bert", csrf, question_id=other.id, value="true")
    assert response.status_code == 422
    assert "/quiz/albert" in response.text
    mixed = _quiz_post(client, "mixed", csrf, question_id=other.id, value="true")
    assert mixed.status_code == 200  # mixed practice draws from every lesson


@pytest.mark.parametrize("text", ["before\x00after", "a\x07b", "x\x85y"])
@pytest.mark.both_databases
def test_control_characters_in_an_open_answer_are_refused(
    client: TestClient, app: FastAPI, csrf: str, text: str
) -> None:
    question = _question(app, type="open")
    response = _quiz_post(
        client, question.lesson, csrf, question_id=question.id, text=text, rating="3"
    )
    assert response.status_code == 422 and "control character" in response.text


@pytest.mark.both_databases
def test_a_lone_surrogate_or_nul_through_the_api_is_refused(
    client: TestClient, app: FastAPI
) -> None:
    headers = {**make_account(client), "content-type": "application/json"}
    question = _question(app, type="open")
    for text in ("a\\ud800b", "a\\u0000b"):
        body = f'{{"attempt_id": "{new_id()}", "question_id": "{question.id}", "response": {{"text": "{text}", "rating": 3}}}}'
        response = client.post("/api/v1/attempts", content=body, headers=headers)
        assert response.status_code == 422, response.text
        assert "remove it" in response.json()["detail"]
    # Tab, newlines and any other language are kept and shown as typed.
    fine = client.post(
        "/api/v1/attempts",
        json={
            "attempt_id": new_id(),
            "question_id": question.id,
            "response": {"text": "Ligne 1\n\tÉtape 2: 共享权重 ✓", "rating": 3},
        },
        headers=headers,
    )
    assert fine.status_code == 201
    exported = client.get("/api/v1/me/export", headers=headers).json()
    assert exported["attempts"][0]["response"]["text"] == "Ligne 1\n\tÉtape 2: 共享权重 ✓"


@pytest.mark.both_databases
def test_a_huge_number_on_a_calculated_question_is_422(client: TestClient, app: FastAPI) -> None:
    headers = {**make_account(client), "content-type": "application/json"}
    question = _calculated(app)
    body = f'{{"attempt_id": "{new_id()}", "question_id": "{question.id}", "response": {{"value": 1{"0" * 400}, "seed": 1}}}}'
    response = client.post("/api/v1/attempts", content=body, headers=headers)
    assert response.status_code == 422 and "finite number" in response.json()["detail"]


@pytest.mark.parametrize("lengths", ["²", "٣", "-5", "64.0", ""])
def test_bad_sweep_lengths_are_422_on_the_lab_page(client: TestClient, lengths: str) -> None:
    csrf = _field(client.get("/lab").text, "csrf_token")
    response = client.post(
        "/lab/sweep",
        data={"csrf_token": csrf, "lengths": lengths, "variants": "distilbert", "preset": "tiny"},
    )
    assert response.status_code == 422
    assert "lab" in response.text.lower()


@pytest.mark.parametrize("token_id", ["99999999999999999999999", "0", "-1", "abc", "²"])
def test_revoking_an_impossible_token_id_is_4xx(client: TestClient, token_id: str) -> None:
    make_account(client)
    page = client.get("/account")
    response = client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": _field(page.text, "csrf_token")}
    )
    assert 400 <= response.status_code < 500
    assert "text/html" in response.headers["content-type"]


# --- the property: arbitrary values, never a 5xx ----------------------------------------------

# Text as a browser could send it in a form: any character a UTF-8 form can carry, often the
# ones that broke parsing before (Unicode digits, signs, huge numbers).
FORM_TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.sampled_from(["²", "٣", "-1", "0", "1e309", "nan", "9" * 30, " 3 ", "", "true", ","]),
)
JSON_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

RESPONSE = st.dictionaries(  # shaped like a graded answer sent back with a review rating
    st.sampled_from(["choice", "choices", "value", "order", "seed", "text", "rating"]), JSON_VALUE
)
QUIZ_FIELDS = ("shown", "started_ms", "seed", "choice", "value", "text", "rating")
LAB_FIELDS = ("source", "text", "seq_len", "preset", "runs", "focus", "rank_roberta", "rank_albert")


class _Site:
    """One app for the whole property run: its data accumulates, as a real site's does."""

    def __init__(self, client: TestClient, app: FastAPI) -> None:
        self.client, self.app = client, app
        self.headers = make_account(client, "prop", "correct horse")
        self.csrf = _field(client.get("/quiz/bert").text, "csrf_token")
        self.lab_csrf = _field(client.get("/lab").text, "csrf_token")
        self.question_ids = [q.id for q in app.state.content.questions.questions]

    def no_5xx(self, response: httpx.Response) -> None:
        assert response.status_code < 500, (
            f"{response.request.method} {response.request.url} -> {response.status_code}\n"
            f"{response.request.content[:500]!r}\n{response.text[:500]}"
        )


@pytest.fixture
def site(migrated: Settings) -> Iterator[_Site]:  # one app per test: its data accumulates
    from app.main import create_app

    app = create_app(migrated.model_copy(update={"lab_max_work": 5.0}))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield _Site(client, app)


PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(data=st.data())
def test_arbitrary_quiz_and_review_forms_never_5xx(site: _Site, data: st.DataObject) -> None:
    lesson = data.draw(st.sampled_from(["bert", "albert", "mixed", "nope", "²"]))
    fields: dict[str, Any] = {
        "csrf_token": data.draw(st.one_of(st.just(site.csrf), FORM_TEXT)),
        "attempt_id": data.draw(st.one_of(st.just(str(uuid.uuid4())), FORM_TEXT)),
        "question_id": data.draw(st.one_of(st.sampled_from(site.question_ids), FORM_TEXT)),
    }
    for name in data.draw(st.lists(st.sampled_from(QUIZ_FIELDS), unique=True)):
        fields[name] = data.draw(FORM_TEXT)
    fields["choices"] = data.draw(st.lists(FORM_TEXT, max_size=300))
    site.no_5xx(site.client.post(f"/quiz/{lesson}", data=fields))
    rating = {"csrf_token": site.csrf, "rating": data.draw(FORM_TEXT)}
    rating["question_id"] = data.draw(st.one_of(st.sampled_from(site.question_ids), FORM_TEXT))
    site.no_5xx(site.client.post("/review", data=rating))
    site.no_5xx(site.client.get("/review", params={"seed": data.draw(FORM_TEXT)}))
    response = st.one_of(FORM_TEXT, JSON_VALUE.map(json.dumps), RESPONSE.map(json.dumps))
    answered = fields | {"response": data.draw(response), "rating": "3"}
    site.no_5xx(site.client.post("/review/check", data=fields))
    site.no_5xx(site.client.post("/review", data=answered))


@PROPERTY
@given(data=st.data())
def test_arbitrary_account_forms_never_5xx(site: _Site, data: st.DataObject) -> None:
    csrf = _field(site.client.get("/account").text, "csrf_token")
    path = data.draw(
        st.sampled_from(
            [
                "/account/register",
                "/account/sign-in",
                "/account/password",
                "/account/tokens",
                "/account/delete",
            ]
        )
    )
    fields = {
        "csrf_token": csrf,
        **{
            name: data.draw(FORM_TEXT)
            for name in (
                "username",
                "password",
                "current_password",
                "new_password",
                "name",
                "confirm",
            )
        },
    }
    site.no_5xx(site.client.post(path, data=fields))
    token_id = quote(data.draw(FORM_TEXT), safe="")
    if token_id.strip("."):
        site.no_5xx(
            site.client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf})
        )


@PROPERTY
@given(data=st.data())
def test_arbitrary_lab_forms_never_5xx(site: _Site, data: st.DataObject) -> None:
    fields: dict[str, Any] = {"csrf_token": site.lab_csrf}
    for name in data.draw(st.lists(st.sampled_from(LAB_FIELDS), unique=True)):
        fields[name] = data.draw(FORM_TEXT)
    fields["variants"] = data.draw(
        st.lists(FORM_TEXT | st.sampled_from(["albert", "deberta"]), max_size=8)
    )
    fields["lengths"] = data.draw(st.lists(FORM_TEXT | st.sampled_from(["32", "64"]), max_size=8))
    site.no_5xx(site.client.post(data.draw(st.sampled_from(["/lab", "/lab/sweep"])), data=fields))


@pytest.mark.both_databases
@PROPERTY
@given(data=st.data())
def test_arbitrary_api_bodies_never_5xx(site: _Site, data: st.DataObject) -> None:
    question_id = data.draw(st.one_of(st.sampled_from(site.question_ids), st.text(max_size=10)))
    bodies = {
        "/api/v1/attempts": {
            "attempt_id": data.draw(st.one_of(st.just(str(uuid.uuid4())), JSON_VALUE)),
            "question_id": question_id,
            "response": data.draw(JSON_VALUE),
            "shown_order": data.draw(JSON_VALUE),
            "duration_ms": data.draw(JSON_VALUE),
        },
        f"/api/v1/reviews/{quote(question_id, safe='') or 'x'}": {"rating": data.draw(JSON_VALUE)},
        "/api/v1/lab/run": {
            "variant": data.draw(JSON_VALUE),
            "preset": data.draw(JSON_VALUE),
            "seq_len": data.draw(JSON_VALUE),
            "text": data.draw(JSON_VALUE),
            "runs": data.draw(JSON_VALUE),
        },
        "/api/v1/lab/compare": {
            "preset": data.draw(JSON_VALUE),
            "seq_len": data.draw(st.integers(-5, 600) | JSON_VALUE),
            "variants": data.draw(JSON_VALUE),
            "predicted": data.draw(JSON_VALUE),
        },
        "/api/v1/tokens": {"name": data.draw(JSON_VALUE)},
    }
    path = data.draw(st.sampled_from(sorted(bodies)))
    body = bodies[path]
    dropped = data.draw(st.lists(st.sampled_from(sorted(body)), unique=True))
    content = json.dumps({k: v for k, v in body.items() if k not in dropped})
    headers = {**site.headers, "content-type": "application/json"}
    if path == "/api/v1/tokens":
        headers["authorization"] = "Basic cHJvcDpjb3JyZWN0IGhvcnNl"  # prop:correct horse
    site.no_5xx(site.client.post(path, content=content, headers=headers))
    account = {
        "username": data.draw(JSON_VALUE),
        "password": data.draw(JSON_VALUE),
    }
    site.no_5xx(site.client.post("/api/v1/accounts", json=account))
    change = {"current_password": data.draw(JSON_VALUE), "new_password": data.draw(JSON_VALUE)}
    site.no_5xx(site.client.put("/api/v1/me/password", json=change, headers=site.headers))


FORM_PATHS = (
    "/quiz/bert",
    "/quiz/mixed",
    "/review",
    "/review/check",
    "/account/register",
    "/account/sign-in",
    "/account/sign-out",
    "/account/password",
    "/account/tokens",
    "/account/tokens/1/revoke",
    "/account/delete",
    "/lab",
    "/lab/sweep",
    "/interview",
    "/interview/1/answers",
    "/interview/1/finish",
    "/interview/1/abandon",
)
FORM_NAMES = (
    "csrf_token", "question_id", "attempt_id", "shown", "choice", "value", "text", "rating",
    "username", "password", "name", "confirm", "preset", "variants", "lengths", "runs",
    "lessons", "length", "position",
)  # fmt: skip


@PROPERTY
@given(data=st.data())
def test_arbitrary_bytes_in_any_form_never_5xx(site: _Site, data: st.DataObject) -> None:
    """Bytes no browser would send: invalid UTF-8, NUL, a form that is not a form."""
    path = data.draw(st.sampled_from(FORM_PATHS))
    pairs = [f"csrf_token={site.csrf}"] if data.draw(st.booleans()) else []
    for name in data.draw(st.lists(st.sampled_from(FORM_NAMES), max_size=6)):
        pairs.append(f"{name}={quote_from_bytes(data.draw(st.binary(max_size=24)))}")
    body = "&".join(pairs).encode()
    if data.draw(st.booleans()):
        body += data.draw(st.binary(max_size=40))
    kind = data.draw(
        st.sampled_from(
            ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"]
        )
    )
    site.no_5xx(site.client.post(path, content=body, headers={"content-type": kind}))


# --- a real server: the connection survives bad requests --------------------------------------


def test_after_bad_requests_the_keep_alive_connection_still_serves(tmp_path: Path) -> None:
    with (
        live_server(tmp_path / "data", extra_env={"BERTPREP_LAB_PRELOAD": "false"}) as base,
        httpx.Client(base_url=base, limits=httpx.Limits(max_connections=1)) as client,
    ):
        first = client.get("/quiz/bert")
        peer = first.extensions["network_stream"].get_extra_info("client_addr")
        csrf = _field(first.text, "csrf_token")
        question = _field(first.text, "question_id")
        bad = [
            client.post(
                "/quiz/bert",
                data={
                    "csrf_token": csrf,
                    "attempt_id": new_id(),
                    "question_id": question,
                    "shown": "zzz,yyy",
                },
            ),
            client.post(
                "/quiz/bert",
                data={
                    "csrf_token": csrf,
                    "attempt_id": new_id(),
                    "question_id": question,
                    "started_ms": "²",
                },
            ),
            client.post(
                "/api/v1/attempts",
                content=b"{not json",
                headers={"content-type": "application/json"},
            ),
            client.post(
                "/account/tokens/99999999999999999999999/revoke", data={"csrf_token": csrf}
            ),
            client.post(
                "/quiz/bert",
                content=b"csrf_token=%ff%fe&question_id=%00",
                headers={"content-type": "application/x-www-form-urlencoded"},
            ),
        ]
        assert all(400 <= r.status_code < 500 for r in bad), [r.status_code for r in bad]
        after = client.get("/review")
        assert after.status_code == 200
        same = after.extensions["network_stream"].get_extra_info("client_addr")
        assert same == peer  # the same TCP connection served every one of them
