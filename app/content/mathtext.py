"""MathML (as latex2mathml writes it) to one line of plain text, e.g. ``O(n²d)`` or ``(QKᵀ)/√d``.

Search snippets and other plain-text views of a lesson use it, so a formula reads as text instead
of leaving a hole where the markup was stripped.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

__all__ = ["html_text", "mathml_text"]

_SUPERSCRIPTS = str.maketrans("0123456789+-−=()niT⊤", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱᵀᵀ")
_SUBSCRIPTS = str.maketrans("0123456789+-−=()", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎")
_SPACED = set("=+−<>≤≥≈≠→←↦×∈∉⊂∝")  # binary and relational operators
_BIG = set("∑∏∫")
_MATH = re.compile(r"<math\b.*?</math>", re.S)
_TAGS = re.compile(r"<[^>]+>")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _script(text: str, table: dict[int, int], marker: str) -> str:
    converted = text.translate(table)
    if all(ord(c) in table.values() for c in converted):
        return converted
    return f"{marker}{text}" if len(text) == 1 else f"{marker}({text})"


def _grouped(text: str) -> str:
    """``text`` as an operand of ``/`` or ``√``: in brackets unless a single symbol."""
    return f"({text})" if " " in text or "/" in text else text


def _node(element: ET.Element) -> str:
    tag = _local(element.tag)
    parts = [_node(child) for child in element]
    if tag in ("mi", "mn", "mtext", "ms"):
        text = "".join(element.itertext())
        return f"{text} " if tag == "mi" and len(text) > 1 else text  # log x, not logx
    if tag == "mo":
        op = "".join(element.itertext()).strip()
        return "" if op == "\u2062" else f" {op} " if op in _SPACED else op
    if tag == "mspace":
        return " "
    if tag in ("msup", "msub", "msubsup") and parts:
        base, scripts = parts[0].strip(), [p.strip() for p in parts[1:]]
        if tag == "msup":
            return base + _script(scripts[0], _SUPERSCRIPTS, "^")
        lower = _script(scripts[0], _SUBSCRIPTS, "_")
        upper = _script(scripts[1], _SUPERSCRIPTS, "^") if len(scripts) > 1 else ""
        return base + lower + upper + (" " if base in _BIG else "")
    if tag in ("munder", "munderover") and parts:
        return parts[0].strip() + "_" + _grouped(parts[1].strip()) + " "
    if tag == "mfrac" and len(parts) == 2:
        return f"{_grouped(parts[0].strip())}/{_grouped(parts[1].strip())}"
    if tag == "msqrt":
        return "√" + _grouped("".join(parts).strip())
    if tag == "mroot" and len(parts) == 2:
        return f"{_script(parts[1], _SUPERSCRIPTS, '^')}√{_grouped(parts[0].strip())}"
    if tag == "mover" and parts:
        return parts[0]  # an accent (hat, bar) over a symbol: the symbol
    if tag == "mtr":
        return ", ".join(p.strip() for p in parts)
    if tag == "mtable":
        return "; ".join(p.strip() for p in parts)
    return "".join(parts)


def mathml_text(mathml: str) -> str:
    """The formula in ``mathml`` as one line of text; the raw characters if it does not parse."""
    try:
        root = ET.fromstring(mathml)
    except ET.ParseError:
        return " ".join(html.unescape(_TAGS.sub("", mathml)).split())
    annotation = [e for e in root.iter() if _local(e.tag) in ("annotation", "annotation-xml")]
    for element in annotation:  # TeX kept alongside the MathML is not part of the text
        element.clear()
    return " ".join(_node(root).split())


def html_text(markup: str) -> str:
    """Plain text of an HTML fragment, every ``<math>`` in it written as text first."""
    pieces, last = [], 0
    for match in _MATH.finditer(markup):  # text outside the formulas, then each formula
        pieces += [
            html.unescape(_TAGS.sub(" ", markup[last : match.start()])),
            mathml_text(match[0]),
        ]
        last = match.end()
    pieces.append(html.unescape(_TAGS.sub(" ", markup[last:])))
    return " ".join(" ".join(pieces).split())
