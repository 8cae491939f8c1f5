"""Numbers as people read them: counts, FLOPs, milliseconds and ratios to three figures."""

from __future__ import annotations

__all__ = ["DASH", "TIMES", "count", "flops", "millis", "ratio"]

TIMES = "\u00d7"  # the multiplication sign
DASH = "\u2013"  # an en dash, for ranges


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
