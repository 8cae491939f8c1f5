"""The open-answer judge: clause splitting and polarity cues (pure), and verdicts with the real
all-MiniLM-L6-v2 (skipped without its files outside CI, a failure in CI)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.config import PROJECT_ROOT
from app.content import load_content
from app.content.questions import Misconception, Question
from app.encoders.embedder import Embedder
from app.encoders.minilm import load_minilm
from app.encoders.tokenizer import load_tokenizer
from app.quiz import judge
from app.quiz.calculated import FORMULAS
from tests.lab.needs import models_dir

BANK = load_content(PROJECT_ROOT / "content", formulas=FORMULAS).questions
FASTER = Misconception(
    "albert-is-faster",
    "ALBERT is faster than BERT because it shares its weights.",
    "Sharing weights saves memory, not compute.",
)


def test_answers_split_into_sentences_and_clauses() -> None:
    text = "ALBERT shares weights; the FLOPs stay the same. It is smaller, but not faster.\nOk"
    assert judge.clauses(text) == [
        "ALBERT shares weights",
        "the FLOPs stay the same.",
        "It is smaller",
        "not faster.",
    ]


@pytest.mark.parametrize(
    ("clause", "claim", "opposite"),
    [
        ("ALBERT is not faster than BERT", "ALBERT is faster than BERT", True),
        ("ALBERT isn't any faster", "ALBERT is faster", True),
        ("each layer no longer does its matmuls", "each layer does its matmuls", True),
        ("latency is clearly lower than BERT's", "latency is about equal to BERT's", True),
        ("it is slower than BERT", "it is faster than BERT", True),
        ("the table has 3.9 million parameters", "about 3.94M parameters", False),
        ("the table has 12 million parameters", "about 3.94 million parameters", True),
        ("latency is roughly the same as BERT's", "latency is about equal", False),
        ("it still runs every layer", "the shared layer is applied 12 times", False),
        # A compound claim is checked part by part.
        ("NSP turned out not to be needed", "NSP is not needed, not that it is harmful", False),
        ("NSP is needed after all", "NSP is not needed, not that it is harmful", True),
        # Numbers are compared by what they count.
        (
            "6 layers instead of 12, width 768",
            "Half the layers (6 vs 12) at hidden size 768",
            False,
        ),
        ("it has 24 layers", "it has 12 layers", True),
    ],
)
def test_polarity_cues_say_when_a_clause_contradicts_a_claim(
    clause: str, claim: str, opposite: bool
) -> None:
    assert judge.contradicts(clause, claim) is opposite


@pytest.fixture(scope="module")
def embed() -> judge.Embed:
    where = models_dir()
    model, tokenizer = load_minilm(where), load_tokenizer(where)
    assert model is not None and tokenizer is not None
    return Embedder(model, tokenizer)


@pytest.fixture(scope="module")
def speed() -> Question:
    question = BANK.get("albert-inference-speed")
    assert question is not None
    return replace(question, misconceptions=(FASTER,))


def test_a_strong_answer_is_acceptable_with_evidence(speed: Question, embed: judge.Embed) -> None:
    text = (
        "No. ALBERT shares one set of weights across its 12 layers, but every layer still runs "
        "its full matrix multiplications, so the FLOPs are the same as BERT's. Measured latency "
        "is about the same on CPU. What it saves is memory and checkpoint size."
    )
    judged = judge.judge(speed, text, embed)
    assert judged.verdict == "acceptable" and judged.acceptable
    covered = {e.id: e.evidence for e in judged.key_points if e.covered}
    assert "FLOPs are the same" in covered["same-flops"]
    assert "memory" in covered["what-it-saves"]


def test_a_misconception_is_caught_and_corrected(speed: Question, embed: judge.Embed) -> None:
    judged = judge.judge(speed, "Yes, ALBERT is much faster because it shares its weights.", embed)
    assert judged.verdict == "not_acceptable"
    assert [m.id for m in judged.misconceptions] == ["albert-is-faster"]
    assert judged.misconceptions[0].correction.startswith("Sharing weights saves memory")


def test_negating_the_misconception_does_not_trigger_it(
    speed: Question, embed: judge.Embed
) -> None:
    judged = judge.judge(
        speed, "ALBERT is not faster than BERT, although it shares weights.", embed
    )
    assert judged.misconceptions == ()


def test_the_reference_with_its_claims_flipped_is_not_covered(
    speed: Question, embed: judge.Embed
) -> None:
    text = (
        "Each layer no longer performs its full matmuls, so the FLOPs are much lower. "
        "Latency is clearly lower than BERT's."
    )
    judged = judge.judge(speed, text, embed)
    assert judged.verdict == "not_acceptable"
    flops = next(e for e in judged.key_points if e.id == "same-flops")
    assert not flops.covered and flops.contradicted


def test_an_answer_about_something_else_is_off_topic(speed: Question, embed: judge.Embed) -> None:
    judged = judge.judge(speed, "I enjoy cooking pasta and walking in the park on Sundays.", embed)
    assert judged.off_topic and judged.verdict == "not_acceptable"
    assert judge.judge(speed, "ok", embed).off_topic  # nothing to judge


def test_a_missing_essential_point_is_never_acceptable(speed: Question, embed: judge.Embed) -> None:
    plain = replace(speed, key_points=tuple(replace(p, essential=False) for p in speed.key_points))
    points = tuple(replace(p, essential=p.id == "same-flops") for p in speed.key_points)
    question = replace(speed, key_points=points)
    text = (
        "It still applies the shared layer twelve times. Measured latency is about the same on "
        "CPU. What it saves is memory, communication and checkpoint size."
    )
    assert judge.judge(plain, text, embed).verdict == "acceptable"
    judged = judge.judge(question, text, embed)
    assert judged.verdict == "not_acceptable" and "essential" in judged.reason


def test_anchoring_key_points_in_the_reference_only_adds_matches(
    speed: Question, embed: judge.Embed
) -> None:
    text = "Parameter sharing shrinks the file, yet the arithmetic per token is unchanged."
    plain = judge.judge(speed, text, embed)
    anchored = judge.judge(speed, text, embed, judge.Thresholds(anchors=True, windows=True))
    for before, after in zip(plain.key_points, anchored.key_points, strict=True):
        assert after.similarity >= before.similarity - 1e-6
