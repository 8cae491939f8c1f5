"""Rendering: math to MathML, highlighted code, stable anchors, problems with their lines."""

from __future__ import annotations

import pytest

from app.content.markdown import pygments_css, render_markdown, slugify


def test_inline_math_becomes_mathml() -> None:
    html = render_markdown(r"Attention divides by $\sqrt{d_k}$ first.").html
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in html
    assert "<msqrt>" in html
    assert "$" not in html


def test_display_math_becomes_block_mathml() -> None:
    html = render_markdown("$$\n\\frac{QK^\\top}{\\sqrt{d}}\n$$\n").html
    assert '<div class="math-display"><math' in html
    assert 'display="block"' in html
    assert "<mfrac>" in html


def test_fenced_code_is_highlighted_with_pygments() -> None:
    html = render_markdown("```python\ndef f(x):\n    return x\n```\n").html
    assert 'class="code-block" data-lang="python"' in html
    assert '<div class="highlight">' in html
    assert '<span class="k">def</span>' in html  # a keyword token got its own class


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Masked LM: the 80/10/10 rule", "masked-lm-the-801010-rule"),
        ("Does ALBERT run faster?", "does-albert-run-faster"),
        ("DeBERTaV3", "debertav3"),
        ("  Spaces around  ", "spaces-around"),
        ("Cross-layer parameter sharing", "cross-layer-parameter-sharing"),
    ],
)
def test_heading_anchors_are_stable(heading: str, anchor: str) -> None:
    rendered = render_markdown(f"## {heading}\n")
    assert slugify(heading) == anchor
    assert rendered.headings[0].anchor == anchor
    assert f'<h2 id="{anchor}">' in rendered.html
    assert f'href="#{anchor}"' in rendered.html


def test_duplicate_headings_get_distinct_anchors() -> None:
    rendered = render_markdown("## Results\n\n## Results\n")
    assert [h.anchor for h in rendered.headings] == ["results", "results-1"]


def test_tables_footnotes_and_callouts_render() -> None:
    source = (
        "| model | layers |\n|---|--:|\n| BERT | 12 |\n\n"
        "Claim.[^1]\n\n[^1]: The paper.\n\n"
        '!!! warning "Imprecise claim"\n    Not quite.\n'
    )
    html = render_markdown(source).html
    assert '<div class="table-wrap" tabindex="0"><table>' in html
    assert '<th class="align-right">layers</th>' in html and "style=" not in html
    assert 'class="footnotes"' in html
    assert '<div class="admonition warning">' in html
    assert "Imprecise claim" in html


def test_sections_collect_text_under_each_heading() -> None:
    rendered = render_markdown("Intro words.\n\n## First\n\nAlpha beta.\n\n### Second\n\nGamma.\n")
    assert [(s.anchor, s.text) for s in rendered.sections] == [
        ("", "Intro words."),
        ("first", "Alpha beta."),
        ("second", "Gamma."),
    ]


@pytest.mark.parametrize(
    ("source", "line", "fragment"),
    [
        ("Text.\n\nMore $\\frac{a}{$ text.\n", 3, "math does not convert"),
        ("A\n\n$$\n\\notacommand{x}\n$$\n", 4, "unsupported command \\notacommand"),
        ("$$\na &= b\n$$\n", 2, "alignment"),
        ("## A\n\n#### D\n", 3, "heading level jumps from h2 to h4"),
        ("# Title\n", 1, "no '# ' headings"),
        ("\n```\ncode\n```\n", 2, "needs a language"),
        ("```klingon\ncode\n```\n", 1, "unknown code language 'klingon'"),
        ('Para.\n\n!!! danger "x"\n    body\n', 3, "unknown callout type 'danger'"),
    ],
)
def test_problems_carry_the_line(source: str, line: int, fragment: str) -> None:
    problems = render_markdown(source).problems
    assert len(problems) == 1, problems
    assert problems[0].line == line
    assert fragment in problems[0].message


def test_links_are_collected_with_their_line() -> None:
    rendered = render_markdown("One.\n\nSee\n[BERT](/lessons/bert#architecture) here.\n")
    assert [(link.href, link.line) for link in rendered.links] == [
        ("/lessons/bert#architecture", 4)
    ]


def test_code_css_covers_light_and_dark_themes() -> None:
    css = pygments_css()
    assert ".highlight .k " in css
    assert '[data-theme="dark"] .highlight .k ' in css
    assert "@media (prefers-color-scheme: dark)" in css
