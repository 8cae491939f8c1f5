"""Read ``content/lessons/NN-slug.md`` and ``content/questions/*.yaml``, validate, render once."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from app.content.formulas import Formulas
from app.content.frontmatter import FrontMatterError, split_front_matter
from app.content.glossary import glossary_problems, read_glossary
from app.content.index import ContentIndex, Lesson, Section, Source, TocEntry
from app.content.markdown import Rendered, TermLinker, render_markdown
from app.content.problems import ContentInvalid, Problem
from app.content.questions import load_questions

__all__ = ["check_content", "load_content"]

LESSON_FILE = re.compile(r"^(?P<number>\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
ARXIV_ID = r"^\d{4}\.\d{4,5}$"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class SourceMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Text
    arxiv: Annotated[str, StringConstraints(pattern=ARXIV_ID)] = Field(
        description="arXiv identifier such as 1810.04805"
    )
    authors: Text | None = None
    year: Annotated[int, Field(ge=1950, le=2100)] | None = None


class LessonMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Text
    summary: Text
    order: Annotated[int, Field(ge=1)]
    sources: Annotated[list[SourceMeta], Field(min_length=1)]
    lab: Text | None = None


@dataclass(frozen=True)
class _Draft:
    """A lesson that parsed; links are checked once every lesson is known."""

    path: Path
    slug: str
    meta: LessonMeta
    key_lines: dict[str, int]
    rendered: Rendered
    body_line: int


def _display(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _meta_problems(path: Path, error: ValidationError, key_lines: dict[str, int]) -> list[Problem]:
    problems = []
    for err in error.errors():
        loc = [str(part) for part in err["loc"]]
        line = key_lines.get(loc[0], 1) if loc else 1
        where = ".".join(loc)
        if err["type"] == "missing":
            message = f"front matter is missing required field '{where}'"
        elif err["type"] == "extra_forbidden":
            message = f"unknown front matter field '{where}' (allowed: {', '.join(LessonMeta.model_fields)})"
        else:
            message = f"front matter field '{where}': {err['msg']}"
        if loc and loc[0] == "sources" and len(loc) > 2 and loc[2] == "arxiv":
            message += " (an arXiv id looks like 1810.04805)"
        problems.append(Problem(path, line, message))
    return problems


@dataclass(frozen=True)
class _Read:
    """What reading one file gave: a draft when it is usable, its anchors whenever the body parsed."""

    draft: _Draft | None
    anchors: frozenset[str] | None
    problems: list[Problem]


def _read_lesson(path: Path, slug: str, linker: TermLinker | None = None) -> _Read:
    shown = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _Read(None, None, [Problem(shown, 1, f"cannot read file: {exc}")])
    try:
        front = split_front_matter(text)
    except FrontMatterError as exc:
        return _Read(None, None, [Problem(shown, exc.line, exc.message)])
    rendered = render_markdown(front.body, glossary=linker)
    anchors = frozenset(h.anchor for h in rendered.headings)
    problems = [Problem(shown, front.body_line + p.line - 1, p.message) for p in rendered.problems]
    try:
        meta = LessonMeta.model_validate(front.data)
    except ValidationError as exc:
        return _Read(None, anchors, problems + _meta_problems(shown, exc, front.key_lines))
    draft = _Draft(shown, slug, meta, front.key_lines, rendered, front.body_line)
    return _Read(draft, anchors, problems)


def _link_problems(draft: _Draft, anchors: dict[str, frozenset[str] | None]) -> Iterable[Problem]:
    """Links to lessons or sections that do not exist. A lesson whose file has problems of its
    own still counts as existing (None: its sections are unknown), so one broken file does not
    cascade into errors in every lesson that links to it."""
    own = anchors[draft.slug] or frozenset()
    for link in draft.rendered.links:
        line = draft.body_line + link.line - 1
        target, _, anchor = link.href.partition("#")
        if target == "" and anchor and anchor not in own:
            yield Problem(
                draft.path, line, f"broken link {link.href!r}: no heading with that anchor here"
            )
        if not target.startswith("/lessons/"):
            continue
        slug = target.removeprefix("/lessons/").strip("/")
        if slug not in anchors:
            yield Problem(
                draft.path, line, f"broken link {link.href!r}: there is no lesson '{slug}'"
            )
        elif anchor and (known := anchors[slug]) is not None and anchor not in known:
            yield Problem(
                draft.path,
                line,
                f"broken link {link.href!r}: lesson '{slug}' has no section '#{anchor}'",
            )


def _to_lesson(draft: _Draft) -> Lesson:
    meta, rendered = draft.meta, draft.rendered
    return Lesson(
        slug=draft.slug,
        order=meta.order,
        title=meta.title,
        summary=meta.summary,
        sources=tuple(Source(**source.model_dump()) for source in meta.sources),
        lab=meta.lab,
        html=rendered.html,
        toc=tuple(TocEntry(h.level, h.anchor, h.text) for h in rendered.headings if h.level <= 3),
        sections=tuple(
            Section(draft.slug, s.anchor, s.heading or meta.title, s.text)
            for s in rendered.sections
        ),
        word_count=rendered.word_count,
        path=draft.path,
        figures=rendered.figures,
        answer_first=rendered.answer_first,
    )


def _collect(
    content_dir: Path, linker: TermLinker | None = None
) -> tuple[list[_Draft], dict[str, frozenset[str] | None], list[Problem]]:
    """Drafts that are usable, the anchors of every lesson file (None: body unreadable), problems."""
    lessons_dir = content_dir / "lessons"
    if not lessons_dir.is_dir():
        return [], {}, [Problem(_display(lessons_dir), 1, "lessons directory does not exist")]
    drafts: list[_Draft] = []
    anchors: dict[str, frozenset[str] | None] = {}
    problems: list[Problem] = []
    for path in sorted(lessons_dir.glob("*.md")):
        match = LESSON_FILE.match(path.name)
        if match is None:
            problems.append(
                Problem(
                    _display(path), 1, "lesson file names look like 'NN-slug.md' (e.g. 01-bert.md)"
                )
            )
            continue
        read = _read_lesson(path, match["slug"], linker)
        problems += read.problems
        anchors.setdefault(match["slug"], read.anchors)
        if read.draft is not None:
            drafts.append(read.draft)
    if not drafts and not problems:
        problems.append(
            Problem(_display(lessons_dir), 1, "no lessons found (add NN-slug.md files)")
        )
    return drafts, anchors, problems


def _uniqueness_problems(drafts: list[_Draft]) -> tuple[list[_Draft], list[Problem]]:
    problems: list[Problem] = []
    by_slug: dict[str, _Draft] = {}
    by_order: dict[int, _Draft] = {}
    for draft in drafts:
        if draft.slug in by_slug:
            problems.append(
                Problem(
                    draft.path,
                    1,
                    f"duplicate slug '{draft.slug}' (also {by_slug[draft.slug].path})",
                )
            )
            continue
        if draft.meta.order in by_order:
            line = draft.key_lines.get("order", 1)
            problems.append(
                Problem(
                    draft.path,
                    line,
                    f"duplicate order {draft.meta.order} (also {by_order[draft.meta.order].path})",
                )
            )
        by_slug[draft.slug] = draft
        by_order.setdefault(draft.meta.order, draft)
    return list(by_slug.values()), problems


def check_content(
    content_dir: Path, *, formulas: Formulas
) -> tuple[ContentIndex | None, list[Problem]]:
    """Load and validate; the index is None when any problem was found. ``formulas`` is the table
    calculated questions may name (the quiz's ``FORMULAS``)."""
    glossary, problems = read_glossary(content_dir, _display)
    linker = TermLinker(glossary.linkable()) if len(glossary) else None
    drafts, anchors, found = _collect(content_dir, linker)
    problems += found
    unique, found = _uniqueness_problems(drafts)
    problems += found
    for draft in unique:
        problems.extend(_link_problems(draft, anchors))
    problems.extend(glossary_problems(glossary, anchors))
    bank, question_problems = load_questions(content_dir / "questions", anchors, _display, formulas)
    problems += question_problems
    if problems:
        return None, sorted(problems)
    return ContentIndex(tuple(_to_lesson(draft) for draft in unique), bank, glossary), []


def load_content(content_dir: Path, *, formulas: Formulas) -> ContentIndex:
    """The content index, or ContentInvalid listing every problem."""
    index, problems = check_content(content_dir, formulas=formulas)
    if index is None:
        raise ContentInvalid(problems)
    return index
