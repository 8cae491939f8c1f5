"""The glossary: ``content/glossary.yaml``, a list of terms, each a short definition that points at
the lesson section teaching it.

Read in two steps, because lessons and glossary need each other: ``read_glossary`` parses the
file (terms, aliases, definitions) before the lessons render, so that lesson text can link the
first mention of each term to ``/glossary#<id>``; ``glossary_problems`` then checks each entry's
``lesson: slug#anchor`` against the rendered lessons. Ids are public (``/glossary#wordpiece``):
add, never rename.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from app.content.markdown import LineProblem, render_fragment
from app.content.problems import Problem

__all__ = [
    "GLOSSARY_FILE",
    "Glossary",
    "Term",
    "glossary_problems",
    "read_glossary",
]

GLOSSARY_FILE = "glossary.yaml"
_TAGS = re.compile(r"<[^>]+>")


class _TermIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)]
    term: Annotated[str, StringConstraints(min_length=1, max_length=60, strip_whitespace=True)]
    aliases: list[Annotated[str, StringConstraints(min_length=2, max_length=60)]] = Field(
        default_factory=list
    )
    definition: Annotated[str, StringConstraints(min_length=20, max_length=600)]
    lesson: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+#[\w-]+$")]
    link: bool = True  # link the term's first mention in each lesson


@dataclass(frozen=True)
class Term:
    id: str
    term: str
    aliases: tuple[str, ...]
    definition_html: str
    definition_text: str
    lesson_slug: str
    anchor: str
    link: bool

    @property
    def url(self) -> str:
        return f"/glossary#{self.id}"

    @property
    def lesson_url(self) -> str:
        return f"/lessons/{self.lesson_slug}#{self.anchor}"

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)


@dataclass(frozen=True)
class Glossary:
    terms: tuple[Term, ...]  # alphabetical
    lines: Mapping[str, int]  # id -> line of its ``lesson:`` (for problems found later)
    path: Path

    def __len__(self) -> int:
        return len(self.terms)

    def linkable(self) -> list[tuple[str, str, str]]:
        """(spelling, id, plain definition) for every spelling of every linked term."""
        return [(s, t.id, t.definition_text) for t in self.terms if t.link for s in t.spellings]


def _line(node: yaml.Node, index: int, key: str | None = None) -> int:
    if not isinstance(node, yaml.SequenceNode) or index >= len(node.value):
        return 1
    item = node.value[index]
    if key is not None and isinstance(item, yaml.MappingNode):
        for k, v in item.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return int(v.start_mark.line) + 1
    return int(item.start_mark.line) + 1


def _taken_spellings(entry: _TermIn, spellings: dict[str, str]) -> list[str]:
    """Spellings of ``entry`` that another term has already claimed (and claim the rest)."""
    taken = []
    for spelling in (entry.term, *entry.aliases):
        other = spellings.setdefault(spelling.lower(), entry.id)
        if other != entry.id:
            taken.append(f"'{spelling}' is already a spelling of '{other}'")
    return taken


def _term(entry: _TermIn) -> tuple[Term, tuple[LineProblem, ...]]:
    definition_html, rendered = render_fragment(entry.definition)
    slug, _, anchor = entry.lesson.partition("#")
    term = Term(
        id=entry.id,
        term=entry.term,
        aliases=tuple(entry.aliases),
        definition_html=definition_html,
        definition_text=" ".join(_TAGS.sub("", definition_html).split()),
        lesson_slug=slug,
        anchor=anchor,
        link=entry.link,
    )
    return term, rendered


def read_glossary(content_dir: Path, shown: Any) -> tuple[Glossary, list[Problem]]:
    """The glossary file parsed (an empty glossary when there is none), and its problems."""
    path = content_dir / GLOSSARY_FILE
    display = shown(path)
    empty = Glossary((), {}, display)
    if not path.is_file():
        return empty, []
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        return empty, [Problem(display, 1, f"cannot read file: {exc}")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.context_mark or exc.problem_mark
        return empty, [Problem(display, mark.line + 1 if mark else 1, f"invalid YAML: {exc}")]
    if data is None:
        return empty, []
    if not isinstance(data, list) or not isinstance(root, yaml.SequenceNode):
        return empty, [Problem(display, 1, "the glossary is a YAML list of terms ('- id: …')")]
    terms: list[Term] = []
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    spellings: dict[str, str] = {}
    for index, raw in enumerate(data):
        try:
            entry = _TermIn.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                key = str(err["loc"][0]) if err["loc"] else None
                where = ".".join(str(p) for p in err["loc"]) or "term"
                problems.append(Problem(display, _line(root, index, key), f"{where}: {err['msg']}"))
            continue
        if entry.id in lines:
            problems.append(
                Problem(display, _line(root, index, "id"), f"duplicate id '{entry.id}'")
            )
            continue
        problems += [
            Problem(display, _line(root, index, "term"), message)
            for message in _taken_spellings(entry, spellings)
        ]
        term, rendered = _term(entry)
        problems += [
            Problem(display, _line(root, index, "definition"), p.message) for p in rendered
        ]
        lines[entry.id] = _line(root, index, "lesson")
        terms.append(term)
    terms.sort(key=lambda t: t.term.lstrip("[").lower())  # "[CLS]" among the Cs
    return Glossary(tuple(terms), lines, display), problems


def glossary_problems(
    glossary: Glossary, anchors: Mapping[str, frozenset[str] | None]
) -> Iterable[Problem]:
    """Entries whose ``lesson:`` names a lesson or section that does not exist."""
    for term in glossary.terms:
        line = glossary.lines[term.id]
        if term.lesson_slug not in anchors:
            yield Problem(
                glossary.path, line, f"'{term.id}': there is no lesson '{term.lesson_slug}'"
            )
        elif (known := anchors[term.lesson_slug]) is not None and term.anchor not in known:
            yield Problem(
                glossary.path,
                line,
                f"'{term.id}': lesson '{term.lesson_slug}' has no section '#{term.anchor}'",
            )
