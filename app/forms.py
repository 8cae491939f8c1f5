"""Reading numbers and text out of HTML form fields, the way a form sends them.

``str.isdigit`` and ``int`` accept far more than the digits 0-9: ``'²'.isdigit()`` is True yet
``int('²')`` fails, and ``int('٣')`` is 3. A form field is ASCII digits or it is not a number.
"""

from __future__ import annotations

import re

__all__ = ["ascii_int", "text_problem"]

_INTEGER = re.compile(r"-?[0-9]{1,18}")


def ascii_int(raw: object, *, low: int | None = None, high: int | None = None) -> int | None:
    """The integer ``raw`` spells in ASCII digits (an optional leading '-'), within
    ``low``..``high`` when given; None for anything else, so callers say what they expected."""
    text = str(raw if raw is not None else "").strip()
    if not _INTEGER.fullmatch(text):
        return None
    value = int(text)
    if (low is not None and value < low) or (high is not None and value > high):
        return None
    return value


# Control characters (Unicode category Cc) other than tab and newlines, and lone surrogates.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored and shown as typed, or None: NUL and other control
    characters (tab and newlines are fine) and lone surrogates, which no encoding can write."""
    found = _UNWRITABLE.search(text)
    if found is None:
        return None
    code = ord(found.group())
    what = "half of a UTF-16 pair" if 0xD800 <= code <= 0xDFFF else "a control character"
    return f"character {found.start() + 1} is {what} (U+{code:04X}); remove it"
