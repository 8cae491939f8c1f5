"""Formulas as plain text: what a search snippet shows where a formula was."""

from __future__ import annotations

import pytest
from latex2mathml.converter import convert

from app.content.markdown import render_markdown
from app.content.mathtext import html_text, mathml_text


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"O(n^2 d)", "O(n²d)"),
        (r"\frac{QK^\top}{\sqrt{d}}", "QKᵀ/√d"),
        (r"\eta_t = \eta_0 \cdot 0.95^{L-l}", "η_t = η₀·0.95^(L − l)"),
        (r"W_q \in \mathbb{R}^{d \times d}", "W_q ∈ ℝ^(d × d)"),
        (r"\log p(x_t)", "log p(x_t)"),
        (r"a < b", "a < b"),
    ],
)
def test_formula_as_text(tex: str, text: str) -> None:
    assert mathml_text(convert(tex)) == text


def test_html_text_keeps_formulas_and_unescapes_the_rest() -> None:
    markup = f"<p>cost {convert('a < b^2')} &amp; <em>more</em></p>"
    assert html_text(markup) == "cost a < b² & more"


def test_section_text_holds_its_formulas_but_word_count_does_not() -> None:
    rendered = render_markdown(
        "## Cost\n\nAttention costs $O(n^2 d)$ per layer.\n\n$$n = 2H + I$$\n"
    )
    section = rendered.sections[-1]
    assert section.text == "Attention costs O(n²d) per layer. n = 2H + I"
    assert rendered.word_count == len(["Cost", "Attention", "costs", "per", "layer."])
