"""Every labelled sample answer of every open question, judged by the real MiniLM: its label
must hold, or it must be one of the judge's known misses listed in ``judge_misses.txt``.

A threshold or judge change that breaks a label fails here, and so does one that fixes a listed
miss (take it off the list). The list grows only with new samples, never because the judge got
worse; ``bench/grader.py --misses`` prints it, and ``bench/grader.py`` counts the wrong accepts.
The label counts as held as bench/grader.py counts it: "unsure" is not accepted.
"""

from __future__ import annotations

from pathlib import Path

from app.config import Settings
from app.content import load_content
from app.encoders.embedder import Embedder
from app.encoders.minilm import load_minilm
from app.encoders.tokenizer import load_tokenizer
from app.quiz import judge
from app.quiz.calculated import FORMULAS
from tests.lab.needs import missing, models_dir

MISSES = Path(__file__).with_name("judge_misses.txt")


def known_misses() -> set[str]:
    lines = MISSES.read_text().splitlines()
    return {line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()}


def test_every_sample_label_holds_or_is_a_known_miss() -> None:
    model, tokenizer = load_minilm(models_dir()), load_tokenizer(models_dir())
    if model is None or tokenizer is None:
        missing("all-MiniLM-L6-v2 is not installed")
    embed = Embedder(model, tokenizer)
    bank = load_content(Settings().content_dir, formulas=FORMULAS).questions
    misses, judged = set(), 0
    for question in (q for q in bank.questions if q.type == "open"):
        for number, sample in enumerate(question.samples, start=1):
            verdict = judge.judge(question, sample.text, embed).verdict
            judged += 1
            if (verdict == "acceptable") != (sample.verdict == "acceptable"):
                misses.add(f"{question.id} {number} {sample.kind} {sample.verdict} {verdict}")
    assert judged >= 100
    listed = known_misses()
    broken, fixed = sorted(misses - listed), sorted(listed - misses)
    assert not broken, "labels the judge no longer agrees with:\n" + "\n".join(broken)
    assert not fixed, "listed misses the judge now gets right (take them off):\n" + "\n".join(fixed)
