"""The pieces every lab chart is made of: the accessible <svg> element, round axis ticks and
the HTML legend under a chart."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

__all__ = ["figure", "legend", "nice_ticks"]


def figure(chart_id: str, width: int, height: int, title: str, desc: str, body: str) -> Markup:
    """An accessible chart: <svg role="img"> named by its <title> and described by its <desc>."""
    return Markup(
        f'<svg class="chart lab-chart" id="{chart_id}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>{body}</svg>'
    )


def nice_ticks(top: float, wanted: int = 4) -> list[float]:
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


def legend(entries: Sequence[tuple[str, str]], *, label: str) -> Markup:
    """An HTML legend: (css class, text) pairs, each with a colour swatch."""
    items = "".join(
        f'<li><span class="lab-swatch {css}" aria-hidden="true"></span>{escape(text)}</li>'
        for css, text in entries
    )
    return Markup(f'<ul class="lab-legend" aria-label="{escape(label)}">{items}</ul>')
