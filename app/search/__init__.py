"""Full-text search over lesson sections."""

from app.search.index import MAX_QUERY_LENGTH, SearchHit, SearchIndex

__all__ = ["MAX_QUERY_LENGTH", "SearchHit", "SearchIndex"]
