"""Markdown to HTML, once, at start-up.

CommonMark plus tables, footnotes, heading anchors, admonitions (``!!! note "Title"``) and
``$…$`` / ``$$…$$`` math. Math becomes MathML on the server (latex2mathml); fenced code is
highlighted by Pygments. Every problem found on the way (math that does not convert, an unknown
code language, a skipped heading level, an unknown callout type) is reported with its line.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import OptionsDict
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from app.content.figures import figure_problems
from app.content.mathtext import mathml_text
from app.content.terms import TermLinker

__all__ = [
    "CALLOUT_TYPES",
    "Heading",
    "LineProblem",
    "Link",
    "Rendered",
    "SectionText",
    "TermLinker",
    "pygments_css",
    "render_fragment",
    "render_markdown",
    "slugify",
]

CALLOUT_TYPES = ("answer", "note", "tip", "warning", "interview")
CODE_CSS_CLASS = "highlight"
_FORMATTER = HtmlFormatter(cssclass=CODE_CSS_CLASS, wrapcode=True)
# latex2mathml passes unknown commands through as text (``<mi>\foo</mi>``) and turns an alignment
# ``&`` into an identifier; both mean the formula will not display as written.
_UNCONVERTED = re.compile(r"<m[ion][^>]*>(\\[A-Za-z]+|&)</m[ion]>")


def slugify(text: str) -> str:
    """Heading text to anchor: lowercase, spaces to '-', drop anything but word chars and '-'."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


@dataclass(frozen=True)
class LineProblem:
    line: int  # 1-based, relative to the Markdown body
    message: str


@dataclass(frozen=True)
class Heading:
    level: int
    anchor: str
    text: str


@dataclass(frozen=True)
class Link:
    href: str
    line: int


@dataclass
class SectionText:
    """The plain text under one heading (or before the first one, with an empty anchor)."""

    anchor: str
    heading: str
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


@dataclass(frozen=True)
class Rendered:
    html: str
    headings: tuple[Heading, ...]
    links: tuple[Link, ...]
    sections: tuple[SectionText, ...]
    word_count: int
    problems: tuple[LineProblem, ...]
    figures: int = 0  # diagrams (<figure class="diagram"> with an inline SVG)
    answer_first: bool = False  # the body opens with an ``!!! answer`` callout


def _link_glossary_terms(state: StateCore) -> None:
    linker = state.env.get("glossary")
    if not isinstance(linker, TermLinker):
        return
    linked: set[str] = state.env.setdefault("glossary_linked", set())
    in_heading = False
    for token in state.tokens:
        if token.type == "heading_open":
            in_heading = True
        elif token.type == "heading_close":
            in_heading = False
        elif token.type == "inline" and token.children and not in_heading:
            token.children = linker.link(token.children, linked)


def _parser() -> MarkdownIt:
    md = (
        MarkdownIt("commonmark", {"typographer": False})
        .enable("table")
        .use(footnote_plugin)
        .use(anchors_plugin, min_level=2, max_level=6, slug_func=slugify)
        .use(admon_plugin)
        .use(dollarmath_plugin, allow_space=True, allow_digits=False, double_inline=True)
    )
    md.core.ruler.push("glossary_links", _link_glossary_terms)
    for name in ("math_inline", "math_inline_double", "math_block", "math_block_label"):
        md.add_render_rule(name, _render_precomputed)
    md.add_render_rule("fence", _render_precomputed)
    md.add_render_rule("table_open", _render_table_open)
    md.add_render_rule("table_close", _render_table_close)
    md.add_render_rule("th_open", _render_cell_open)
    md.add_render_rule("td_open", _render_cell_open)
    return md


def _render_precomputed(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    return str(tokens[idx].meta["html"])


def _render_table_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    return '<div class="table-wrap" tabindex="0">' + self.renderToken(tokens, idx, options, env)


def _render_table_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    return self.renderToken(tokens, idx, options, env) + "</div>\n"


def _render_cell_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    """Column alignment as a class, not an inline style (the CSP allows no inline styles)."""
    token = tokens[idx]
    style = str(token.attrGet("style") or "")
    if style.startswith("text-align:"):
        del token.attrs["style"]
        token.attrSet("class", f"align-{style.removeprefix('text-align:')}")
    return self.renderToken(tokens, idx, options, env)


_MD = _parser()


def _find_line(lines: Sequence[str], block: tuple[int, int], needle: str) -> int:
    """1-based line of ``needle`` inside the block's line range, else the block's first line."""
    first = needle.strip().splitlines()[0] if needle.strip() else ""
    for number in range(block[0], min(block[1], len(lines))):
        if first and first in lines[number]:
            return number + 1
    return block[0] + 1


def _math_html(latex: str, *, display: bool) -> str:
    """MathML for ``latex``; raises ValueError when it cannot be shown as written."""
    try:
        mathml = latex_to_mathml(latex.strip(), display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises many unrelated types for malformed input
        raise ValueError(
            f"math does not convert ({type(exc).__name__}): ${latex.strip()}$"
        ) from exc
    bad = _UNCONVERTED.search(mathml)
    if bad:
        what = "alignment '&'" if bad.group(1) == "&" else f"command {bad.group(1)}"
        raise ValueError(f"math uses unsupported {what}: ${latex.strip()}$")
    return f'<div class="math-display">{mathml}</div>\n' if display else mathml


def _code_html(code: str, language: str) -> str:
    lexer = get_lexer_by_name(language)  # raises ClassNotFound
    label = html.escape(language)
    return (
        f'<div class="code-block" data-lang="{label}">{highlight(code, lexer, _FORMATTER)}</div>\n'
    )


class _Walker:
    """One pass over the token stream: precompute HTML for math and code, collect the rest."""

    def __init__(self, source: str) -> None:
        self.lines = source.split("\n")
        self.problems: list[LineProblem] = []
        self.headings: list[Heading] = []
        self.links: list[Link] = []
        self.sections = [SectionText(anchor="", heading="")]
        self.words = 0
        self.level = 1
        self.figures = 0

    def _text(self, text: str) -> None:
        self.sections[-1].parts.append(text)
        self.words += len(text.split())

    def block(self, tokens: list[Token], index: int) -> None:
        token = tokens[index]
        span = (token.map[0], token.map[1]) if token.map else (0, 1)
        if token.type == "heading_open":
            self._heading(token, tokens[index + 1], span)
        elif token.type in ("math_block", "math_block_label"):
            self._math(token, span, display=True)
        elif token.type == "fence":
            self._fence(token, span)
        elif token.type == "code_block":
            self._text(token.content)
        elif token.type == "html_block":
            self._figure(token, span)
        elif token.type == "admonition_open" and token.meta.get("tag") not in CALLOUT_TYPES:
            allowed = ", ".join(CALLOUT_TYPES)
            self.problems.append(
                LineProblem(
                    span[0] + 1,
                    f"unknown callout type {token.meta.get('tag')!r} (use one of: {allowed})",
                )
            )
        elif token.type == "inline" and token.children is not None:
            if index > 0 and tokens[index - 1].type == "heading_open":
                return
            for child in token.children:
                self.inline(child, span)

    def _figure(self, token: Token, span: tuple[int, int]) -> None:
        problems = figure_problems(token.content)
        self.problems.extend(LineProblem(span[0] + 1, message) for message in problems)
        if not problems:
            self.figures += 1
            caption = re.search(r"<figcaption>(.*?)</figcaption>", token.content, re.S)
            if caption:
                self._text(re.sub(r"<[^>]+>", "", caption.group(1)))

    def inline(self, token: Token, span: tuple[int, int]) -> None:
        if token.type == "html_inline":
            self.problems.append(
                LineProblem(
                    _find_line(self.lines, span, token.content),
                    f"raw HTML {token.content!r} in text: write Markdown (or `code` for a tag's name)",
                )
            )
        elif token.type in ("text", "code_inline"):
            self._text(token.content)
        elif token.type in ("math_inline", "math_inline_double"):
            self._math(token, span, display=token.type == "math_inline_double")
        elif token.type == "link_open":
            href = str(token.attrGet("href") or "")
            self.links.append(Link(href, _find_line(self.lines, span, href)))

    def _heading(self, token: Token, inline: Token, span: tuple[int, int]) -> None:
        level = int(token.tag[1])
        text = inline.content.strip()
        if level == 1:
            self.problems.append(
                LineProblem(
                    span[0] + 1,
                    "no '# ' headings in the body: the title comes from front matter; start sections at '## '",
                )
            )
        elif level > self.level + 1:
            self.problems.append(
                LineProblem(
                    span[0] + 1,
                    f"heading level jumps from h{self.level} to h{level}: use {'#' * (self.level + 1)} here",
                )
            )
        self.level = level
        anchor = str(token.attrGet("id") or slugify(text))
        self.headings.append(Heading(level, anchor, text))
        self.sections.append(SectionText(anchor=anchor, heading=text))
        self.words += len(text.split())
        link = Token("html_inline", "", 0)
        link.content = f' <a class="heading-anchor" href="#{anchor}" aria-label="Link to section: {html.escape(text)}">#</a>'
        assert inline.children is not None  # headings always have inline children
        inline.children.append(link)

    def _math(self, token: Token, span: tuple[int, int], *, display: bool) -> None:
        try:
            token.meta["html"] = _math_html(token.content, display=display)
            # The formula as text in the section (search snippets), not in the word count.
            self.sections[-1].parts.append(mathml_text(token.meta["html"]))
        except ValueError as exc:
            self.sections[-1].parts.append(token.content.strip())
            token.meta["html"] = f'<code class="math-error">{html.escape(token.content)}</code>'
            self.problems.append(LineProblem(_find_line(self.lines, span, token.content), str(exc)))

    def _fence(self, token: Token, span: tuple[int, int]) -> None:
        language = token.info.strip().split(" ")[0] if token.info else ""
        self._text(token.content)
        escaped = f"<pre><code>{html.escape(token.content)}</code></pre>\n"
        if not language:
            token.meta["html"] = escaped
            self.problems.append(
                LineProblem(span[0] + 1, "fenced code needs a language (```python, ```text …)")
            )
            return
        try:
            token.meta["html"] = _code_html(token.content, language)
        except ClassNotFound:
            token.meta["html"] = escaped
            self.problems.append(
                LineProblem(
                    span[0] + 1,
                    f"unknown code language {language!r} (Pygments has no lexer for it)",
                )
            )


def render_markdown(source: str, *, glossary: TermLinker | None = None) -> Rendered:
    """Render ``source`` (a Markdown body, no front matter) and report what is wrong with it;
    with ``glossary``, the first mention of each term links to its entry."""
    env: dict[str, Any] = {"glossary": glossary} if glossary is not None else {}
    tokens = _MD.parse(source, env)
    walker = _Walker(source)
    for index in range(len(tokens)):
        walker.block(tokens, index)
    body_html = _MD.renderer.render(tokens, _MD.options, env)
    return Rendered(
        html=body_html,
        headings=tuple(walker.headings),
        links=tuple(walker.links),
        sections=tuple(s for s in walker.sections if s.anchor or s.text),
        word_count=walker.words,
        problems=tuple(walker.problems),
        figures=walker.figures,
        answer_first=bool(tokens)
        and tokens[0].type == "admonition_open"
        and tokens[0].meta.get("tag") == "answer",
    )


def pygments_css() -> str:
    """Code colours for the light theme, and for the dark one (system preference or toggle)."""
    light = HtmlFormatter(style="friendly").get_style_defs(f".{CODE_CSS_CLASS}")  # type: ignore[no-untyped-call]
    dark = HtmlFormatter(style="github-dark").get_style_defs(  # type: ignore[no-untyped-call]
        f'[data-theme="dark"] .{CODE_CSS_CLASS}'
    )
    dark_auto = HtmlFormatter(style="github-dark").get_style_defs(  # type: ignore[no-untyped-call]
        f':root:not([data-theme="light"]) .{CODE_CSS_CLASS}'
    )
    return f"{light}\n{dark}\n@media (prefers-color-scheme: dark) {{\n{dark_auto}\n}}\n"


def render_fragment(source: str) -> tuple[str, tuple[LineProblem, ...]]:
    """Render a short text (a question prompt, an option): one paragraph loses its ``<p>``."""
    rendered = render_markdown(source)
    html_out = rendered.html.strip()
    if html_out.startswith("<p>") and html_out.endswith("</p>") and html_out.count("<p>") == 1:
        html_out = html_out[3:-4]
    return html_out, rendered.problems
