"""Content: Markdown lessons loaded, validated and rendered once into an immutable index."""

from app.content.index import ContentIndex, Lesson, Section, Source, TocEntry
from app.content.loader import load_content
from app.content.problems import ContentInvalid, Problem

__all__ = [
    "ContentIndex",
    "ContentInvalid",
    "Lesson",
    "Problem",
    "Section",
    "Source",
    "TocEntry",
    "load_content",
]
