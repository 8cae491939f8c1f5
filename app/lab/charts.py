"""The lab's charts, drawn on the server as SVG: parameters by part, latency and time per module
(latency against sequence length is in ``app.lab.sweepchart``).

Each chart has a <title> and a <desc> that lists its numbers, and the page shows the same numbers
in a table, so nothing depends on seeing the picture (or on JavaScript). Colours come from CSS
classes (``lab-v-<variant>``, ``lab-p-<part>``, ``lab-m-<module>``) that set ``--c`` for light and
dark mode; the legends are HTML lists under the charts, so they wrap on narrow screens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from app.encoders.configs import MODULES
from app.lab.numbers import DASH, TIMES, count, flops, millis, ratio
from app.lab.results import BASELINE, Row
from app.lab.svg import figure, legend, nice_ticks

__all__ = [
    "DASH",
    "MODULE_LABELS",
    "OTHER_LABEL",
    "PARAMETER_GROUPS",
    "TIMES",
    "Group",
    "count",
    "flops",
    "groups_present",
    "latency_chart",
    "millis",
    "modules_chart",
    "modules_of",
    "parameter_groups_of",
    "parameters_chart",
    "ratio",
    "short_title",
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

# What a pass timed by module spends outside every module's section (``Measured.other_ms``).
OTHER_LABEL = "Other (buffers, glue, Python)"

# Layout shared by the horizontal bar charts (SVG user units).
# Each chart keeps room right of the longest bar for its value label.
_WIDTH, _LABEL_W, _BAR_H, _GAP, _TOP, _AXIS_H = 600, 112, 22, 12, 8, 24


def short_title(row: Row) -> str:
    """'MiniLM-L6' from 'MiniLM-L6 (pretrained)': chart labels have little room."""
    return row.title.split(" (")[0]


# --- shared drawing ---------------------------------------------------------------------------


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
    ticks = nice_ticks(largest)
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
    chart = figure(
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


def _versus(row: Row) -> str:
    """'0.51x BERT', or 'same as BERT within noise' when the per-round ratios straddle 1."""
    spread = row.latency_spread
    if row.name == BASELINE:
        return "baseline"
    if spread is not None and spread.within_noise:
        return f"same as BERT within noise ({ratio(spread.median)})"
    return f"{ratio(row.ratios['latency'])} BERT"


def latency_chart(rows: Sequence[Row]) -> Markup:
    """Median latency per variant, a p10 to p90 whisker, and the ratio to BERT's median."""
    axis_y, height = _plot_height(len(rows))
    slowest = max((r.measured.latency.p90_ms for r in rows), default=1.0)
    ticks = nice_ticks(slowest)
    scale = (_WIDTH - _LABEL_W - 150) / ticks[-1]
    body = [_x_axis(ticks, scale, axis_y, "ms")]
    for i, row in enumerate(rows):
        y = _TOP + i * (_BAR_H + _GAP)
        lat = row.measured.latency
        name = short_title(row)
        versus = _versus(row)
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
        f"{_versus(r)}"
        for r in rows
    )
    return figure(
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
    largest = max((r.measured.module_pass_ms for r in rows), default=1.0)
    ticks = nice_ticks(largest)
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
        other = row.measured.other_ms
        pieces.append(("lab-m-other", other, f"{name}: {OTHER_LABEL} {millis(other)}"))
        rects, end = _segments(y, scale, pieces)
        body.append(
            _bar_label(y, name) + rects + f'<text x="{end + 6:.1f}" y="{y + _BAR_H / 2 + 4.5:.1f}" '
            f'class="chart-value">{millis(row.measured.module_pass_ms)}</text>'
        )
    desc = "; ".join(
        f"{short_title(r)}: "
        + ", ".join(
            f"{MODULE_LABELS[m].lower()} {millis(r.measured.modules_ms[m])}"
            for m in present
            if r.measured.modules_ms.get(m)
        )
        + f", other {millis(r.measured.other_ms)}, in all {millis(r.measured.module_pass_ms)}"
        for r in rows
    )
    chart = figure(
        "lab-modules", _WIDTH, height, "Time per module", desc or "No rows.", "".join(body)
    )
    entries = [(f"lab-m-{m}", MODULE_LABELS[m]) for m in present]
    key = legend([*entries, ("lab-m-other", OTHER_LABEL)], label="Modules")
    return chart, key
