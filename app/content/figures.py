"""Diagrams drawn by us, inline in a lesson: a raw ``<figure class="diagram">`` block holding one
``<svg>`` and a ``<figcaption>``.

The lesson's Markdown may hold raw HTML only in this form, and this module checks it when the
content is loaded: well-formed XML, an accessible name (``role="img"`` and a ``<title>``), a
``viewBox`` narrow enough to stay readable on a 390 px phone, no script, no ``style`` (the CSP
forbids inline styles) and no colour written into the drawing: colours come from the ``dg-*``
classes in ``static/css/app.css``, which follow the light and dark themes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

__all__ = ["MAX_VIEWBOX_WIDTH", "MIN_FONT_SIZE", "figure_problems", "is_figure"]

MAX_VIEWBOX_WIDTH = 480  # user units; on a 390 px phone the drawing scales to about 0.7
MIN_FONT_SIZE = 12  # user units: about 9 px on a phone at that scale, 12 px and up on a desktop
_SVG = "{http://www.w3.org/2000/svg}"
_FORBIDDEN_TAGS = {"script", "foreignObject", "iframe", "object", "embed", "image", "use", "a"}
_COLOUR_ATTRS = ("fill", "stroke", "color", "stop-color")
_FREE_COLOURS = {"none", "currentColor", "transparent"}


def is_figure(html_block: str) -> bool:
    return html_block.lstrip().startswith("<figure")


def _local(tag: str) -> str:
    return tag.removeprefix(_SVG).split("}")[-1]


def figure_problems(html_block: str) -> list[str]:
    """What is wrong with one raw HTML block (empty when it is a valid diagram figure)."""
    text = html_block.strip()
    if not is_figure(text):
        return [
            'raw HTML is allowed only as a diagram: <figure class="diagram"><svg …>…</svg>'
            "<figcaption>…</figcaption></figure> (see docs/CONTENT.md)"
        ]
    try:
        figure = ET.fromstring(text)
    except ET.ParseError as exc:
        return [
            f"the figure is not well-formed XML: {exc} (a blank line ends a raw HTML block: "
            "keep the figure free of blank lines)"
        ]
    problems: list[str] = []
    if figure.get("class") != "diagram":
        problems.append('a figure needs class="diagram"')
    children = [_local(child.tag) for child in figure]
    if children != ["svg", "figcaption"]:
        problems.append(f"a figure holds one <svg> then one <figcaption>, not {children}")
    svg = next((c for c in figure if _local(c.tag) == "svg"), None)
    caption = next((c for c in figure if _local(c.tag) == "figcaption"), None)
    if caption is not None and not "".join(caption.itertext()).strip():
        problems.append("the <figcaption> is empty: say what the diagram shows")
    if svg is None:
        return problems
    return problems + _drawing_problems(svg)


def _drawing_problems(svg: ET.Element) -> list[str]:
    """The rules for the ``<svg>`` itself: accessible, phone-readable, themed, inert."""
    problems: list[str] = []
    if svg.get("xmlns") not in (None, "http://www.w3.org/2000/svg") and not svg.tag.startswith(
        _SVG
    ):
        problems.append('the <svg> namespace must be "http://www.w3.org/2000/svg"')
    if svg.get("role") != "img":
        problems.append('the <svg> needs role="img"')
    title = next((c for c in svg if _local(c.tag) == "title"), None)
    if title is None or not (title.text or "").strip():
        problems.append("the <svg> needs a <title> as its first child (what a screen reader says)")
    view_box = (svg.get("viewBox") or "").split()
    if len(view_box) != 4:
        problems.append('the <svg> needs a viewBox ("0 0 width height")')
    elif float(view_box[2]) > MAX_VIEWBOX_WIDTH:
        problems.append(
            f"viewBox width {view_box[2]} is over {MAX_VIEWBOX_WIDTH}: text would be too small on a phone"
        )
    for element in svg.iter():
        name = _local(element.tag)
        if name in _FORBIDDEN_TAGS:
            problems.append(f"<{name}> is not allowed in a diagram")
        for attribute, value in element.attrib.items():
            attribute = _local(attribute)
            if attribute == "style" or attribute.startswith("on"):
                problems.append(
                    f"<{name} {attribute}=…> is not allowed: use the dg-* classes (static/css/app.css)"
                )
            elif (
                attribute in _COLOUR_ATTRS
                and value not in _FREE_COLOURS
                and not value.startswith("url(")
            ):
                problems.append(
                    f'<{name} {attribute}="{value}">: no colours in the drawing; use a dg-* class '
                    "so it follows light and dark mode"
                )
            elif attribute == "font-size":
                size = re.match(r"[\d.]+", value)
                if size is None or float(size.group()) < MIN_FONT_SIZE:
                    problems.append(
                        f"font-size {value!r} is under {MIN_FONT_SIZE}: too small on a phone"
                    )
    return problems
