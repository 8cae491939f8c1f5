"""The open-answer grader on the labelled samples in content/: how often it agrees with the label.

For each design, over every ``samples:`` entry of every open question:
- agreement with the label (target >= 95%; "unsure" counts as not accepted, so an "unsure" label
  agrees with any verdict that is not "acceptable");
- wrong answers accepted (labelled not acceptable, judged acceptable; target 0);
- correct answers judged only "unsure";
- the median time to grade a 120-word answer (target <= 50 ms, MiniLM included).

Designs: ``keywords`` (the keyword grader: acceptable when half the key points' keywords appear),
``similarity`` (best-clause cosine per key point, no polarity, no misconceptions) and ``judge``
(``app/quiz/judge.py``: similarity plus negation, direction, numbers and misconceptions).

    .venv/bin/python bench/grader.py [--design judge] [--show-misses] [--calibrate] [--misses]
        [--lesson SLUG ...]

``--calibrate`` chooses each question's own thresholds (``judge: {cover, accept_share}`` in its
YAML) from a grid, on its samples: the most agreement, a wrong answer accepted counting as two
disagreements, ties to the defaults. It prints the in-sample figure and an honest one,
leave-one-out: each sample judged with the thresholds chosen from the question's other samples.
A question can carry thresholds of its own; none does, because leave-one-out shows they do not
carry over to answers they were not chosen on.

Needs the MiniLM files (``bertprep fetch-model``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings
from app.content import load_content
from app.content.questions import Question
from app.encoders.embedder import Embedder
from app.encoders.minilm import load_minilm
from app.encoders.tokenizer import load_tokenizer
from app.quiz import judge
from app.quiz.calculated import FORMULAS
from app.quiz.grading import covered_key_points

Verdict = Callable[[Question, str], str]


def cached_embedder(models_dir: Path) -> judge.Embed:
    model, tokenizer = load_minilm(models_dir), load_tokenizer(models_dir)
    if model is None or tokenizer is None:
        raise SystemExit(f"all-MiniLM-L6-v2 is not in {models_dir}: run `bertprep fetch-model`")
    return Embedder(model, tokenizer)


def designs(embed: judge.Embed) -> dict[str, Verdict]:
    def keywords(q: Question, text: str) -> str:
        share = len(covered_key_points(text, q.key_points)) / len(q.key_points)
        return "acceptable" if share >= 0.5 else "not_acceptable"

    def similarity(q: Question, text: str) -> str:
        """Each key point by its best clause's cosine alone: no polarity, no misconceptions."""
        parts = judge.clauses(text)
        if not parts:
            return "not_acceptable"
        vectors = embed([*parts, *(p.text for p in q.key_points)])
        best = (vectors[: len(parts)] @ vectors[len(parts) :].T).max(axis=0)  # [key points]
        covered = float((best >= judge.Thresholds().cover).mean())
        return "acceptable" if covered >= judge.Thresholds().accept_share else "not_acceptable"

    def full(q: Question, text: str) -> str:
        return judge.judge(q, text, embed).verdict

    return {"keywords": keywords, "similarity": similarity, "judge": full}


def agrees(label: str, verdict: str) -> bool:
    return (verdict == "acceptable") == (label == "acceptable")


def evaluate(name: str, verdict: Verdict, questions: Sequence[Question], show: bool) -> None:
    total = agree = wrong_accepted = correct_unsure = 0
    by_kind: Counter[str] = Counter()
    kind_total: Counter[str] = Counter()
    for q in questions:
        for sample in q.samples:
            got = verdict(q, sample.text)
            total += 1
            kind_total[sample.kind] += 1
            ok = agrees(sample.verdict, got)
            agree += ok
            by_kind[sample.kind] += ok
            wrong_accepted += sample.verdict == "not_acceptable" and got == "acceptable"
            correct_unsure += sample.verdict == "acceptable" and got == "unsure"
            if show and not ok:
                print(
                    f"  miss {q.id} [{sample.kind}] label {sample.verdict}, got {got}: "
                    f"{sample.text.strip()[:100]}"
                )
    share = agree / total if total else 0.0
    kinds = ", ".join(f"{k} {by_kind[k]}/{kind_total[k]}" for k in sorted(kind_total))
    print(
        f"{name:<11} agreement {agree}/{total} = {share:.0%} (target >= 95%)  "
        f"wrong accepted {wrong_accepted} (target 0)  correct only unsure {correct_unsure}"
    )
    print(f"{'':<11} by kind: {kinds}")


def timing(embed_dir: Path, questions: Sequence[Question]) -> float:
    """Median ms to judge a fresh 120-word answer (a cold cache for the answer's clauses)."""
    embed = cached_embedder(embed_dir)
    q = questions[0]
    words = (q.samples[0].text.split() * 40)[:120] if q.samples else ["bert"] * 120
    times = []
    for i in range(15):
        text = " ".join(words) + f" (take {i})."  # a new text each time: nothing cached
        start = time.perf_counter()
        judge.judge(q, text, embed)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[3:])


COVERS = tuple(round(0.4 + 0.025 * i, 3) for i in range(11))  # 0.40 ... 0.65
SHARES = (0.5, 0.6, 0.75)
Config = tuple[float, float]


def _cost(labels: Sequence[str], verdicts: Sequence[str]) -> int:
    wrong = sum(
        (v == "acceptable") != (lab == "acceptable")
        for lab, v in zip(labels, verdicts, strict=True)
    )
    accepted = sum(
        lab == "not_acceptable" and v == "acceptable"
        for lab, v in zip(labels, verdicts, strict=True)
    )
    return wrong + accepted


def _choose(table: dict[Config, list[str]], labels: Sequence[str], keep: Sequence[int]) -> Config:
    base = judge.Thresholds()

    def key(config: Config) -> tuple[int, float]:
        verdicts = [table[config][i] for i in keep]
        cost = _cost([labels[i] for i in keep], verdicts)
        return cost, abs(config[0] - base.cover) + abs(config[1] - base.accept_share)

    return min(table, key=key)


def calibrate(embed: judge.Embed, questions: Sequence[Question]) -> dict[str, Config]:
    chosen: dict[str, Config] = {}
    total = agree = loo_agree = loo_wrong = wrong = 0
    for q in questions:
        labels = [s.verdict for s in q.samples]
        table = {
            (c, a): [
                judge.judge(q, s.text, embed, judge.Thresholds(cover=c, accept_share=a)).verdict
                for s in q.samples
            ]
            for c in COVERS
            for a in SHARES
        }
        everything = range(len(labels))
        best = chosen[q.id] = _choose(table, labels, list(everything))
        for i in everything:
            others = [k for k in everything if k != i]
            held = table[_choose(table, labels, others)][i]
            loo_agree += (held == "acceptable") == (labels[i] == "acceptable")
            loo_wrong += labels[i] == "not_acceptable" and held == "acceptable"
            got = table[best][i]
            agree += (got == "acceptable") == (labels[i] == "acceptable")
            wrong += labels[i] == "not_acceptable" and got == "acceptable"
            total += 1
    print(
        f"calibrated  in-sample agreement {agree}/{total} = {agree / total:.0%}, wrong accepted "
        f"{wrong}; leave-one-out {loo_agree}/{total} = {loo_agree / total:.0%}, wrong accepted "
        f"{loo_wrong}"
    )
    return chosen


def print_misses(embed: judge.Embed, questions: Sequence[Question]) -> None:
    """The samples whose label the judge does not hold: question, number, kind, label, verdict."""
    for q in sorted(questions, key=lambda q: q.id):
        for number, sample in enumerate(q.samples, start=1):
            verdict = judge.judge(q, sample.text, embed).verdict
            if not agrees(sample.verdict, verdict):
                print(f"{q.id} {number} {sample.kind} {sample.verdict} {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--design", choices=("keywords", "similarity", "judge"))
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument(
        "--misses", action="store_true", help="print tests/content/judge_misses.txt's lines"
    )
    parser.add_argument(
        "--lesson", action="append", help="only this lesson's questions (repeatable)"
    )
    args = parser.parse_args()
    settings = Settings()
    content = load_content(settings.content_dir, formulas=FORMULAS)
    bank = content.questions
    every = [q for slug in bank.lessons for q in bank.for_lesson(slug)]
    questions = [
        q
        for q in every
        if q.type == "open" and q.samples and (not args.lesson or q.lesson in args.lesson)
    ]
    print(
        f"{sum(len(q.samples) for q in questions)} labelled samples on {len(questions)} open questions"
    )
    embed = cached_embedder(settings.resolved_models_dir)
    if args.misses:
        print_misses(embed, questions)
        return
    if args.calibrate:
        calibrate(embed, questions)
        return
    for name, verdict in designs(embed).items():
        if args.design in (None, name):
            evaluate(name, verdict, questions, args.show_misses)
    if questions:
        print(
            f"judge: median {timing(settings.resolved_models_dir, questions):.1f} ms for a 120-word answer (target <= 50 ms)"
        )


if __name__ == "__main__":
    main()
