"""The lab's charts, drawn on the server as SVG: parameters by part, latency, time per module and
latency against sequence length.

Each chart has a <title> and a <desc> that lists its numbers, and the page shows the same numbers
in a table, so nothing depends on seeing the picture (or on JavaScript). Colours come from CSS
classes (``lab-v-<variant>``, ``lab-p-<part>``, ``lab-m-<module>``) that set ``--c`` for light and
dark mode; the legends are HTML lists under the charts, so they wrap on narrow screens.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from app.encoders.configs import MODULES
from app.lab.service import Compared, Row

__all__ = [
    "DASH",
    "MODULE_LABELS",
    "PARAMETER_GROUPS",
    "TIMES",
    "Group",
    "count",
    "flops",
    "groups_present",
    "latency_chart",
    "legend",
    "millis",
    "modules_chart",
    "modules_of",
    "parameter_groups_of",
    "parameters_chart",
    "ratio",
    "short_title",
    "sweep_chart",
]


@dataclass(frozen=True)
class Group:
    """Parameter parts drawn as one segment: ``key`` names its CSS class, ``module`` the
    transformers module the parts live in (embeddings, encoder or pooler)."""

    key: str
    label: str
    module: str
    parts: tuple[str, ...]


PARAMETER_GROUPS: tuple[Group, ...] = (
    Group("word", "Word embeddings", "embeddings", ("word_embeddings",)),
    Group(
        "embed-other",
        "Position and token type embeddings, embedding norm",
        "embeddings",
        ("position_embeddings", "token_type_embeddings", "embedding_norm"),
    ),
    Group("projection", "ALBERT's E → H projection", "encoder", ("embedding_projection",)),
    Group("attention", "Attention: Q, K, V, output", "encoder", ("attention",)),
    Group(
        "relative",
        "DeBERTa's relative positions",
        "encoder",
        ("relative_embeddings", "relative_norm"),
    ),
    Group("feed-forward", "Feed-forward", "encoder", ("feed_forward",)),
    Group("norms", "Layer norms", "encoder", ("layer_norms",)),
    Group("pooler", "Pooler", "pooler", ("pooler",)),
)

MODULE_LABELS: dict[str, str] = {
    "embeddings": "Embeddings",
    "embedding_projection": "ALBERT's E → H projection",
    "projections": "Q, K, V, output projections",
    "attention": "Attention scores and context",
    "relative": "Relative positions (c2p, p2c)",
    "feed_forward": "Feed-forward",
    "norms": "Residuals and layer norms",
    "pooler": "Pooler",
}

TIMES = "\u00d7"  # the multiplication sign
DASH = "\u2013"  # an en dash, for ranges

# Layout shared by the horizontal bar charts (SVG user units).
# Each chart keeps room right of the longest bar for its value label.
_WIDTH, _LABEL_W, _BAR_H, _GAP, _TOP, _AXIS_H = 600, 112, 22, 12, 8, 24


# --- numbers as people read them --------------------------------------------------------------


def _three(value: float) -> str:
    """Three significant figures, without switching to exponents: 8.90, 66.0, 157, 1,234."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def count(n: float) -> str:
    """4_580_000 -> '4.58 M', 66_048 -> '66.0 k', 512 -> '512'."""
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= size:
            return f"{_three(n / size)} {unit}"
    return f"{n:.0f}"


def flops(n: float) -> str:
    """FLOPs in the unit that keeps three significant figures: '1.23 GFLOP', '45.6 MFLOP'."""
    for size, unit in ((1e12, "TFLOP"), (1e9, "GFLOP"), (1e6, "MFLOP"), (1e3, "kFLOP")):
        if n >= size:
            return f"{_three(n / size)} {unit}"
    return f"{n:.0f} FLOP"


def millis(ms: float) -> str:
    """Milliseconds to three figures: '0.123 ms', '12.3 ms', '1,234 ms'."""
    return f"{_three(ms)} ms"


def ratio(r: float) -> str:
    """1.4 -> '1.40' and the multiplication sign, as the lessons print ratios."""
    return f"{r:.2f}{TIMES}"


def short_title(row: Row) -> str:
    """'MiniLM-L6' from 'MiniLM-L6 (pretrained)': chart labels have little room."""
    return row.title.split(" (")[0]


# --- shared drawing ---------------------------------------------------------------------------


def _svg(chart_id: str, width: int, height: int, title: str, desc: str, body: str) -> Markup:
    return Markup(
        f'<svg class="chart lab-chart" id="{chart_id}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>{body}</svg>'
    )


def _nice_ticks(top: float, wanted: int = 4) -> list[float]:
    """0 and round steps (1, 2, 2.5 or 5 times a power of ten) that cover ``top``."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / wanted
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    ticks = [0.0]
    while ticks[-1] < top * (1 - 1e-9):
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _tick_text(value: float, unit: str) -> str:
    if unit == "params":
        return count(value)
    return f"{value:g}"


def _x_axis(ticks: Sequence[float], scale: float, y: float, unit: str) -> str:
    """Vertical grid lines at ``ticks`` and their labels under the plot (the last with its unit)."""
    parts = []
    for i, tick in enumerate(ticks):
        x = _LABEL_W + tick * scale
        text = _tick_text(tick, unit) + (" ms" if unit == "ms" and i == len(ticks) - 1 else "")
        parts.append(
            f'<line x1="{x:.1f}" y1="{_TOP - 4}" x2="{x:.1f}" y2="{y:.1f}" class="chart-grid"/>'
            f'<text x="{x:.1f}" y="{y + 15:.1f}" text-anchor="middle" class="chart-axis">'
            f"{escape(text)}</text>"
        )
    return "".join(parts)


def _bar_label(y: float, text: str) -> str:
    return (
        f'<text x="{_LABEL_W - 8}" y="{y + _BAR_H / 2 + 4.5:.1f}" text-anchor="end" '
        f'class="chart-label">{escape(text)}</text>'
    )


def _segments(
    y: float, scale: float, pieces: Sequence[tuple[str, float, str]]
) -> tuple[str, float]:
    """Stacked rectangles for (css class, value, tooltip) from the label column; the end x."""
    x = float(_LABEL_W)
    out = []
    for css, value, tip in pieces:
        if value <= 0:
            continue
        w = value * scale
        out.append(
            f'<rect x="{x:.2f}" y="{y:.1f}" width="{w:.2f}" height="{_BAR_H}" class="lab-fill {css}">'
            f"<title>{escape(tip)}</title></rect>"
        )
        x += w
    return "".join(out), x


def legend(entries: Sequence[tuple[str, str]], *, label: str) -> Markup:
    """An HTML legend: (css class, text) pairs, each with a colour swatch."""
    items = "".join(
        f'<li><span class="lab-swatch {css}" aria-hidden="true"></span>{escape(text)}</li>'
        for css, text in entries
    )
    return Markup(f'<ul class="lab-legend" aria-label="{escape(label)}">{items}</ul>')


def _plot_height(rows: int) -> tuple[float, int]:
    """The y of the axis line under ``rows`` bars, and the SVG height."""
    axis_y = _TOP + rows * (_BAR_H + _GAP) - _GAP / 2
    return axis_y, int(axis_y + _AXIS_H)


# --- (a) parameters stacked by part -----------------------------------------------------------


def parameter_groups_of(row: Row) -> dict[str, int]:
    """The row's unique parameters summed by ``PARAMETER_GROUPS`` key."""
    parts = row.cost.parameters.parts
    return {g.key: sum(parts.get(p, 0) for p in g.parts) for g in PARAMETER_GROUPS}


def groups_present(rows: Sequence[Row]) -> list[Group]:
    """The parameter groups any row has parameters in, in drawing order."""
    by_row = [parameter_groups_of(r) for r in rows]
    return [g for g in PARAMETER_GROUPS if any(groups[g.key] for groups in by_row)]


def parameters_chart(rows: Sequence[Row]) -> tuple[Markup, Markup]:
    """Horizontal bars of unique parameters, stacked embeddings → encoder → pooler; the legend."""
    axis_y, height = _plot_height(len(rows))
    largest = max((r.cost.parameters.total for r in rows), default=1)
    ticks = _nice_ticks(largest)
    scale = (_WIDTH - _LABEL_W - 176) / ticks[-1]
    body = [_x_axis(ticks, scale, axis_y, "params")]
    for i, row in enumerate(rows):
        y = _TOP + i * (_BAR_H + _GAP)
        groups = parameter_groups_of(row)
        name = short_title(row)
        pieces = [
            (f"lab-p-{g.key}", float(groups[g.key]), f"{name}: {g.label} {count(groups[g.key])}")
            for g in PARAMETER_GROUPS
        ]
        rects, end = _segments(y, scale, pieces)
        share = row.cost.parameters.embeddings / row.cost.parameters.total
        body.append(
            _bar_label(y, name) + rects + f'<text x="{end + 6:.1f}" y="{y + _BAR_H / 2 + 4.5:.1f}" '
            f'class="chart-value">{count(row.cost.parameters.total)} · '
            f"{share:.0%} embeddings</text>"
        )
    desc = "; ".join(
        f"{short_title(r)}: {count(r.cost.parameters.total)} parameters, "
        f"{count(r.cost.parameters.embeddings)} in the embeddings, "
        f"{count(r.cost.parameters.encoder)} in the encoder, {count(r.cost.parameters.pooler)} "
        "in the pooler"
        for r in rows
    )
    chart = _svg(
        "lab-params", _WIDTH, height, "Parameters by part", desc or "No rows.", "".join(body)
    )
    present = groups_present(rows)
    blocks = []
    for module in ("embeddings", "encoder", "pooler"):
        entries = [(f"lab-p-{g.key}", g.label) for g in present if g.module == module]
        if entries:
            blocks.append(
                f'<div class="lab-legend-group"><span class="lab-legend-head">{module}</span>'
                f"{legend(entries, label=f'Parameter parts in the {module}')}</div>"
            )
    return chart, Markup(f'<div class="lab-legend-groups">{"".join(blocks)}</div>')


# --- (b) latency with the ratio to BERT -------------------------------------------------------


def latency_chart(rows: Sequence[Row]) -> Markup:
    """Median latency per variant, a p10 to p90 whisker, and the ratio to BERT's median."""
    axis_y, height = _plot_height(len(rows))
    slowest = max((r.measured.latency.p90_ms for r in rows), default=1.0)
    ticks = _nice_ticks(slowest)
    scale = (_WIDTH - _LABEL_W - 150) / ticks[-1]
    body = [_x_axis(ticks, scale, axis_y, "ms")]
    for i, row in enumerate(rows):
        y = _TOP + i * (_BAR_H + _GAP)
        lat = row.measured.latency
        name = short_title(row)
        versus = "baseline" if row.name == "bert" else f"{ratio(row.ratios['latency'])} BERT"
        tip = f"{name}: median {millis(lat.median_ms)}, p10 to p90 {millis(lat.p10_ms)} to {millis(lat.p90_ms)}"
        rects, _ = _segments(y, scale, [(f"lab-v-{row.name}", lat.median_ms, tip)])
        low, high = _LABEL_W + lat.p10_ms * scale, _LABEL_W + lat.p90_ms * scale
        mid = y + _BAR_H / 2
        whisker = (
            f'<path d="M{low:.1f} {mid:.1f}H{high:.1f}M{low:.1f} {mid - 5:.1f}V{mid + 5:.1f}'
            f'M{high:.1f} {mid - 5:.1f}V{mid + 5:.1f}" class="lab-whisker"/>'
        )
        end = max(high, _LABEL_W + lat.median_ms * scale)
        body.append(
            _bar_label(y, name) + rects + whisker + f'<text x="{end + 6:.1f}" y="{mid + 4.5:.1f}" '
            f'class="chart-value">{millis(lat.median_ms)} · {escape(versus)}</text>'
        )
    desc = "; ".join(
        f"{short_title(r)}: median {millis(r.measured.latency.median_ms)} "
        f"(p10 {millis(r.measured.latency.p10_ms)}, p90 {millis(r.measured.latency.p90_ms)}), "
        f"{ratio(r.ratios['latency'])} BERT"
        for r in rows
    )
    return _svg(
        "lab-latency",
        _WIDTH,
        height,
        "Latency, median of the runs",
        desc or "No rows.",
        "".join(body),
    )


# --- (c) time per module ----------------------------------------------------------------------


def modules_of(rows: Sequence[Row]) -> list[str]:
    """The modules any row spent time in, in forward-pass order."""
    return [m for m in MODULES if any(r.measured.modules_ms.get(m) for r in rows)]


def modules_chart(rows: Sequence[Row]) -> tuple[Markup, Markup]:
    """Time per module of one forward pass, stacked per variant; the legend."""
    axis_y, height = _plot_height(len(rows))
    largest = max((sum(r.measured.modules_ms.values()) for r in rows), default=1.0)
    ticks = _nice_ticks(largest)
    scale = (_WIDTH - _LABEL_W - 84) / ticks[-1]
    body = [_x_axis(ticks, scale, axis_y, "ms")]
    present = modules_of(rows)
    for i, row in enumerate(rows):
        y = _TOP + i * (_BAR_H + _GAP)
        name = short_title(row)
        spent = row.measured.modules_ms
        pieces = [
            (
                f"lab-m-{m}",
                spent.get(m, 0.0),
                f"{name}: {MODULE_LABELS[m]} {millis(spent.get(m, 0.0))}",
            )
            for m in present
        ]
        rects, end = _segments(y, scale, pieces)
        body.append(
            _bar_label(y, name) + rects + f'<text x="{end + 6:.1f}" y="{y + _BAR_H / 2 + 4.5:.1f}" '
            f'class="chart-value">{millis(sum(spent.values()))}</text>'
        )
    desc = "; ".join(
        f"{short_title(r)}: "
        + ", ".join(
            f"{MODULE_LABELS[m].lower()} {millis(r.measured.modules_ms[m])}"
            for m in present
            if r.measured.modules_ms.get(m)
        )
        for r in rows
    )
    chart = _svg(
        "lab-modules", _WIDTH, height, "Time per module", desc or "No rows.", "".join(body)
    )
    key = legend([(f"lab-m-{m}", MODULE_LABELS[m]) for m in present], label="Modules")
    return chart, key


# --- (d) latency against sequence length ------------------------------------------------------


def sweep_chart(results: Sequence[Compared]) -> tuple[Markup, Markup]:
    """One line per variant: median latency at each length, lengths evenly spaced (they double)."""
    width, height, left, right, top, bottom = 600, 320, 64, 20, 14, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    lengths = [c.lab_input.seq_len for c in results]
    names = [r.name for r in results[0].rows] if results else []
    titles = {r.name: short_title(r) for r in results[0].rows} if results else {}
    series = {
        name: [
            next(r for r in c.rows if r.name == name).measured.latency.median_ms for c in results
        ]
        for name in names
    }
    slowest = max((v for values in series.values() for v in values), default=1.0)
    ticks = _nice_ticks(slowest, 5)
    step = plot_w / max(1, len(lengths) - 1)

    def at(i: int, ms: float) -> tuple[float, float]:
        return left + i * step, top + plot_h * (1 - ms / ticks[-1])

    body = []
    for tick in ticks:
        _, y = at(0, tick)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" class="chart-grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-axis">{tick:g}</text>'
        )
    for i, n in enumerate(lengths):
        x, _ = at(i, 0)
        body.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" class="chart-axis">{n}</text>'
        )
    body.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
        'class="chart-axis">sequence length (tokens)</text>'
        f'<text x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" class="chart-axis" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">median latency (ms)</text>'
    )
    for name, values in series.items():
        points = [at(i, ms) for i, ms in enumerate(values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{path}" class="lab-line lab-v-{name}"/>')
        body.extend(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" class="lab-fill lab-v-{name}">'
            f"<title>{escape(titles[name])} at {n} tokens: {millis(ms)}</title></circle>"
            for (x, y), n, ms in zip(points, lengths, values, strict=True)
        )
    desc = "; ".join(
        f"{titles[name]}: "
        + ", ".join(f"{n} tokens {millis(ms)}" for n, ms in zip(lengths, values, strict=True))
        for name, values in series.items()
    )
    chart = _svg(
        "lab-sweep",
        width,
        height,
        "Latency against sequence length",
        desc or "No runs.",
        "".join(body),
    )
    key = legend([(f"lab-v-{n}", titles[n]) for n in names], label="Variants")
    return chart, key
