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


FIGURE = """<figure class="diagram">
<svg viewBox="0 0 400 120" role="img" xmlns="http://www.w3.org/2000/svg"><title>Two boxes</title>
<rect class="dg-box" x="10" y="10" width="100" height="40"/><text x="20" y="35">token</text>
</svg>
<figcaption>Two boxes, one arrow.</figcaption>
</figure>
"""


def test_a_diagram_figure_renders_inline_and_is_counted() -> None:
    rendered = render_markdown(f"Before.\n\n{FIGURE}\nAfter.\n")
    assert rendered.problems == ()
    assert rendered.figures == 1
    assert '<svg viewBox="0 0 400 120" role="img"' in rendered.html
    assert "Two boxes, one arrow." in " ".join(s.text for s in rendered.sections)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (('role="img" ', ""), 'needs role="img"'),
        (("<title>Two boxes</title>", ""), "needs a <title>"),
        (("0 0 400 120", "0 0 900 120"), "viewBox width 900"),
        (('class="dg-box"', 'fill="#ff0000"'), "no colours in the drawing"),
        (('class="dg-box"', 'style="fill: red"'), "style=…> is not allowed"),
        (('<text x="20"', '<text font-size="8" x="20"'), "font-size '8' is under 12"),
        (("</svg>", "<script>alert(1)</script></svg>"), "<script> is not allowed"),
        (
            ("<figcaption>Two boxes, one arrow.</figcaption>\n", ""),
            "one <svg> then one <figcaption>",
        ),
        (("</figure>", "</figur>"), "not well-formed XML"),
    ],
)
def test_a_diagram_that_breaks_a_rule_is_reported(change: tuple[str, str], fragment: str) -> None:
    rendered = render_markdown("Text.\n\n" + FIGURE.replace(*change))
    assert rendered.figures == 0
    assert [p.line for p in rendered.problems if fragment in p.message] == [3]


def test_raw_html_other_than_a_diagram_is_reported() -> None:
    problems = render_markdown("Text.\n\n<div>boxed</div>\n\nA <b>bold</b> word.\n").problems
    assert [p.line for p in problems] == [3, 5, 5]
    assert "allowed only as a diagram" in problems[0].message


def test_an_answer_box_first_is_noticed() -> None:
    first = render_markdown('!!! answer "In one breath"\n    BERT is an encoder.\n\n## Next\n')
    assert first.answer_first and first.problems == ()
    assert '<div class="admonition answer">' in first.html
    later = render_markdown('Intro.\n\n!!! answer "In one breath"\n    BERT is an encoder.\n')
    assert not later.answer_first
