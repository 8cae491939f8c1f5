"""Loading content: the real lessons are valid, and every kind of problem names file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.content import ContentInvalid, load_content
from app.content.loader import check_content
from app.errors import NotFound
from app.quiz.calculated import FORMULAS
from tests.conftest import CONTENT_DIR, LessonWriter

CORE_SLUGS = ["bert", "roberta", "distilbert", "albert", "deberta"]


def test_real_content_is_valid_and_has_the_core_lessons() -> None:
    index, problems = check_content(CONTENT_DIR, formulas=FORMULAS)
    assert problems == []
    assert index is not None
    slugs = [lesson.slug for lesson in index.lessons]
    assert slugs[: len(CORE_SLUGS)] == CORE_SLUGS
    assert len(slugs) >= 6


@pytest.mark.parametrize("slug", CORE_SLUGS)
def test_every_core_lesson_cites_arxiv_and_has_math_and_code(slug: str) -> None:
    lesson = load_content(CONTENT_DIR, formulas=FORMULAS).lesson(slug)
    assert lesson.sources and all(source.arxiv for source in lesson.sources)
    assert '<div class="highlight">' in lesson.html
    assert "interview-questions" in lesson.anchors
    assert lesson.toc and lesson.reading_minutes >= 3


@pytest.mark.parametrize(
    ("slug", "formula"),
    [
        ("bert", "<msqrt>"),  # softmax(QK^T / sqrt(d_k)) V
        ("distilbert", "<mi>T</mi>"),  # distillation with temperature
        ("albert", "<mi>E</mi>"),  # V*E + E*H
        ("deberta", "<msqrt>"),  # the disentangled score, scaled by sqrt(3d)
    ],
)
def test_formula_lessons_render_their_formulas_as_mathml(slug: str, formula: str) -> None:
    html = load_content(CONTENT_DIR, formulas=FORMULAS).lesson(slug).html
    assert "<math" in html
    assert formula in html


def test_lessons_are_ordered_and_have_neighbours(
    tmp_path: Path, write_lesson: LessonWriter
) -> None:
    write_lesson("02-second.md")
    write_lesson("01-first.md")
    write_lesson("03-third.md")
    index = load_content(tmp_path / "content", formulas=FORMULAS)
    assert [lesson.slug for lesson in index.lessons] == ["first", "second", "third"]
    previous, following = index.neighbours("second")
    assert previous is not None and previous.slug == "first"
    assert following is not None and following.slug == "third"
    assert index.neighbours("first")[0] is None
    with pytest.raises(NotFound, match="no lesson called 'nope'"):
        index.lesson("nope")


def _problems(tmp_path: Path) -> list[str]:
    _, problems = check_content(tmp_path / "content", formulas=FORMULAS)
    return [f"{p.path.name}:{p.line}: {p.message}" for p in problems]


def test_missing_field_points_at_the_front_matter(
    tmp_path: Path, write_lesson: LessonWriter
) -> None:
    write_lesson(
        "01-a.md", front='title: "A"\norder: 1\nsources: [{title: "P", arxiv: "1810.04805"}]\n'
    )
    assert _problems(tmp_path) == ["01-a.md:1: front matter is missing required field 'summary'"]


def test_bad_field_points_at_its_line(tmp_path: Path, write_lesson: LessonWriter) -> None:
    write_lesson(
        "01-a.md",
        front='title: "A"\nsummary: "S"\norder: first\nsources:\n  - title: "P"\n    arxiv: "BERT"\n',
    )
    problems = _problems(tmp_path)
    assert problems[0].startswith("01-a.md:4: front matter field 'order'")
    assert problems[1].startswith("01-a.md:5: front matter field 'sources.0.arxiv'")
    assert "1810.04805" in problems[1]


def test_unknown_field_is_reported(tmp_path: Path, write_lesson: LessonWriter) -> None:
    write_lesson(
        "01-a.md",
        front='title: "A"\nsummary: "S"\norder: 1\nauthor: me\nsources: [{title: "P", arxiv: "1810.04805"}]\n',
    )
    assert _problems(tmp_path)[0].startswith("01-a.md:5: unknown front matter field 'author'")


def test_broken_yaml_reports_the_yaml_line(tmp_path: Path) -> None:
    lessons = tmp_path / "content" / "lessons"
    lessons.mkdir(parents=True)
    (lessons / "01-a.md").write_text('---\ntitle: "A"\nsummary: [unclosed\norder: 1\n---\nBody\n')
    problems = _problems(tmp_path)
    assert len(problems) == 1
    # The line of the unclosed bracket, not the line where YAML noticed it.
    assert problems[0].startswith("01-a.md:3: invalid YAML:")
    assert "noticed on line" in problems[0]


def test_unclosed_and_missing_front_matter(tmp_path: Path) -> None:
    lessons = tmp_path / "content" / "lessons"
    lessons.mkdir(parents=True)
    (lessons / "01-a.md").write_text("---\ntitle: A\n")
    (lessons / "02-b.md").write_text("Just text\n")
    assert _problems(tmp_path) == [
        "01-a.md:1: front matter is not closed: add a '---' line after it",
        "02-b.md:1: file must start with YAML front matter between '---' lines",
    ]


def test_body_problems_are_offset_past_the_front_matter(
    tmp_path: Path, write_lesson: LessonWriter
) -> None:
    path = write_lesson("01-a.md", body="Intro.\n\n## Part\n\nBad $\\frac{1}{$ math.\n")
    line_of_math = path.read_text().splitlines().index("Bad $\\frac{1}{$ math.") + 1
    problems = _problems(tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith(f"01-a.md:{line_of_math}: math does not convert")


def test_duplicate_slug_and_order(tmp_path: Path, write_lesson: LessonWriter) -> None:
    write_lesson("01-a.md")
    write_lesson("02-a.md")
    write_lesson(
        "03-b.md",
        front='title: "B"\nsummary: "S"\norder: 1\nsources: [{title: "P", arxiv: "1810.04805"}]\n',
    )
    problems = _problems(tmp_path)
    assert any(p.startswith("02-a.md:1: duplicate slug 'a'") for p in problems)
    assert any(p.startswith("03-b.md:4: duplicate order 1") for p in problems)


def test_broken_internal_links(tmp_path: Path, write_lesson: LessonWriter) -> None:
    write_lesson("01-a.md", body="Intro.\n\n## Real part\n\nText.\n")
    write_lesson(
        "02-b.md",
        body=(
            "Intro.\n\n## Links\n\n"
            "[ok](/lessons/a#real-part) [ok](/lessons/a) [ok](#links)\n\n"
            "[gone](/lessons/zzz)\n\n[no anchor](/lessons/a#fake)\n\n[here](#nowhere)\n"
        ),
    )
    problems = [p.split(": ", 1)[1] for p in _problems(tmp_path)]
    assert problems == [
        "broken link '/lessons/zzz': there is no lesson 'zzz'",
        "broken link '/lessons/a#fake': lesson 'a' has no section '#fake'",
        "broken link '#nowhere': no heading with that anchor here",
    ]


def test_one_broken_lesson_does_not_break_links_to_it(
    tmp_path: Path, write_lesson: LessonWriter
) -> None:
    write_lesson(
        "01-a.md", front='title: "A"\norder: 1\nsources: [{title: "P", arxiv: "1810.04805"}]\n'
    )
    write_lesson(
        "02-b.md", body="Intro.\n\n## Links\n\n[a](/lessons/a) [a part](/lessons/a#part)\n"
    )
    assert _problems(tmp_path) == ["01-a.md:1: front matter is missing required field 'summary'"]


def test_bad_file_name_and_empty_directory(tmp_path: Path) -> None:
    lessons = tmp_path / "content" / "lessons"
    lessons.mkdir(parents=True)
    assert _problems(tmp_path) == ["lessons:1: no lessons found (add NN-slug.md files)"]
    (lessons / "Intro.md").write_text("---\n---\n")
    assert _problems(tmp_path) == [
        "Intro.md:1: lesson file names look like 'NN-slug.md' (e.g. 01-bert.md)"
    ]


def test_load_content_raises_with_every_problem(tmp_path: Path, write_lesson: LessonWriter) -> None:
    write_lesson("01-a.md", body="$\\frac{$\n\n$\\frac{$ again\n")
    with pytest.raises(ContentInvalid) as raised:
        load_content(tmp_path / "content", formulas=FORMULAS)
    assert len(raised.value.problems) == 2
    assert "content has 2 problems" in str(raised.value)
