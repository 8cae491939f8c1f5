"""The lessons JSON API and the OpenAPI document."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from app.content import load_content
from app.quiz.calculated import FORMULAS
from tests.conftest import CONTENT_DIR

LESSONS = load_content(CONTENT_DIR, formulas=FORMULAS).lessons


def test_list_lessons_in_order(client: TestClient) -> None:
    response = client.get("/api/v1/lessons")
    assert response.status_code == 200
    body = response.json()
    assert [item["slug"] for item in body] == [lesson.slug for lesson in LESSONS]
    assert set(body[0]) == {"slug", "title", "summary", "order", "reading_minutes", "url"}
    assert [item["order"] for item in body] == sorted(item["order"] for item in body)


def test_get_lesson_has_html_toc_and_sources(client: TestClient) -> None:
    body = client.get("/api/v1/lessons/deberta").json()
    assert body["slug"] == "deberta"
    assert "<math" in body["html"]
    assert {
        "level": 2,
        "anchor": "disentangled-attention",
        "text": "Disentangled attention",
    } in body["toc"]
    assert any(source["arxiv"] == "2006.03654" for source in body["sources"])
    assert body["sources"][0]["url"].startswith("https://arxiv.org/abs/")
    assert body["previous"] == "albert"


def test_unknown_lesson_is_problem_json(client: TestClient) -> None:
    response = client.get("/api/v1/lessons/gpt")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 404
    assert problem["title"] == "Not Found"
    assert "no lesson called 'gpt'" in problem["detail"]
    assert problem["instance"] == "/api/v1/lessons/gpt"


def test_unknown_api_path_is_problem_json(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_wrong_method_is_problem_json(client: TestClient) -> None:
    response = client.post("/api/v1/lessons")
    assert response.status_code == 405
    assert response.json()["status"] == 405


def test_openapi_lists_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {
        "/api/v1/lessons",
        "/api/v1/lessons/{slug}",
        "/api/v1/search",
        "/healthz",
        "/readyz",
    } <= set(spec["paths"])
    responses = spec["paths"]["/api/v1/lessons/{slug}"]["get"]["responses"]
    assert "application/problem+json" in responses["404"]["content"]
    # Validation errors are documented as what the handler really sends.
    for path in spec["paths"].values():
        for operation in path.values():
            if "422" in operation["responses"]:
                assert list(operation["responses"]["422"]["content"]) == [
                    "application/problem+json"
                ]
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_docs_page_uses_only_local_assets(client: TestClient) -> None:
    html = client.get("/docs").text
    assets = re.findall(r"""(?:href|src|url)\s*[:=]\s*['"]([^'"]+)['"]""", html)
    assert assets, html
    for url in assets:
        assert url.startswith("/"), f"{url} is not served by us"
        assert client.get(url).status_code == 200, url


def test_method_not_allowed_lists_every_method_of_the_path(client: TestClient) -> None:
    response = client.put("/api/v1/tokens")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert "use GET, POST" in response.json()["detail"]


def test_malformed_json_is_400_problem(client: TestClient) -> None:
    response = client.post(
        "/api/v1/accounts", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == "application/problem+json"
