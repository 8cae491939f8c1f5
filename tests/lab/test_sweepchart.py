"""The sequence-length sweep's fit and chart: t(n) = a + b·n + c·n² recovered by least squares,
drawn on a linear length axis with BERT's b·n and c·n² parts as their own lines."""

from __future__ import annotations

import re

import pytest

from app.encoders import cost
from app.encoders.configs import Preset, config_for
from app.lab import service
from app.lab.sweepchart import Fit, fit_quadratic, fits_of, sweep_chart
from app.lab.timing import Latency, Measured

LENGTHS = [16, 32, 64, 128, 256, 512]


def test_fit_recovers_known_coefficients() -> None:
    a, b, c = 0.8, 0.031, 0.00012
    times = [a + b * n + c * n * n for n in LENGTHS]
    fit = fit_quadratic(LENGTHS, times)
    assert fit is not None
    assert (fit.a, fit.b, fit.c) == (
        pytest.approx(a, rel=1e-9),
        pytest.approx(b, rel=1e-9),
        pytest.approx(c, rel=1e-9),
    )
    assert fit.quadratic_share(512) == pytest.approx(c * 512**2 / (a + b * 512 + c * 512**2))


def test_fit_is_least_squares_through_noisy_points() -> None:
    """Points off the curve by +e, -e alternately: the fit stays close, and its residuals are
    orthogonal to 1, n and n² (the normal equations)."""
    a, b, c = 2.0, 0.05, 0.0002
    wobble = [0.3 * (-1) ** i for i in range(len(LENGTHS))]
    times = [a + b * n + c * n * n + w for n, w in zip(LENGTHS, wobble, strict=True)]
    fit = fit_quadratic(LENGTHS, times)
    assert fit is not None
    residuals = [t - fit.at(n) for n, t in zip(LENGTHS, times, strict=True)]
    for power in (0, 1, 2):
        assert sum(r * n**power for r, n in zip(residuals, LENGTHS, strict=True)) == pytest.approx(
            0, abs=1e-6 * 512**power
        )
    assert fit.c == pytest.approx(c, rel=0.2)


def test_two_lengths_give_no_fit_and_words_say_when_c_is_not_positive() -> None:
    assert fit_quadratic([16, 32], [1.0, 2.0]) is None
    assert fit_quadratic([16, 16, 32], [1.0, 1.1, 2.0]) is None
    assert "no n² term" in Fit(1.0, 0.01, -1e-6).sentence(512)
    words = Fit(1.0, 0.01, 1e-5).sentence(512)
    share = 1e-5 * 512**2 / (1.0 + 0.01 * 512 + 1e-5 * 512**2)
    assert words.startswith(f"at n=512 the n² term is {share:.0%} of the time")


def _sweep(a: float, b: float, c: float) -> list[service.Compared]:
    """A sweep of BERT and DistilBERT at LENGTHS whose medians lie on known curves."""
    out = []
    for n in LENGTHS:
        rows = []
        for name, scale in (("bert", 1.0), ("distilbert", 0.5)):
            ms = scale * (a + b * n + c * n * n)
            config = config_for(name, "tiny")
            measured = Measured(Latency(ms, ms, ms, (ms,)), {})
            rows.append(service.Row(name, name, False, config, cost.cost(config, n), measured))
        lab_input = service.make_input(None, text=None, seq_len=n)
        out.append(service.Compared(Preset.tiny, lab_input, 1, tuple(rows)))
    return out


def test_sweep_chart_has_a_linear_axis_and_the_fitted_parts() -> None:
    results = _sweep(0.5, 0.02, 0.0001)
    svg, key = sweep_chart(results)
    ticks = [
        (float(n), float(x))
        for x, n in re.findall(r'<text x="([\d.]+)"[^>]*data-n="([\d.]+)"', str(svg))
    ]
    assert len(ticks) >= 3 and ticks[0][0] == 0
    (n0, x0), (n1, x1) = ticks[0], ticks[1]
    per_token = (x1 - x0) / (n1 - n0)
    for n, x in ticks:  # tick positions proportional to n: a linear axis, not one per doubling
        assert x - x0 == pytest.approx(per_token * n, abs=0.15)
    dots = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', str(svg))][: len(LENGTHS)]
    for n, x in zip(LENGTHS, dots, strict=True):
        assert x - x0 == pytest.approx(per_token * n, abs=0.15)
    parts = re.findall(r'data-part="(\w+)"', str(svg))
    assert parts.count("fit") == 2  # one fitted curve per variant
    assert parts.count("linear") == 1 and parts.count("quadratic") == 1  # BERT's two parts
    assert "linear scale" in str(svg)
    assert "b·n part" in str(key) and "c·n² part" in str(key)
    fits = fits_of(results)
    assert fits["bert"] is not None and fits["bert"].c == pytest.approx(0.0001, rel=1e-6)
    assert fits["distilbert"] is not None and fits["distilbert"].c == pytest.approx(0.00005)
    assert "at n=512 the n² term is" in str(svg)  # in the <desc>, for screen readers


def test_quadratic_part_line_ends_at_c_n_squared() -> None:
    """The c·n² line's last point sits at the height of c·512² on the ms axis."""
    svg = str(sweep_chart(_sweep(0.5, 0.02, 0.0001))[0])
    quadratic = re.search(r'<polyline points="([^"]+)"[^>]*data-part="quadratic"', svg)
    fit = re.search(r'<polyline points="([^"]+)"[^>]*lab-v-bert" data-part="fit"', svg)
    assert quadratic and fit
    last_q = [float(v) for v in quadratic.group(1).split()[-1].split(",")]
    first_q = [float(v) for v in quadratic.group(1).split()[0].split(",")]
    last_f = [float(v) for v in fit.group(1).split()[-1].split(",")]
    bottom = first_q[1]  # c·0² = 0: the axis
    total = 0.5 + 0.02 * 512 + 0.0001 * 512**2
    share = (bottom - last_q[1]) / (bottom - last_f[1])
    assert share == pytest.approx(0.0001 * 512**2 / total, abs=0.01)
