"""Pure parts of the lab's use cases: inputs, prediction scoring, the noisy-timings flag, the
order of interleaved runs."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable

import pytest

from app.encoders import cost
from app.encoders.configs import Preset, config_for
from app.encoders.ops import NULL_TIMER, Timer
from app.errors import InvalidInput
from app.lab import service
from app.lab.timing import (
    Latency,
    Measured,
    balanced_orders,
    measure_interleaved,
    percentile,
    ratio_spread,
)


def _row(name: str, median: float, p10: float, p90: float) -> service.Row:
    config = config_for(name, "tiny")
    latency = Latency(median, p10, p90, (p10, median, p90))
    return service.Row(name, name, False, config, cost.cost(config, 8), Measured(latency, {}))


def test_noisy_when_some_spread_exceeds_half_the_median() -> None:
    steady = [_row("bert", 10, 9.5, 10.5), _row("albert", 10, 9, 11)]
    lab_input = service.make_input(None, text=None, seq_len=8)
    assert not service.Compared(Preset.tiny, lab_input, 3, tuple(steady)).noisy
    shaky = [*steady, _row("deberta", 10, 8, 14)]
    assert service.Compared(Preset.tiny, lab_input, 3, tuple(shaky)).noisy


def test_prediction_counts_pairs_in_the_measured_order() -> None:
    rows = [_row("bert", 10, 10, 10), _row("distilbert", 5, 5, 5), _row("deberta", 20, 20, 20)]
    exact = service.score_prediction(["distilbert", "bert", "deberta"], rows)
    assert (exact.pairs_right, exact.pairs, exact.exact) == (3, 3, 3)
    assert exact.message == "You predicted the order exactly."
    reversed_ = service.score_prediction(["deberta", "bert", "distilbert"], rows)
    assert (reversed_.pairs_right, reversed_.exact) == (0, 1)
    partial = service.score_prediction(["deberta", "distilbert"], rows)  # two of three ranked
    assert (partial.pairs_right, partial.pairs) == (0, 1)
    with pytest.raises(InvalidInput, match="twice"):
        service.score_prediction(["bert", "bert"], rows)


def test_synthetic_input_is_deterministic_and_framed() -> None:
    one = service.make_input(None, text=None, seq_len=16)
    assert one == service.make_input(None, text=None, seq_len=16)
    assert one.ids[0] == service.CLS and one.ids[-1] == service.SEP and one.seq_len == 16
    assert service.make_input(None, text=None, seq_len=1).seq_len == 1


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([1.0], 50, 1.0),
        ([1.0, 3.0], 50, 2.0),
        ([4.0, 1.0, 2.0, 3.0], 10, 1.3),
        ([1, 2, 3, 4], 90, 3.7),
    ],
)
def test_percentile_interpolates(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)


@pytest.mark.parametrize("count", [2, 3, 4, 5, 6])
def test_balanced_orders_give_every_model_every_place_and_every_predecessor(count: int) -> None:
    orders = balanced_orders(count)
    assert len(orders) == (count if count % 2 == 0 else 2 * count)
    assert all(sorted(row) == list(range(count)) for row in orders)
    for place in range(count):
        assert Counter(row[place] for row in orders) == dict.fromkeys(
            range(count), len(orders) // count
        )
    follows = Counter((a, b) for row in orders for a, b in itertools.pairwise(row))
    assert set(follows) == {(a, b) for a in range(count) for b in range(count) if a != b}
    assert len(set(follows.values())) == 1  # each ordered pair equally often


def test_interleaving_nothing_measures_nothing() -> None:
    assert measure_interleaved([], 5) == []


def test_interleaving_varies_place_and_predecessor() -> None:
    """Every model runs `runs` times after one warm-up, each timed pass right after an untimed
    pass of the same model; each takes every place in the round equally often, and none always
    follows the same model (BERT used to follow MiniLM, a pass that flushes the caches, every
    time)."""
    calls: list[str] = []

    def recorder(name: str) -> Callable[[Timer], object]:
        def one(timer: Timer) -> object:
            if timer is NULL_TIMER:
                calls.append(name)
            return None

        return one

    names = ["bert", "roberta", "albert", "minilm"]
    n = len(names)
    seen: list[tuple[int, int]] = []
    measured = measure_interleaved(
        [recorder(x) for x in names], 8, progress=lambda d, t: seen.append((d, t))
    )
    assert calls[:n] == names  # the warm-up, in order
    doubled = calls[n:]
    assert len(doubled) == 2 * 8 * n and doubled[0::2] == doubled[1::2]  # untimed, then timed
    timed = doubled[1::2]
    rounds = [timed[n * r : n * r + n] for r in range(8)]
    assert all(sorted(r) == sorted(names) for r in rounds)
    for place in range(n):
        assert sorted(r[place] for r in rounds) == sorted(names * 2)
    before_bert = {r[r.index("bert") - 1] for r in rounds if r[0] != "bert"}
    assert before_bert == {"roberta", "albert", "minilm"}
    assert [len(m.latency.runs_ms) for m in measured] == [8] * n
    assert seen == [(d, 8 * n) for d in range(1, 8 * n + 1)]


def test_ratio_spread_pairs_the_rounds_and_says_when_it_holds_one() -> None:
    """Per-round ratios: a slow spell that hits a whole round (round 3 here, both models 3x)
    cancels, where the ratio of the two medians would not be paired at all."""
    base = [10.0, 10.0, 30.0, 10.0, 10.0]
    same = [10.5, 9.5, 30.0, 10.2, 9.8]
    half = [5.0, 5.5, 15.0, 4.5, 5.0]
    s = ratio_spread(same, base)
    assert s.median == pytest.approx(1.0)
    assert s.p10 < 1.0 < s.p90 and s.within_noise
    h = ratio_spread(half, base)
    assert h.median == pytest.approx(0.5) and h.p90 < 1.0 and not h.within_noise
    assert (h.p10, h.p90) == (pytest.approx(0.47), pytest.approx(0.53))


def test_module_parts_and_other_add_up_to_the_timed_pass() -> None:
    """Time per module plus "other" (what the pass spent outside every module) is the whole
    pass timed by module, to the rounding the page shows."""

    def one(timer: Timer) -> object:
        time.sleep(0.002)  # outside any module: "other"
        with timer("projections"):
            time.sleep(0.003)
        with timer("feed_forward"):
            time.sleep(0.004)
        with timer("projections"):
            time.sleep(0.001)
        return None

    (measured,) = measure_interleaved([one], 2)
    parts = measured.modules_ms
    assert set(parts) == {"projections", "feed_forward"}
    assert parts["projections"] >= 4.0 and parts["feed_forward"] >= 4.0
    assert measured.other_ms >= 2.0
    whole = measured.module_pass_ms
    assert sum(parts.values()) + measured.other_ms == pytest.approx(whole, abs=1e-9)
    shown = [round(v, 3) for v in (*parts.values(), measured.other_ms)]
    assert sum(shown) == pytest.approx(round(whole, 3), abs=0.002)  # three figures, as shown
