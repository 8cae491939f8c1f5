"""The glossary: content/glossary.yaml checked with file and line, the first mention of each term
in a lesson linked to it, the /glossary page and its JSON."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.content import load_content
from app.content.loader import check_content
from app.content.markdown import TermLinker, render_markdown
from app.quiz.calculated import FORMULAS
from tests.conftest import CONTENT_DIR, LessonWriter

BODY = "Intro on MLM.\n\n## Masking\n\nThe MLM objective, then MLM again.\n"


def _glossary(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "content" / "glossary.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


GOOD = """\
    - id: mlm
      term: masked language modelling
      aliases: [MLM]
      definition: Predict hidden tokens from both sides of the context.
      lesson: intro#masking
    """


def test_the_first_mention_in_a_lesson_links_to_its_term(
    tmp_path: Path, write_lesson: LessonWriter
) -> None:
    write_lesson("01-intro.md", body=BODY)
    _glossary(tmp_path, GOOD)
    index = load_content(tmp_path / "content", formulas=FORMULAS)
    html = index.lesson("intro").html
    assert html.count('href="/glossary#mlm"') == 1
    assert 'Intro on <a href="/glossary#mlm" class="glossary-link" title="Predict hidden' in html
    assert (
        len(index.glossary) == 1 and index.glossary.terms[0].lesson_url == "/lessons/intro#masking"
    )


@pytest.mark.parametrize(
    ("change", "line", "fragment"),
    [
        (("intro#masking", "intro#nowhere"), 5, "lesson 'intro' has no section '#nowhere'"),
        (("intro#masking", "gone#masking"), 5, "there is no lesson 'gone'"),
        (("id: mlm", "id: Not An Id"), 1, "id: String should match pattern"),
        (("Predict hidden tokens from both sides of the context.", "Short."), 4, "definition"),
        (("      lesson", "      colour: red\n      lesson"), 5, "colour: Extra inputs"),
    ],
)
def test_a_bad_entry_is_reported_with_its_line(
    tmp_path: Path,
    write_lesson: LessonWriter,
    change: tuple[str, str],
    line: int,
    fragment: str,
) -> None:
    write_lesson("01-intro.md", body=BODY)
    path = _glossary(tmp_path, GOOD.replace(*change))
    index, problems = check_content(tmp_path / "content", formulas=FORMULAS)
    assert index is None
    assert [(p.line, p.path.name) for p in problems if fragment in p.message] == [
        (line, path.name)
    ], problems


def test_two_terms_may_not_share_a_spelling(tmp_path: Path, write_lesson: LessonWriter) -> None:
    write_lesson("01-intro.md", body=BODY)
    _glossary(
        tmp_path,
        GOOD.rstrip(" ")
        + """\
    - id: mlm-again
      term: MLM
      definition: The same thing under another entry, which is a mistake.
      lesson: intro#masking
    """,
    )
    _, problems = check_content(tmp_path / "content", formulas=FORMULAS)
    assert [p.message for p in problems] == ["'MLM' is already a spelling of 'mlm'"]


def test_the_linker_skips_headings_links_and_code_and_prefers_longer_spellings() -> None:
    linker = TermLinker(
        [("BPE", "bpe", "Merges."), ("byte-level BPE", "byte-bpe", "Bytes."), ("token", "t", "A.")]
    )
    html = render_markdown(
        "## BPE here\n\n[BPE](/x) and `BPE`, then byte-level BPE, then BPE; bpe; Token.\n",
        glossary=linker,
    ).html
    links = re.findall(r'<a href="/glossary#([\w-]+)"[^>]*>([^<]+)</a>', html)
    # "bpe" in lower case is not "BPE"; "token" matches in any case
    assert links == [("byte-bpe", "byte-level BPE"), ("bpe", "BPE"), ("t", "Token")]
    assert "<h2" in html and 'href="/glossary#bpe">BPE here' not in html


def test_the_real_glossary_has_forty_terms_each_pointing_at_a_real_section() -> None:
    index = load_content(CONTENT_DIR, formulas=FORMULAS)
    anchors = {(s.lesson_slug, s.anchor) for s in index.sections}
    assert len(index.glossary) >= 30
    for term in index.glossary.terms:
        assert (term.lesson_slug, term.anchor) in anchors, term.id
    linked = {m for lesson in index.lessons for m in re.findall(r"/glossary#([\w-]+)", lesson.html)}
    assert linked <= {t.id for t in index.glossary.terms}
    assert len(linked) >= len(index.glossary) * 0.8  # lessons really mention most terms


def test_the_glossary_page_and_api_list_every_term(client: TestClient) -> None:
    page = client.get("/glossary")
    assert page.status_code == 200
    api = client.get("/api/v1/glossary").json()
    assert page.text.count('class="glossary-term"') == len(api) >= 30
    for term in api:
        assert f'id="{term["id"]}"' in page.text
        assert f'href="{term["lesson_url"]}"' in page.text
    names = [t["term"].lstrip("[").lower() for t in api]
    assert names == sorted(names)
    assert 'href="#letter-c"' in page.text and 'id="cls-token"' in page.text
