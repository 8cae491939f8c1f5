"""The content index: every lesson and question rendered once, immutable, shared by all requests."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from app.content.glossary import Glossary
from app.content.questions import QuestionBank
from app.errors import NotFound

__all__ = ["ContentIndex", "Lesson", "Section", "Source", "TocEntry"]

WORDS_PER_MINUTE = 200


@dataclass(frozen=True)
class Source:
    title: str
    arxiv: str
    authors: str | None = None
    year: int | None = None

    @property
    def url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv}"


@dataclass(frozen=True)
class TocEntry:
    level: int
    anchor: str
    text: str


@dataclass(frozen=True)
class Section:
    """A searchable piece of a lesson: the text under one heading."""

    lesson_slug: str
    anchor: str  # "" for the text before the first heading
    heading: str
    text: str


@dataclass(frozen=True)
class Lesson:
    slug: str
    order: int
    title: str
    summary: str
    sources: tuple[Source, ...]
    lab: str | None
    html: str
    toc: tuple[TocEntry, ...]
    sections: tuple[Section, ...]
    word_count: int
    path: Path
    figures: int = 0  # inline SVG diagrams
    answer_first: bool = False  # opens with an ``!!! answer`` box

    @property
    def reading_minutes(self) -> int:
        return max(1, math.ceil(self.word_count / WORDS_PER_MINUTE))

    @property
    def anchors(self) -> frozenset[str]:
        return frozenset(entry.anchor for entry in self.toc)


class ContentIndex:
    """Lessons in reading order, looked up by slug."""

    def __init__(
        self,
        lessons: tuple[Lesson, ...],
        questions: QuestionBank | None = None,
        glossary: Glossary | None = None,
    ) -> None:
        self.lessons = tuple(sorted(lessons, key=lambda lesson: lesson.order))
        self.questions = questions if questions is not None else QuestionBank(())
        self.glossary = glossary if glossary is not None else Glossary((), {}, Path("glossary"))
        self._by_slug: Mapping[str, Lesson] = MappingProxyType(
            {lesson.slug: lesson for lesson in self.lessons}
        )

    def __len__(self) -> int:
        return len(self.lessons)

    def lesson(self, slug: str) -> Lesson:
        try:
            return self._by_slug[slug]
        except KeyError:
            known = ", ".join(self._by_slug)
            raise NotFound(f"There is no lesson called '{slug}'. Lessons: {known}.") from None

    def neighbours(self, slug: str) -> tuple[Lesson | None, Lesson | None]:
        """The lessons before and after ``slug`` in reading order."""
        position = self.lessons.index(self.lesson(slug))
        previous = self.lessons[position - 1] if position > 0 else None
        following = self.lessons[position + 1] if position + 1 < len(self.lessons) else None
        return previous, following

    @property
    def sections(self) -> tuple[Section, ...]:
        return tuple(section for lesson in self.lessons for section in lesson.sections)
