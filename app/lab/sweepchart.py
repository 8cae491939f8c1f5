"""Latency against sequence length: the sweep's medians, a least-squares fit
t(n) = a + b·n + c·n² per model, and the chart that draws both on a linear length axis.

The x axis is linear in n (not one step per doubling), so a straight line means time grows with
n and a bend upward is the n² term. The fit splits each model's time into a fixed part ``a``
(Python and per-call overhead), a part growing with n ``b·n`` (projections, feed-forward,
norms) and one growing with n² ``c·n²`` (attention's scores and context; DeBERTa's relative
terms), and the chart draws BERT's three parts as separate lines so the n² one can be seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
from markupsafe import Markup

from app.lab.charts import short_title
from app.lab.numbers import millis
from app.lab.results import BASELINE, Compared
from app.lab.svg import figure, legend, nice_ticks

__all__ = ["Fit", "fit_quadratic", "fits_of", "sweep_chart", "sweep_series"]


@dataclass(frozen=True, slots=True)
class Fit:
    """t(n) = a + b·n + c·n² in milliseconds, fitted by least squares."""

    a: float
    b: float
    c: float

    def at(self, n: float) -> float:
        return self.a + self.b * n + self.c * n * n

    def part(self, name: str, n: float) -> float:
        """The whole fit ("fit"), its b·n part ("linear") or its c·n² part ("quadratic")."""
        return {"fit": self.at(n), "linear": self.b * n, "quadratic": self.c * n * n}[name]

    def quadratic_share(self, n: float) -> float:
        """The n² term's share of the fitted time at ``n`` (negative when the fit's c is)."""
        total = self.at(n)
        return self.c * n * n / total if total > 0 else 0.0

    def sentence(self, n: int) -> str:
        """The fit in words, at length ``n``."""
        if self.c <= 0:
            return (
                f"up to n={n} the fit finds no n² term (c ≤ 0): time grows linearly here, "
                "within noise"
            )
        share = self.quadratic_share(n)
        linear = self.b * n / self.at(n) if self.at(n) > 0 else 0.0
        return f"at n={n} the n² term is {share:.0%} of the time (the b·n term {linear:.0%})"


def fit_quadratic(lengths: Sequence[float], times_ms: Sequence[float]) -> Fit | None:
    """The least-squares a, b, c through the points, or None with fewer than three lengths."""
    n = np.asarray(lengths, dtype=np.float64)
    if len(set(n.tolist())) < 3:
        return None
    design = np.stack([np.ones_like(n), n, n * n], axis=1)
    (a, b, c), *_ = np.linalg.lstsq(design, np.asarray(times_ms, dtype=np.float64), rcond=None)
    return Fit(float(a), float(b), float(c))


def sweep_series(results: Sequence[Compared]) -> dict[str, list[float]]:
    """Each variant's median latency (ms) at each length of the sweep, in the rows' order."""
    names = [r.name for r in results[0].rows] if results else []
    return {
        name: [
            next(r for r in c.rows if r.name == name).measured.latency.median_ms for c in results
        ]
        for name in names
    }


def fits_of(results: Sequence[Compared]) -> dict[str, Fit | None]:
    lengths = [c.lab_input.seq_len for c in results]
    return {name: fit_quadratic(lengths, ms) for name, ms in sweep_series(results).items()}


# --- drawing ----------------------------------------------------------------------------------

# The chart's size and margins (SVG user units).
_SW, _SH, _SL, _SR, _ST, _SB = 600, 320, 64, 20, 14, 46
_PW, _PH = _SW - _SL - _SR, _SH - _ST - _SB


@dataclass(frozen=True, slots=True)
class _Scale:
    """Linear maps from (n, ms) to SVG coordinates."""

    n_top: float
    ms_top: float

    def x(self, n: float) -> float:
        return _SL + _PW * n / self.n_top

    def y(self, ms: float) -> float:
        return _ST + _PH * (1 - ms / self.ms_top)


def _length_ticks(longest: int) -> list[float]:
    """Quarters of the longest length when it is a power of two (the sweep's lengths are), so
    the axis ends at the last point; round steps otherwise. Evenly spaced either way."""
    if longest >= 16 and longest & (longest - 1) == 0:
        return [longest * i / 4 for i in range(5)]
    return nice_ticks(longest, 4)


def _axes(scale: _Scale, n_ticks: Sequence[float], ms_ticks: Sequence[float]) -> str:
    """Grid lines and ms labels up the left, linear length ticks along the bottom, both titles."""
    body = []
    for tick in ms_ticks:
        y = scale.y(tick)
        body.append(
            f'<line x1="{_SL}" y1="{y:.1f}" x2="{_SW - _SR}" y2="{y:.1f}" class="chart-grid"/>'
            f'<text x="{_SL - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-axis">{tick:g}</text>'
        )
    for n in n_ticks:
        x = scale.x(n)
        body.append(
            f'<line x1="{x:.1f}" y1="{_ST}" x2="{x:.1f}" y2="{_ST + _PH}" class="chart-grid"/>'
            f'<text x="{x:.1f}" y="{_ST + _PH + 16}" text-anchor="middle" class="chart-axis" '
            f'data-n="{n:g}">{n:g}</text>'
        )
    body.append(
        f'<text x="{_SL + _PW / 2:.1f}" y="{_SH - 6}" text-anchor="middle" '
        'class="chart-axis">sequence length n (tokens, linear scale)</text>'
        f'<text x="14" y="{_ST + _PH / 2:.1f}" text-anchor="middle" class="chart-axis" '
        f'transform="rotate(-90 14 {_ST + _PH / 2:.1f})">median latency (ms)</text>'
    )
    return "".join(body)


def _curve(scale: _Scale, f: Fit, css: str, part: str, n_max: float) -> str:
    """A fitted curve (or one of its parts) from n = 0 to ``n_max``, as a polyline."""
    steps = [n_max * i / 48 for i in range(49)]
    points = " ".join(
        f"{scale.x(n):.1f},{scale.y(max(0.0, min(f.part(part, n), scale.ms_top))):.1f}"
        for n in steps
    )
    classes = f"lab-fit lab-fit-{part} {css}".strip()
    return f'<polyline points="{points}" class="{classes}" data-part="{part}"/>'


def _points(
    scale: _Scale, name: str, title: str, lengths: Sequence[int], ms: Sequence[float]
) -> str:
    return "".join(
        f'<circle cx="{scale.x(n):.1f}" cy="{scale.y(t):.1f}" r="3.5" class="lab-fill lab-v-{name}">'
        f"<title>{escape(title)} at {n} tokens: {millis(t)}</title></circle>"
        for n, t in zip(lengths, ms, strict=True)
    )


def sweep_chart(results: Sequence[Compared]) -> tuple[Markup, Markup]:
    """Each variant's medians as points on a linear length axis with its fitted curve; BERT's
    fit also split into its b·n and c·n² parts. Returns the chart and its legend."""
    lengths = [c.lab_input.seq_len for c in results]
    titles = {r.name: short_title(r) for r in results[0].rows} if results else {}
    series, fits = sweep_series(results), fits_of(results)
    n_ticks = _length_ticks(max(lengths, default=1))
    ms_ticks = nice_ticks(max((v for vs in series.values() for v in vs), default=1.0), 5)
    scale = _Scale(n_ticks[-1], ms_ticks[-1])
    body = [_axes(scale, n_ticks, ms_ticks)]
    n_max = float(max(lengths, default=1))
    for name, values in series.items():
        fit = fits[name]
        if fit is not None:
            body.append(_curve(scale, fit, f"lab-v-{name}", "fit", n_max))
        else:  # two lengths: no fit, join the points
            path = " ".join(
                f"{scale.x(n):.1f},{scale.y(t):.1f}" for n, t in zip(lengths, values, strict=True)
            )
            body.append(f'<polyline points="{path}" class="lab-line lab-v-{name}"/>')
        body.append(_points(scale, name, titles[name], lengths, values))
    base = fits.get(BASELINE)
    if base is not None:
        body += [_curve(scale, base, "", part, n_max) for part in ("linear", "quadratic")]
    desc = "; ".join(
        f"{titles[name]}: "
        + ", ".join(f"{n} tokens {millis(ms)}" for n, ms in zip(lengths, values, strict=True))
        + (f"; {fits[name].sentence(lengths[-1])}" if fits[name] is not None else "")  # type: ignore[union-attr]
        for name, values in series.items()
    )
    chart = figure(
        "lab-sweep", _SW, _SH, "Latency against sequence length", desc or "No runs.", "".join(body)
    )
    entries = [
        (f"lab-v-{n}", f"{titles[n]}: measured, and its fitted a + b·n + c·n²") for n in series
    ]
    if base is not None:
        entries += [
            ("lab-fit-key-linear", "BERT's b·n part (grows with n)"),
            ("lab-fit-key-quadratic", "BERT's c·n² part (attention)"),
        ]
    return chart, legend(entries, label="Variants and fitted parts")
