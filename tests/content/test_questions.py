"""The question bank: every type parses, and every kind of mistake names its file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.content.loader import check_content
from app.content.questions import QUESTION_TYPES
from tests.conftest import CONTENT_DIR, LessonWriter

GOOD = """\
- id: a-single
  type: single
  prompt: "How many layers? $L$"
  options:
    - {id: x, text: "6", correct: true, explanation: Half of 12.}
    - {id: y, text: "12", explanation: The teacher.}
  explanation: Half the depth.
  lesson: a#part
  difficulty: 1
  tags: [architecture]
- id: a-numeric
  type: numeric
  prompt: V times E?
  answer: 3840000
  tolerance: 1000
  unit: parameters
  explanation: 30000 x 128.
  lesson: a#part
  difficulty: 3
"""


def _setup(tmp_path: Path, write_lesson: LessonWriter, questions: str, name: str = "a") -> None:
    write_lesson("01-a.md")
    directory = tmp_path / "content" / "questions"
    directory.mkdir(exist_ok=True)
    (directory / f"{name}.yaml").write_text(textwrap.dedent(questions), encoding="utf-8")


def _problems(tmp_path: Path) -> list[str]:
    _, problems = check_content(tmp_path / "content")
    return [f"{p.path.name}:{p.line}: {p.message}" for p in problems]


def test_real_bank_is_valid_and_covers_every_type_and_core_lesson() -> None:
    index, problems = check_content(CONTENT_DIR)
    assert problems == []
    assert index is not None
    bank = index.questions
    assert len(bank) >= 40
    assert {q.type for q in bank.questions} == set(QUESTION_TYPES)
    for slug in ("bert", "roberta", "distilbert", "albert", "deberta"):
        assert len(bank.for_lesson(slug)) >= 5, slug
    assert sum(q.type == "open" for q in bank.questions) >= 8


def test_good_questions_load(tmp_path: Path, write_lesson: LessonWriter) -> None:
    _setup(tmp_path, write_lesson, GOOD)
    index, problems = check_content(tmp_path / "content")
    assert problems == [] and index is not None
    single = index.questions.get("a-single")
    assert single is not None and single.lesson_url == "/lessons/a#part"
    assert "<math" in single.prompt_html
    assert [o.correct for o in single.options] == [True, False]
    assert index.questions.for_lesson("a")[1].answer_number == 3840000


def test_content_hash_changes_with_the_question(tmp_path: Path, write_lesson: LessonWriter) -> None:
    _setup(tmp_path, write_lesson, GOOD)
    index, _ = check_content(tmp_path / "content")
    assert index is not None
    before = index.questions.get("a-single")
    _setup(tmp_path, write_lesson, GOOD.replace("Half the depth.", "Half the depth!"))
    index, _ = check_content(tmp_path / "content")
    assert index is not None
    after = index.questions.get("a-single")
    assert before is not None and after is not None
    assert before.content_hash != after.content_hash
    assert index.questions.get("a-numeric") is not None


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            " correct: true,",
            "",
            "a.yaml:4: a single-choice question needs exactly one correct option, found 0",
        ),
        (
            '{id: y, text: "12", explanation: The teacher.}',
            '{id: y, text: "12"}',
            "a.yaml:6: missing required field 'options.1.explanation'",
        ),
        ("{id: y,", "{id: x,", "a.yaml:6: duplicate option id 'x'"),
        ("  explanation: Half the depth.\n", "", "a.yaml:1: missing required field 'explanation'"),
        (
            "lesson: a#part\n  difficulty: 1",
            "lesson: a#nowhere\n  difficulty: 1",
            "a.yaml:8: question 'a-single': lesson 'a' has no section '#nowhere'",
        ),
        (
            "lesson: a#part\n  difficulty: 1",
            "lesson: zz#part\n  difficulty: 1",
            "a.yaml:8: question 'a-single': lesson 'zz' does not exist",
        ),
        (
            "tolerance: 1000",
            "tolerance: -5",
            "a.yaml:15: tolerance must be a positive number, got -5.0",
        ),
        (
            "difficulty: 3",
            "difficulty: 7",
            "a.yaml:19: field 'difficulty': Input should be less than or equal to 3",
        ),
        (
            "type: numeric",
            "type: essay",
            "a.yaml:11: unknown question type (use one of: single, multiple, truefalse, numeric, order, open)",
        ),
        ("  unit: parameters\n", "  units: parameters\n", "a.yaml:16: unknown field 'units'"),
        ('"How many layers? $L$"', '"Broken $\\\\frac{a}{$"', "a.yaml:3: math does not convert"),
    ],
)
def test_problems_name_file_and_line(
    tmp_path: Path, write_lesson: LessonWriter, old: str, new: str, expected: str
) -> None:
    assert old in GOOD, old
    _setup(tmp_path, write_lesson, GOOD.replace(old, new, 1))
    problems = _problems(tmp_path)
    assert any(p.startswith(expected) for p in problems), problems


def test_duplicate_ids_across_files(tmp_path: Path, write_lesson: LessonWriter) -> None:
    _setup(tmp_path, write_lesson, GOOD)
    (tmp_path / "content" / "questions" / "b.yaml").write_text(GOOD, encoding="utf-8")
    problems = _problems(tmp_path)
    assert "b.yaml:1: no lesson 'b': name question files after a lesson slug" in problems
    assert any(
        p.startswith("b.yaml:1: duplicate question id 'a-single' (also in") for p in problems
    )


def test_broken_yaml_and_wrong_shape(tmp_path: Path, write_lesson: LessonWriter) -> None:
    _setup(tmp_path, write_lesson, "- id: x\n  prompt: [unclosed\n")
    assert _problems(tmp_path)[0].startswith("a.yaml:2: invalid YAML")
    _setup(tmp_path, write_lesson, "id: x\n")
    assert _problems(tmp_path) == [
        "a.yaml:1: a question file is a YAML list of questions ('- id: …')"
    ]
