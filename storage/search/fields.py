"""The text full-text search indexes for an article: title, sapo and body in their search form."""

from __future__ import annotations

from dataclasses import dataclass

from storage.text import search_key


def search_fields(title: str | None, sapo: str | None, text: str | None) -> dict[str, str]:
    """Return the ``articles.search_*`` column values: each part folded by storage.text.search_key.

    The database indexes them with and without diacritics (migration 0007); only the article-writing
    path (storage.articles) calls this, so the index always follows the stored text.
    """
    return {
        "search_title": search_key(title or ""),
        "search_sapo": search_key(sapo or ""),
        "search_body": search_key(text or ""),
    }


@dataclass(frozen=True)
class SearchForm:
    """search_fields of one (title, sapo, text), computed where the CPU is to spare (an extraction
    worker) instead of in the archive's write thread; used only for exactly the text it was made from."""

    title: str | None
    sapo: str | None
    text: str | None
    fields: dict[str, str]

    @classmethod
    def of(cls, title: str | None, sapo: str | None, text: str | None) -> SearchForm:
        return cls(title, sapo, text, search_fields(title, sapo, text))

    def fields_for(self, title: str | None, sapo: str | None, text: str | None) -> dict[str, str]:
        """The search fields of this text: the precomputed ones if it is the text they were made from
        (a string comparison, far cheaper than folding it again), else computed now."""
        if (title, sapo, text) == (self.title, self.sapo, self.text):
            return self.fields
        return search_fields(title, sapo, text)
