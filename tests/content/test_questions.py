"""The question bank: every type parses, and every kind of mistake names its file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.content.loader import check_content
from app.content.question_schema import SAMPLE_KINDS
from app.content.questions import QUESTION_TYPES
from app.quiz.calculated import FORMULAS, draw, fill, placeholders
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
    _, problems = check_content(tmp_path / "content", formulas=FORMULAS)
    return [f"{p.path.name}:{p.line}: {p.message}" for p in problems]


def test_real_bank_is_valid_and_covers_every_type_and_core_lesson() -> None:
    index, problems = check_content(CONTENT_DIR, formulas=FORMULAS)
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
    index, problems = check_content(tmp_path / "content", formulas=FORMULAS)
    assert problems == [] and index is not None
    single = index.questions.get("a-single")
    assert single is not None and single.lesson_url == "/lessons/a#part"
    assert "<math" in single.prompt_html
    assert [o.correct for o in single.options] == [True, False]
    assert index.questions.for_lesson("a")[1].answer_number == 3840000


def test_content_hash_changes_with_the_question(tmp_path: Path, write_lesson: LessonWriter) -> None:
    _setup(tmp_path, write_lesson, GOOD)
    index, _ = check_content(tmp_path / "content", formulas=FORMULAS)
    assert index is not None
    before = index.questions.get("a-single")
    _setup(tmp_path, write_lesson, GOOD.replace("Half the depth.", "Half the depth!"))
    index, _ = check_content(tmp_path / "content", formulas=FORMULAS)
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


CALCULATED = """\
- id: a-calc
  type: numeric
  prompt: |
    With $V$ = {{V}}, $E$ = {{E}} and $H$ = {{H}}, how many parameters?
  compute:
    function: albert_embedding_params
    inputs:
      V: [30000, 50265]
      E: 128
      H: {min: 256, max: 1024, step: 128}
  tolerance: 1%
  unit: parameters
  explanation: |
    $VE + EH + H$ = {{answer}} for $V$ = {{V}}.
  lesson: a#part
  difficulty: 3
"""


def test_calculated_question_loads(tmp_path: Path, write_lesson: LessonWriter) -> None:
    _setup(tmp_path, write_lesson, CALCULATED)
    index, problems = check_content(tmp_path / "content", formulas=FORMULAS)
    assert problems == [] and index is not None
    question = index.questions.get("a-calc")
    assert question is not None and question.compute is not None
    assert question.answer_number is None and question.tolerance is None
    assert question.relative_tolerance == pytest.approx(0.01)
    assert question.compute.function == "albert_embedding_params"
    assert [name for name, _ in question.compute.inputs] == ["V", "E", "H"]
    assert list(dict(question.compute.inputs)["H"]) == [256, 384, 512, 640, 768, 896, 1024]
    assert placeholders(question.prompt_html) == ["V", "E", "H"]
    drawn = draw(question.compute, 3)
    shown = fill(question.prompt_html, drawn.values)
    assert "{{" not in shown and f"{drawn.values['V']:,}" in shown


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "function: albert_embedding_params",
            "function: albert_params",
            "a.yaml:6: unknown compute function 'albert_params' (known: albert_embedding_params,",
        ),
        (
            "      E: 128\n",
            "",
            "a.yaml:7: albert_embedding_params needs inputs V, E, H; missing: E",
        ),
        (
            "      E: 128\n",
            "      E: 128\n      L: 12\n",
            "a.yaml:10: compute input 'L' is not a parameter of albert_embedding_params (its "
            "parameters: V, E, H)",
        ),
        ("V: [30000, 50265]", "V: []", "a.yaml:8: compute input 'V' has an empty list of values"),
        ("V: [30000, 50265]", "V: [1.5]", "a.yaml:8: compute input 'V' must list integers"),
        (
            "{min: 256, max: 1024, step: 128}",
            "{min: 1024, max: 256}",
            "a.yaml:10: compute input 'H' has min 1024 greater than max 256",
        ),
        (
            "step: 128}",
            "step: 0}",
            "a.yaml:10: compute input 'H' must have a step of at least 1, got 0",
        ),
        (
            "{min: 256, max: 1024, step: 128}",
            "{low: 256}",
            "a.yaml:10: compute input 'H' must be a range {min: …, max: …, step: …}",
        ),
        ("E: 128", "E: -1", "a.yaml:9: compute input 'E' must not be negative"),
        (
            "how many parameters?",
            "how many {{P}} parameters?",
            "a.yaml:3: placeholder {{P}} in the prompt is not an input of this question "
            "(use one of: {{V}}, {{E}}, {{H}})",
        ),
        (
            "how many parameters?",
            "how many {{answer}}?",
            "a.yaml:3: placeholder {{answer}} in the prompt is not an input of this question",
        ),
        (
            "$E$ = {{E}}",
            "$E = {{E}}$",
            "a.yaml:3: placeholder {{E}} in the prompt is inside $…$ math",
        ),
        (
            "$E$ = {{E}} and",
            "$E$ and",
            "a.yaml:9: compute input 'E' is never shown: put {{E}} in the prompt",
        ),
        (
            "for $V$ = {{V}}.",
            "for {{X}}.",
            "a.yaml:13: placeholder {{X}} in the explanation is not an input of this question",
        ),
        (
            "tolerance: 1%",
            "tolerance: lots",
            "a.yaml:11: tolerance must be a positive number or a percentage such as '1%', "
            "got 'lots'",
        ),
        ("tolerance: 1%", "tolerance: 0%", "a.yaml:11: tolerance must be a positive number"),
        (
            "  tolerance: 1%\n",
            "  answer: 5\n  tolerance: 1%\n",
            "a.yaml:5: give either 'answer' (a fixed value) or 'compute' (a formula), not both",
        ),
        (
            "function: albert_embedding_params\n    inputs:\n      V: [30000, 50265]\n      E: 128",
            "function: factorised_embedding_saving\n    inputs:\n      V: [30000, 50265]\n      E: 512",
            "a.yaml:7: factorised_embedding_saving gives -7811328 for V=30000, E=512, H=256; "
            "choose inputs for which it is a positive number",
        ),
    ],
)
def test_calculated_problems_name_file_and_line(
    tmp_path: Path, write_lesson: LessonWriter, old: str, new: str, expected: str
) -> None:
    assert old in CALCULATED, old
    _setup(tmp_path, write_lesson, CALCULATED.replace(old, new, 1))
    problems = _problems(tmp_path)
    assert any(p.startswith(expected) for p in problems), problems


def test_numeric_needs_an_answer_or_a_formula(tmp_path: Path, write_lesson: LessonWriter) -> None:
    _setup(tmp_path, write_lesson, GOOD.replace("  answer: 3840000\n", ""))
    assert (
        "a.yaml:11: a numeric question needs 'answer' (a fixed value) or 'compute' (a formula)"
        in _problems(tmp_path)
    )


def test_relative_tolerance_on_a_fixed_answer(tmp_path: Path, write_lesson: LessonWriter) -> None:
    _setup(tmp_path, write_lesson, GOOD.replace("tolerance: 1000", "tolerance: 0.5%"))
    index, problems = check_content(tmp_path / "content", formulas=FORMULAS)
    assert problems == [] and index is not None
    numeric = index.questions.get("a-numeric")
    assert numeric is not None and numeric.tolerance is None
    assert numeric.relative_tolerance == pytest.approx(0.005)


def test_real_calculated_questions_draw_and_fill() -> None:
    index, _ = check_content(CONTENT_DIR, formulas=FORMULAS)
    assert index is not None
    calculated = [q for q in index.questions.questions if q.compute is not None]
    assert len(calculated) >= 10
    assert len({q.lesson for q in calculated}) >= 5
    for question in calculated:
        assert question.compute is not None
        assert question.tolerance is not None or question.relative_tolerance is not None
        answers = set()
        for seed in range(40):
            drawn = draw(question.compute, seed)
            assert drawn.answer > 0, (question.id, drawn)
            answers.add(drawn.answer)
            for html in (question.prompt_html, question.explanation_html):
                assert "{{" not in fill(html, drawn.shown), question.id
        assert len(answers) > 1, f"{question.id}: every seed gives the same answer"


def test_every_open_question_carries_labelled_samples_of_every_kind() -> None:
    """The grader is measured on these (bench/grader.py): strong, paraphrased, partial,
    misconception, negated and off-topic answers, each with the verdict it must get."""
    index, _ = check_content(CONTENT_DIR, formulas=FORMULAS)
    assert index is not None
    bank = index.questions
    for slug in bank.lessons:
        open_questions = [q for q in bank.for_lesson(slug) if q.type == "open"]
        assert len(open_questions) >= 3, f"{slug}: at least three open questions"
        for q in open_questions:
            kinds = {s.kind for s in q.samples}
            assert len(q.samples) >= 6 and kinds == set(SAMPLE_KINDS), q.id
            assert q.misconceptions, f"{q.id}: name the wrong claims an interviewer listens for"
            labels = {s.kind: {x.verdict for x in q.samples if x.kind == s.kind} for s in q.samples}
            assert labels["strong"] == labels["paraphrase"] == {"acceptable"}, q.id
            for wrong in ("misconception", "negated", "off-topic"):
                assert labels[wrong] == {"not_acceptable"}, (q.id, wrong)


OPEN = """
- id: a-open
  type: open
  prompt: Why six layers?
  reference_answer: Half the depth of the teacher.
  key_points:
    - id: half
      text: Half of the teacher's twelve layers.
      keywords: [half]
      essential: true
  misconceptions:
    - id: narrower
      text: DistilBERT is narrower than BERT.
      correction: It keeps the width, 768; it halves the depth.
  explanation: Half the depth.
  lesson: a#part
  difficulty: 1
"""
SAMPLES = """  samples:
    - kind: strong
      verdict: acceptable
      text: It keeps half of the teacher's layers.
"""


def test_samples_and_misconceptions_load_and_samples_do_not_change_the_hash(
    tmp_path: Path, write_lesson: LessonWriter
) -> None:
    _setup(tmp_path, write_lesson, OPEN)
    index, problems = check_content(tmp_path / "content", formulas=FORMULAS)
    assert problems == [] and index is not None
    before = index.questions.get("a-open")
    assert before is not None and before.key_points[0].essential
    assert before.misconceptions[0].correction.startswith("It keeps the width")
    _setup(tmp_path, write_lesson, OPEN + SAMPLES)
    index, problems = check_content(tmp_path / "content", formulas=FORMULAS)
    assert problems == [] and index is not None
    after = index.questions.get("a-open")
    assert after is not None and [s.kind for s in after.samples] == ["strong"]
    assert after.content_hash == before.content_hash  # samples are test data, not the question


def test_a_sample_with_an_unknown_verdict_is_refused_with_its_line(
    tmp_path: Path, write_lesson: LessonWriter
) -> None:
    _setup(tmp_path, write_lesson, OPEN + SAMPLES.replace("verdict: acceptable", "verdict: maybe"))
    problems = _problems(tmp_path)
    assert any("samples.0.verdict" in p and "acceptable" in p for p in problems), problems


FOLLOWED = """
- id: a-deeper
  type: open
  prompt: Why not four layers?
  reference_answer: Four lose too much.
  key_points:
    - id: loss
      text: Four layers lose too much accuracy.
      keywords: [accuracy]
  explanation: Too shallow.
  lesson: a#part
  difficulty: 2
"""


def test_a_follow_up_loads_and_does_not_change_the_hash(
    tmp_path: Path, write_lesson: LessonWriter
) -> None:
    _setup(tmp_path, write_lesson, OPEN + FOLLOWED)
    index, problems = check_content(tmp_path / "content", formulas=FORMULAS)
    assert problems == [] and index is not None
    before = index.questions.get("a-open")
    followed = OPEN.replace(
        "      keywords: [half]", "      keywords: [half]\n      follow_up: a-deeper"
    )
    _setup(tmp_path, write_lesson, followed + FOLLOWED)
    index, problems = check_content(tmp_path / "content", formulas=FORMULAS)
    assert problems == [] and index is not None
    after = index.questions.get("a-open")
    assert before is not None and after is not None
    assert after.key_points[0].follow_up == "a-deeper" and before.key_points[0].follow_up is None
    assert after.content_hash == before.content_hash  # it says what comes next, not what is asked


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("a-nowhere", "follow_up 'a-nowhere' names no question"),
        ("a-open", "follow_up 'a-open' names the question itself"),
        ("a-single", "follow_up 'a-single' is a single question; a follow-up must be an open"),
        ("Not An Id", "field 'key_points.0.follow_up'"),
    ],
)
def test_a_bad_follow_up_is_refused_at_its_line(
    tmp_path: Path, write_lesson: LessonWriter, target: str, expected: str
) -> None:
    followed = OPEN.replace(
        "      keywords: [half]", f"      keywords: [half]\n      follow_up: {target}"
    )
    _setup(tmp_path, write_lesson, GOOD + followed)
    problems = _problems(tmp_path)
    line = 1 + (GOOD + followed).split("\n").index(f"      follow_up: {target}")
    assert any(p.startswith(f"a.yaml:{line}: ") and expected in p for p in problems), problems


def test_the_real_bank_names_follow_ups_on_open_questions() -> None:
    index, _ = check_content(CONTENT_DIR, formulas=FORMULAS)
    assert index is not None
    bank = index.questions
    links = [(q, k.follow_up) for q in bank.questions for k in q.key_points if k.follow_up]
    assert len(links) >= 6  # a handful per lesson at most: follow-ups are for the weak points
    for question, target in links:
        followed = bank.get(target)
        assert followed is not None and followed.type == "open" and followed.id != question.id
