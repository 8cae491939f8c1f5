"""Search: the query language, ranking, highlighting, and every bad query answered with a message."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.content import load_content
from app.errors import InvalidInput
from app.quiz.calculated import FORMULAS
from app.search.index import MAX_QUERY_LENGTH, SearchIndex, to_fts_query
from tests.conftest import CONTENT_DIR


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    content = load_content(CONTENT_DIR, formulas=FORMULAS)
    return SearchIndex(content.sections, {lesson.slug: lesson.title for lesson in content.lessons})


@pytest.fixture(scope="module")
def full_index() -> SearchIndex:
    """Sections, glossary terms and questions, as the app builds it."""
    content = load_content(CONTENT_DIR, formulas=FORMULAS)
    return SearchIndex(
        content.sections,
        {lesson.slug: lesson.title for lesson in content.lessons},
        glossary=content.glossary.terms,
        questions=content.questions.questions,
    )


@pytest.mark.parametrize(
    ("query", "fts"),
    [
        ("disentangled", '"disentangled"*'),
        ("Dynamic  Masking", '"dynamic"* "masking"*'),
        ('"NEAR(a b)" OR *', '"near"* "a"* "b"* "or"*'),
        ("80/10/10", '"80"* "10"* "10"*'),
    ],
)
def test_user_text_becomes_a_safe_fts_query(query: str, fts: str) -> None:
    assert to_fts_query(query) == fts


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Type something"),
        ("   ", "Type something"),
        ("?!*", "at least one letter or digit"),
        ("x" * (MAX_QUERY_LENGTH + 1), f"keep it under {MAX_QUERY_LENGTH}"),
    ],
)
def test_bad_queries_are_explained(query: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        to_fts_query(query)


def test_disentangled_finds_the_deberta_section_highlighted(index: SearchIndex) -> None:
    hits = index.search("disentangled")
    urls = [hit.url for hit in hits[:3]]  # headings that name it come first
    assert "/lessons/deberta#disentangled-attention" in urls
    hit = hits[urls.index("/lessons/deberta#disentangled-attention")]
    assert "<mark>Disentangled</mark>" in hit.heading_html


def test_heading_matches_rank_first(index: SearchIndex) -> None:
    hits = index.search("sentence order prediction")
    assert (hits[0].lesson_slug, hits[0].anchor) == ("albert", "sentence-order-prediction")


def test_prefixes_match(index: SearchIndex) -> None:
    assert any(hit.lesson_slug == "distilbert" for hit in index.search("distil"))


def test_snippets_are_escaped(index: SearchIndex) -> None:
    for hit in index.search("attention"):
        without_marks = hit.snippet_html.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in without_marks


def test_search_page_highlights(client: TestClient) -> None:
    response = client.get("/search", params={"q": "disentangled"})
    assert response.status_code == 200
    assert 'href="/lessons/deberta#' in response.text
    assert "<mark>" in response.text


def test_search_page_without_query_shows_the_form(client: TestClient) -> None:
    response = client.get("/search")
    assert response.status_code == 200
    assert 'name="q"' in response.text


def test_search_page_overlong_query_says_why(client: TestClient) -> None:
    response = client.get("/search", params={"q": "bert " * 60})
    assert response.status_code == 422
    assert f"keep it under {MAX_QUERY_LENGTH}" in response.text


def test_search_api(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"q": "dynamic masking"}).json()
    assert body["count"] == len(body["results"]) > 0
    top = body["results"][0]  # the term's definition first, then the section teaching it
    assert (top["kind"], top["url"]) == ("glossary", "/glossary#dynamic-masking")
    sections = [r["url"] for r in body["results"] if r["kind"] == "section"][:3]
    assert "/lessons/roberta#dynamic-masking" in sections


@pytest.mark.parametrize("query", ["", "x" * 500, "***", '"'])
def test_search_api_bad_query_is_422_problem(client: TestClient, query: str) -> None:
    response = client.get("/api/v1/search", params={"q": query})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "query", ["NEAR(", "a AND OR NOT b", "-bert", "^x", "ümlaut ñ", "'; DROP TABLE x; --"]
)
def test_odd_queries_never_fail(client: TestClient, query: str) -> None:
    assert client.get("/api/v1/search", params={"q": query}).status_code == 200
    assert client.get("/search", params={"q": query}).status_code == 200


def test_search_finds_glossary_terms_and_questions_with_their_links(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"q": "sentence order"}).json()
    kinds = {r["kind"] for r in body["results"]}
    assert kinds == {"section", "glossary", "question"}
    term = next(r for r in body["results"] if r["kind"] == "glossary")
    assert term["url"] == "/glossary#sop" and term["heading"] == "sentence-order prediction"
    question = next(r for r in body["results"] if r["kind"] == "question")
    assert question["url"] == f"/quiz/{question['lesson']}?question={question['anchor']}"
    page = client.get(question["url"])
    assert page.status_code == 200
    assert f'name="question_id" value="{question["anchor"]}"' in page.text


def test_a_question_link_to_another_lesson_or_an_unknown_id_is_404(client: TestClient) -> None:
    assert client.get("/quiz/bert?question=albert-sop-negatives").status_code == 404
    missing = client.get("/quiz/albert?question=no-such-question")
    assert missing.status_code == 404 and "no question" in missing.text


@pytest.mark.parametrize(
    ("typed", "respelt", "lesson"),
    [
        ("ALBRT", "albert", "albert"),
        ("distilbrt", "distilbert", "distilbert"),
        ("sentance piece", "sentencepiece", "tokenizers"),
    ],
)
def test_a_misspelt_query_finds_its_lesson(
    full_index: SearchIndex, typed: str, respelt: str, lesson: str
) -> None:
    assert full_index.correction(typed) == respelt
    hits = full_index.search(typed)
    assert hits and all(hit.fuzzy for hit in hits)
    assert hits[0].lesson_slug == lesson
    # The respelt query's own best hits, in the same order.
    assert [h.key for h in hits[:5]] == [h.key for h in full_index.search(respelt)[:5]]


@pytest.mark.parametrize("query", ["attention", "albert", "dynamic masking", "bart"])
def test_a_query_that_matches_gets_no_fuzzy_hits(full_index: SearchIndex, query: str) -> None:
    hits = full_index.search(query)
    assert hits and not any(hit.fuzzy for hit in hits)
    assert full_index.correction(query) is None


def test_attention_still_ranks_attention_first(full_index: SearchIndex) -> None:
    hits = full_index.search("attention")
    assert all("attention" in hit.heading.lower() for hit in hits[:3]), [h.heading for h in hits]
    sections = [hit for hit in hits if hit.kind == "section"][:3]
    assert all("attention" in hit.heading.lower() for hit in sections), [h.url for h in sections]


def test_exact_hits_come_before_fuzzy_ones(full_index: SearchIndex) -> None:
    """A small limit leaves room for fuzzy hits only after every exact one."""
    exact = full_index.search("albert", limit=50)
    assert exact and not any(hit.fuzzy for hit in exact)
    mixed = full_index.search("albrt", limit=50)
    flags = [hit.fuzzy for hit in mixed]
    assert flags == sorted(flags)  # False (exact) before True (fuzzy), never interleaved


def test_nonsense_finds_nothing_and_suggests_nothing(full_index: SearchIndex) -> None:
    assert full_index.search("qzxvbnm") == []
    assert full_index.correction("qzxvbnm") is None


def test_short_words_are_never_respelt(full_index: SearchIndex) -> None:
    assert full_index.correction("zq") is None


def test_snippets_read_formulas_as_text(full_index: SearchIndex) -> None:
    """The attention-cost formula (4n²H) shows in the snippet, not as an empty gap."""
    hits = full_index.search("quadratic attention cost")
    assert any("n²" in hit.snippet_html for hit in hits if hit.kind == "section")
    for hit in hits:
        text = hit.snippet_html.replace("<mark>", "").replace("</mark>", "")
        assert "  " not in text and " : " not in text and "( )" not in text and "()" not in text


def test_results_page_shows_the_section_heading_linked_to_its_anchor(client: TestClient) -> None:
    page = client.get("/search", params={"q": "sentence order prediction"}).text
    assert '<a class="search-hit-title" href="/lessons/albert#sentence-order-prediction">' in page
    heading = page.split('href="/lessons/albert#sentence-order-prediction">', 1)[1].split("</a>")[0]
    assert 'class="search-hit-section"' in heading and "<mark>" in heading


def test_results_page_says_what_was_searched_instead(client: TestClient) -> None:
    page = client.get("/search", params={"q": "distilbrt"})
    assert page.status_code == 200
    assert "Nothing matched <strong>distilbrt</strong> as typed" in page.text
    assert "<strong>distilbert</strong>" in page.text
    assert 'href="/lessons/distilbert' in page.text or 'href="/quiz/distilbert' in page.text


def test_search_api_marks_fuzzy_hits_and_the_respelling(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"q": "ALBRT"}).json()
    assert body["did_you_mean"] == "albert"
    assert body["results"] and all(r["fuzzy"] for r in body["results"])
    good = client.get("/api/v1/search", params={"q": "albert"}).json()
    assert good["did_you_mean"] is None and not any(r["fuzzy"] for r in good["results"])


@pytest.mark.parametrize(
    ("query", "slug"),
    [("albert", "albert"), ("attention cost", "attention-cost"), ("distilbrt", "distilbert")],
)
def test_a_query_naming_a_lesson_gets_the_lesson_first(
    full_index: SearchIndex, query: str, slug: str
) -> None:
    assert full_index.search(query)[0].url == f"/lessons/{slug}"
