"""Lesson pages through the real app on a migrated temporary SQLite file."""

from __future__ import annotations

import itertools
import re

import pytest
from fastapi.testclient import TestClient

from app.content import load_content
from app.quiz.calculated import FORMULAS
from tests.conftest import CONTENT_DIR

LESSONS = load_content(CONTENT_DIR, formulas=FORMULAS).lessons


def test_home_links_every_lesson(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    for lesson in LESSONS:
        assert f'href="/lessons/{lesson.slug}"' in response.text


def test_catalog_shows_title_summary_and_reading_time(client: TestClient) -> None:
    response = client.get("/lessons")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for lesson in LESSONS:
        assert lesson.title in response.text.replace("&#39;", "'")
        assert f"{lesson.reading_minutes} min read" in response.text
    titles = re.findall(r'class="lesson-card-title">([^<]+)<', response.text)
    assert len(titles) == len(LESSONS)


def test_distilbert_page_has_math_toc_code_and_neighbours(client: TestClient) -> None:
    html = client.get("/lessons/distilbert").text
    assert html.count("<math") >= 3
    assert 'aria-labelledby="toc-title"' in html
    assert 'href="#the-triple-loss"' in html and 'id="the-triple-loss"' in html
    assert '<div class="highlight">' in html
    assert 'rel="prev" href="/lessons/roberta"' in html
    assert 'rel="next" href="/lessons/albert"' in html
    assert "arXiv:1910.01108" in html


def test_first_and_last_lessons_have_one_neighbour(client: TestClient) -> None:
    first = client.get(f"/lessons/{LESSONS[0].slug}").text
    last = client.get(f"/lessons/{LESSONS[-1].slug}").text
    assert 'rel="prev"' not in first and 'rel="next"' in first
    assert 'rel="prev"' in last and 'rel="next"' not in last


@pytest.mark.parametrize("slug", [lesson.slug for lesson in LESSONS])
def test_every_lesson_page_renders_with_landmarks_and_ordered_headings(
    client: TestClient, slug: str
) -> None:
    response = client.get(f"/lessons/{slug}")
    assert response.status_code == 200
    html = response.text
    assert 'class="skip-link" href="#main"' in html and '<main id="main"' in html
    assert '<nav class="main-nav" aria-label="Main">' in html
    levels = [int(level) for level in re.findall(r"<h([1-6])[ >]", html)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels


def test_unknown_lesson_is_a_404_page(client: TestClient) -> None:
    response = client.get("/lessons/gpt-4")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text
    assert "no lesson called" in response.text and "gpt-4" in response.text


def test_unknown_path_is_a_404_page(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing at /no/such/page" in response.text


def test_static_assets_carry_a_content_hash(client: TestClient) -> None:
    html = client.get("/lessons").text
    urls = re.findall(r'(?:href|src)="(/static/[^"]+\?v=[0-9a-f]{12})"', html)
    assert {u.split("?")[0] for u in urls} >= {
        "/static/css/app.css",
        "/static/css/code.css",
        "/static/js/theme.js",
        "/static/favicon.svg",
    }
    for url in urls:
        assert client.get(url).status_code == 200
    css = client.get("/static/css/code.css")
    assert css.headers["content-type"].startswith("text/css")
    assert '[data-theme="dark"] .highlight' in css.text


def test_pages_send_security_headers(client: TestClient) -> None:
    headers = client.get("/lessons").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_server_error_page_hides_the_traceback(migrated: object) -> None:
    from app.main import create_app

    app = create_app(migrated)  # type: ignore[arg-type]

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/boom")
        api = client.get("/api/v1/boom-not-routed")
    assert page.status_code == 500
    assert "Something went wrong on our side" in page.text
    assert "secret internals" not in page.text
    assert api.status_code == 404
