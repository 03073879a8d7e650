"""The text full-text search indexes for an article: title, sapo and body in their search form."""

from __future__ import annotations

from storage.text import search_key


def search_fields(title: str | None, sapo: str | None, text: str | None) -> dict[str, str]:
    """Return the ``articles.search_*`` column values: each part folded by storage.text.search_key.

    The database indexes them with and without diacritics (migration 0007); only the repository's
    article-writing path calls this, so the index always follows the stored text.
    """
    return {
        "search_title": search_key(title or ""),
        "search_sapo": search_key(sapo or ""),
        "search_body": search_key(text or ""),
    }
