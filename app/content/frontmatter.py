"""Split YAML front matter from a Markdown file, keeping the line of every top-level key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = ["FrontMatter", "FrontMatterError", "split_front_matter"]

DELIMITER = "---"


class FrontMatterError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class FrontMatter:
    data: dict[str, Any]
    key_lines: dict[str, int] = field(default_factory=dict)  # key -> 1-based line in the file
    body: str = ""
    body_line: int = 1  # 1-based line in the file where the body starts


def split_front_matter(text: str) -> FrontMatter:
    """Parse ``---``-delimited YAML at the top of ``text``; raise FrontMatterError with a line."""
    lines = text.removeprefix("\ufeff").split("\n")
    if not lines or lines[0].strip() != DELIMITER:
        raise FrontMatterError(1, "file must start with YAML front matter between '---' lines")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == DELIMITER)
    except StopIteration:
        raise FrontMatterError(1, "front matter is not closed: add a '---' line after it") from None
    source = "\n".join(lines[1:end])
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.safe_load(source)
    except yaml.MarkedYAMLError as exc:
        # Point at the construct that is broken (an unclosed bracket, say) when YAML names one;
        # the place it noticed is often the next line.
        problem = f"invalid YAML: {exc.problem}"
        if exc.context_mark is not None and exc.problem_mark is not None:
            noticed = exc.problem_mark.line + 2
            problem += f" ({exc.context} that starts here; noticed on line {noticed})"
        mark = exc.context_mark or exc.problem_mark
        line = mark.line + 2 if mark is not None else 1
        raise FrontMatterError(line, problem) from None
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise FrontMatterError(2, "front matter must be a mapping of 'key: value' lines")
    key_lines = {
        str(key.value): key.start_mark.line + 2
        for key, _value in node.value
        if isinstance(key, yaml.ScalarNode)
    }
    return FrontMatter(
        data=data, key_lines=key_lines, body="\n".join(lines[end + 1 :]), body_line=end + 2
    )
