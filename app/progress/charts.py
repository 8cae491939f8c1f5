"""Server-rendered SVG charts. Each has a <title> and <desc>, and the page shows the same
numbers in a table, so the figures are readable without the picture (or JavaScript)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from markupsafe import Markup

from app.progress.stats import DayCount, LessonMastery, shown_percent

__all__ = ["accuracy_chart", "activity_calendar", "forecast_chart", "mastery_chart", "short_name"]


def _svg(
    chart_id: str, width: int, height: int, title: str, desc: str, body: str, *, fixed: bool = False
) -> Markup:
    """``fixed``: drawn at its natural size (never stretched), for grids of cells."""
    size = f' width="{width}" height="{height}"' if fixed else ""
    return Markup(
        f'<svg class="chart{" chart-fixed" if fixed else ""}"{size} viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(desc)}</desc>'
        f"{body}</svg>"
    )


def short_name(row: LessonMastery) -> str:
    """'ALBERT' from 'ALBERT: a BERT with …'; titles without a short head fall back to the slug."""
    head = row.title.split(":")[0].strip()
    return head if len(head) <= 16 else row.slug.replace("-", " ").capitalize()


def mastery_chart(rows: Sequence[LessonMastery]) -> Markup:
    """Horizontal bars: mastered and seen questions per lesson (``stats.is_mastered``)."""
    bar_h, gap, label_w, width = 20, 10, 162, 470
    height = max(1, len(rows)) * (bar_h + gap) + 10
    scale = width - label_w - 70
    parts = []
    for i, row in enumerate(rows):
        y = 5 + i * (bar_h + gap)
        seen_w = scale * row.seen / row.questions if row.questions else 0
        done_w = scale * row.mastered / row.questions if row.questions else 0
        name = escape(short_name(row))
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" class="chart-label">{name}</text>'
            f'<rect x="{label_w}" y="{y}" width="{scale}" height="{bar_h}" class="chart-track" rx="4"/>'
            f'<rect x="{label_w}" y="{y}" width="{seen_w:.1f}" height="{bar_h}" class="chart-seen" rx="4"/>'
            f'<rect x="{label_w}" y="{y}" width="{done_w:.1f}" height="{bar_h}" class="chart-bar" rx="4"/>'
            f'<text x="{label_w + scale + 8}" y="{y + 16}" class="chart-value">{shown_percent(row.share)}</text>'
        )
    desc = "; ".join(
        f"{r.title.split(':')[0]}: {r.mastered} of {r.questions} mastered, {r.seen} seen"
        for r in rows
    )
    return _svg(
        "mastery", width, height, "Mastery per lesson", desc or "No questions yet.", "".join(parts)
    )


def accuracy_chart(days: Sequence[DayCount]) -> Markup:
    """Share of right answers per day (points on days with answers), answers as faint bars."""
    width, height, left, bottom, top = 460, 190, 36, 24, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    step = plot_w / max(1, len(days))
    most = max((d.total for d in days), default=0) or 1
    parts = [
        f'<line x1="{left}" y1="{top + plot_h * (1 - f)}" x2="{width - 10}" y2="{top + plot_h * (1 - f)}" class="chart-grid"/>'
        f'<text x="{left - 4}" y="{top + plot_h * (1 - f) + 4}" text-anchor="end" class="chart-axis">{int(f * 100)}%</text>'
        for f in (0, 0.5, 1)
    ]
    points = []
    for i, day in enumerate(days):
        x = left + i * step + step / 2
        if day.total:
            bar = plot_h * day.total / most * 0.35
            parts.append(
                f'<rect x="{x - step / 3:.1f}" y="{top + plot_h - bar:.1f}" width="{2 * step / 3:.1f}" height="{bar:.1f}" class="chart-seen"/>'
            )
        if day.accuracy is not None:
            y = top + plot_h * (1 - day.accuracy)
            points.append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" class="chart-point"><title>{day.day.isoformat()}: {day.correct}/{day.total} right</title></circle>'
            )
    if len(points) > 1:
        parts.insert(3, f'<polyline points="{" ".join(points)}" class="chart-line"/>')
    for i in (0, len(days) - 1):
        if days:
            parts.append(
                f'<text x="{left + i * step + step / 2:.1f}" y="{height - 6}" text-anchor="middle" class="chart-axis">{days[i].day.strftime("%d %b")}</text>'
            )
    answered = [d for d in days if d.total]
    desc = (
        (
            f"{len(answered)} days with answers in the last {len(days)}; "
            + "; ".join(
                f"{d.day.isoformat()}: {d.correct} of {d.total} right" for d in answered[-10:]
            )
        )
        if answered
        else f"No answers in the last {len(days)} days."
    )
    return _svg("accuracy", width, height, "Accuracy over the last 30 days", desc, "".join(parts))


def activity_calendar(days: Sequence[DayCount], today: date) -> Markup:
    """A GitHub-style grid: one column per week, one cell per day, darker for more activity."""
    cell, gap, left, top = 13, 3, 28, 18
    weeks = (len(days) + 6) // 7
    width, height = left + weeks * (cell + gap) + 4, top + 7 * (cell + gap) + 4
    busiest = max((d.total for d in days), default=0)
    parts = [
        f'<text x="0" y="{top + r * (cell + gap) + 10}" class="chart-axis">{name}</text>'
        for r, name in ((0, "Mon"), (2, "Wed"), (4, "Fri"))
    ]
    for i, day in enumerate(days):
        if day.day > today:
            continue
        level = 0 if not day.total or not busiest else 1 + min(3, int(3 * day.total / busiest))
        x, y = left + (i // 7) * (cell + gap), top + (i % 7) * (cell + gap)
        parts.append(
            f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" rx="2" class="heat-{level}">'
            f"<title>{day.day.isoformat()}: {day.total} answers and reviews</title></rect>"
        )
        if day.day.day == 1 or i == 0:
            parts.append(f'<text x="{x}" y="11" class="chart-axis">{day.day.strftime("%b")}</text>')
    active = sum(1 for d in days if d.total)
    desc = f"Activity on {active} of the last {sum(1 for d in days if d.day <= today)} days."
    return _svg("activity", width, height, "Activity calendar", desc, "".join(parts), fixed=True)


def forecast_chart(days: Sequence[DayCount]) -> Markup:
    """Cards due per day for the next two weeks (today includes anything overdue)."""
    width, height, left, bottom, top = 460, 170, 12, 24, 14
    plot_w, plot_h = width - left - 10, height - bottom - top
    step = plot_w / max(1, len(days))
    most = max((d.total for d in days), default=0) or 1
    parts = []
    for i, day in enumerate(days):
        bar = plot_h * day.total / most
        x = left + i * step + step * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - bar:.1f}" width="{step * 0.7:.1f}" height="{bar:.1f}" class="chart-bar" rx="3">'
            f"<title>{day.day.isoformat()}: {day.total} due</title></rect>"
        )
        if day.total:
            parts.append(
                f'<text x="{x + step * 0.35:.1f}" y="{top + plot_h - bar - 3:.1f}" text-anchor="middle" class="chart-value">{day.total}</text>'
            )
        label = "today" if i == 0 else day.day.strftime("%a")[:2]
        parts.append(
            f'<text x="{x + step * 0.35:.1f}" y="{height - 6}" text-anchor="middle" class="chart-axis">{label}</text>'
        )
    desc = (
        "; ".join(f"{d.day.isoformat()}: {d.total}" for d in days if d.total)
        or "Nothing scheduled."
    )
    return _svg("forecast", width, height, "Reviews due in the next 14 days", desc, "".join(parts))
