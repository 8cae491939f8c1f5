"""Sessions that end when they should, writes that survive concurrency, sign-in limits that hold.

Concurrency here is real: requests from several threads at once through one app (the test
client runs it on its own event loop), against a real database file."""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.accounts.passwords import MAX_PASSWORD, MIN_PASSWORD, PASSWORD_RULES
from app.accounts.security import SESSION_COOKIE
from app.accounts.service import MAX_FAILURES_PER_PAIR, MAX_USERNAME, MIN_USERNAME, USERNAME_RULES
from app.accounts.tables import LearnerSession, SignInFailure
from tests.conftest import make_account

pytestmark = pytest.mark.both_databases

PASSWORD = "correct horse"


def _csrf(client: TestClient, path: str = "/account") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, "the page has no CSRF token"
    return found.group(1)


def _signed_in_as(client: TestClient) -> str | None:
    page = client.get("/account").text
    found = re.search(r"Signed in as <strong>([^<]+)</strong>", page)
    return found.group(1) if found else None


def _register(
    client: TestClient, username: str = "ada", password: str = PASSWORD
) -> httpx.Response:
    return client.post(
        "/account/register",
        data={"csrf_token": _csrf(client), "username": username, "password": password},
        follow_redirects=False,
    )


def _sign_in(client: TestClient, username: str = "ada", password: str = PASSWORD) -> httpx.Response:
    return client.post(
        "/account/sign-in",
        data={"csrf_token": _csrf(client), "username": username, "password": password},
        follow_redirects=False,
    )


def _cookie(client: TestClient) -> str:
    value = client.cookies.get(SESSION_COOKIE)
    assert value
    return value


def _with_cookie(app: FastAPI, cookie: str) -> TestClient:
    other = TestClient(app)
    other.cookies.set(SESSION_COOKIE, cookie)
    return other


def _parallel(calls: list[Callable[[], httpx.Response]], workers: int) -> list[httpx.Response]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_registering_issues_a_new_session_and_the_old_guest_cookie_is_not_signed_in(
    client: TestClient, app: FastAPI
) -> None:
    guest_cookie = _cookie_after_visit(client)
    assert _register(client).status_code == 303
    assert _cookie(client) != guest_cookie
    assert _signed_in_as(client) == "ada"
    with _with_cookie(app, guest_cookie) as copy:
        assert copy.get("/api/v1/progress").status_code == 401
        page = copy.get("/account")
        assert "Signed in as" not in page.text  # the copy taken before registering is no key
        assert SESSION_COOKIE in page.headers["set-cookie"]  # its visitor starts a new guest


def _cookie_after_visit(client: TestClient) -> str:
    client.get("/account")
    return _cookie(client)


def test_signing_in_issues_a_new_session_and_signing_out_revokes_it(
    client: TestClient, app: FastAPI
) -> None:
    make_account(client)
    guest_cookie = _cookie_after_visit(client)
    assert _sign_in(client).status_code == 303
    signed_in_cookie = _cookie(client)
    assert signed_in_cookie != guest_cookie
    with _with_cookie(app, guest_cookie) as copy:
        assert _signed_in_as(copy) is None
    out = client.post(
        "/account/sign-out", data={"csrf_token": _csrf(client)}, follow_redirects=False
    )
    assert out.status_code == 303
    assert _signed_in_as(client) is None
    with _with_cookie(app, signed_in_cookie) as old:
        assert old.get("/api/v1/progress").status_code == 401
        assert _signed_in_as(old) is None  # the cookie from before signing out no longer works


def test_changing_the_password_ends_every_other_session_and_every_token(
    client: TestClient, app: FastAPI
) -> None:
    headers = make_account(client)
    assert _sign_in(client).status_code == 303
    with TestClient(app) as laptop:
        assert _sign_in(laptop).status_code == 303
        changed = client.post(
            "/account/password",
            data={
                "csrf_token": _csrf(client),
                "current_password": PASSWORD,
                "new_password": "lantern piano orbit",
            },
            follow_redirects=False,
        )
        assert changed.status_code == 303 and changed.headers["location"] == "/account?password=1"
        assert _signed_in_as(client) == "ada"  # this browser got a fresh session
        assert _signed_in_as(laptop) is None
        assert client.get("/api/v1/progress", headers=headers).status_code == 401
    assert _sign_in(client, password=PASSWORD).status_code == 401
    assert _sign_in(client, password="lantern piano orbit").status_code == 303


def test_a_wrong_current_password_changes_nothing(client: TestClient) -> None:
    headers = make_account(client)
    assert _sign_in(client).status_code == 303
    refused = client.post(
        "/account/password",
        data={
            "csrf_token": _csrf(client),
            "current_password": "not it at all",
            "new_password": "lantern piano orbit",
        },
    )
    assert refused.status_code == 401 and "Wrong username or password" in refused.text
    assert client.get("/api/v1/progress", headers=headers).status_code == 200
    assert _signed_in_as(client) == "ada"


def test_the_api_changes_the_password_and_revokes_its_own_token(client: TestClient) -> None:
    headers = make_account(client)
    weak = client.put(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "password1"},
        headers=headers,
    )
    assert weak.status_code == 422 and "too easy to guess" in weak.json()["detail"]
    done = client.put(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "lantern piano orbit"},
        headers=headers,
    )
    assert done.status_code == 204
    assert client.get("/api/v1/progress", headers=headers).status_code == 401
    new = client.post("/api/v1/tokens", auth=("ada", "lantern piano orbit"))
    assert new.status_code == 201


def test_deleting_the_account_ends_its_sessions(client: TestClient, app: FastAPI) -> None:
    make_account(client)
    assert _sign_in(client).status_code == 303
    with TestClient(app) as laptop:
        assert _sign_in(laptop).status_code == 303
        deleted = client.post(
            "/account/delete",
            data={"csrf_token": _csrf(client), "confirm": "ada"},
            follow_redirects=False,
        )
        assert deleted.status_code == 303
        assert _signed_in_as(laptop) is None
    with Session(app.state.engine) as session:
        assert session.exec(select(func.count()).select_from(LearnerSession)).one() == 0


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password1", "too easy to guess"),
        ("12345678", "too easy to guess"),
        ("qwertyuiop", "too easy to guess"),
        ("aaaaaaaaaa", "too easy to guess"),
        ("          ", "only spaces"),
        ("short", "8 to 256 characters"),
        ("ada12345", "contains your username"),
        ("letmein123", "similar to a commonly used password"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(
    client: TestClient, password: str, reason: str
) -> None:
    response = client.post("/api/v1/accounts", json={"username": "ada", "password": password})
    assert response.status_code == 422
    assert reason in response.json()["detail"]


def _input(page: str, element_id: str) -> dict[str, str]:
    tag = re.search(rf'<input id="{element_id}"[^>]*>', page)
    assert tag, element_id
    return {k: html.unescape(v) for k, v in re.findall(r'([a-z-]+)="([^"]*)"', tag.group(0))}


def test_the_sign_up_form_states_the_rules_before_submission(client: TestClient) -> None:
    page = client.get("/account").text
    form = page[page.index('action="/account/register"') : page.index('action="/account/sign-in"')]
    for rules in (USERNAME_RULES, PASSWORD_RULES):  # shown before the form is sent
        assert html.unescape(form).index(rules) < html.unescape(form).index('type="submit"')
    username, password = _input(form, "reg-username"), _input(form, "reg-password")
    assert (username["minlength"], username["maxlength"]) == (str(MIN_USERNAME), str(MAX_USERNAME))
    assert (password["minlength"], password["maxlength"]) == (str(MIN_PASSWORD), str(MAX_PASSWORD))
    assert username["aria-describedby"] == "reg-username-rules"


@pytest.mark.parametrize(
    "name", ["ada", "Ada.Lovelace", "a_b-c.9", "ab", "x" * 40, "x" * 41, "ad a", "ädä", "ada!"]
)
def test_the_browser_pattern_agrees_with_the_server(client: TestClient, name: str) -> None:
    pattern = _input(client.get("/account").text, "reg-username")["pattern"]
    browser_allows = re.fullmatch(pattern, name) is not None  # the same syntax in JavaScript
    created = client.post("/api/v1/accounts", json={"username": name, "password": PASSWORD})
    assert created.status_code in (201, 422), created.text
    assert browser_allows == (created.status_code == 201), created.text


def test_sixteen_sign_ups_eight_at_a_time_all_land(client: TestClient) -> None:
    def sign_up(i: int) -> Callable[[], httpx.Response]:
        return lambda: client.post(
            "/api/v1/accounts", json={"username": f"learner{i}", "password": PASSWORD}
        )

    responses = _parallel([sign_up(i) for i in range(16)], workers=8)
    assert Counter(r.status_code for r in responses) == {201: 16}


def test_concurrent_sign_ups_of_one_name_give_one_account_and_409s(client: TestClient) -> None:
    def sign_up() -> httpx.Response:
        return client.post("/api/v1/accounts", json={"username": "ada", "password": PASSWORD})

    responses = _parallel([sign_up] * 4, workers=4)
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 3}
    assert all("taken" in r.json()["detail"] for r in responses if r.status_code == 409)


def _failures(app: FastAPI) -> int:
    with Session(app.state.engine) as session:
        return int(session.exec(select(func.count()).select_from(SignInFailure)).one())


def test_parallel_wrong_guesses_are_each_counted_and_the_rest_refused(
    client: TestClient, app: FastAPI
) -> None:
    make_account(client)

    def guess() -> httpx.Response:
        return client.post("/api/v1/tokens", auth=("ada", "wrong guess here"))

    responses = _parallel([guess] * 16, workers=16)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {401: MAX_FAILURES_PER_PAIR, 429: 16 - MAX_FAILURES_PER_PAIR}
    assert _failures(app) == MAX_FAILURES_PER_PAIR  # every checked guess was recorded
    assert all(int(r.headers["retry-after"]) > 0 for r in responses if r.status_code == 429)
    # The right password is refused too while the limit holds, from this address...
    assert client.post("/api/v1/tokens", auth=("ada", PASSWORD)).status_code == 429


def test_a_guesser_does_not_lock_the_owner_out_from_another_address(
    app: FastAPI, client: TestClient
) -> None:
    make_account(client)
    with TestClient(app, client=("203.0.113.9", 50000)) as guesser:
        for _ in range(MAX_FAILURES_PER_PAIR):
            assert guesser.post("/api/v1/tokens", auth=("ada", "nope nope")).status_code == 401
        assert guesser.post("/api/v1/tokens", auth=("ada", PASSWORD)).status_code == 429
    with TestClient(app, client=("198.51.100.7", 50000)) as owner:
        assert owner.post("/api/v1/tokens", auth=("ada", PASSWORD)).status_code == 201


def test_a_right_password_is_not_counted_as_a_failure(client: TestClient, app: FastAPI) -> None:
    make_account(client)
    for _ in range(MAX_FAILURES_PER_PAIR + 2):
        assert client.post("/api/v1/tokens", auth=("ada", PASSWORD)).status_code == 201
    assert _failures(app) == 0


def _form_post(client: TestClient, path: str, **data: Any) -> httpx.Response:
    return client.post(path, data={"csrf_token": _csrf(client), **data}, follow_redirects=False)


def test_html_sign_in_failures_show_the_form_with_the_reason_and_retry_after(
    client: TestClient,
) -> None:
    make_account(client)
    for _ in range(MAX_FAILURES_PER_PAIR):
        wrong = _form_post(client, "/account/sign-in", username="ada", password="bad guess x")
        assert wrong.status_code == 401 and "Wrong username or password" in wrong.text
    limited = _form_post(client, "/account/sign-in", username="ada", password=PASSWORD)
    assert limited.status_code == 429
    assert "Too many failed sign-ins" in limited.text and int(limited.headers["retry-after"]) > 0
