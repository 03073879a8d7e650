"""What an empty result page says: why nothing matched, and what to try next."""

from __future__ import annotations

from dataclasses import dataclass

from storage.search.query import Query
from storage.text import strip_diacritics


@dataclass(frozen=True)
class Hint:
    """One line of advice; ``query`` and ``drop_filters`` make it a link to the search it suggests."""

    text: str
    query: str | None = None
    drop_filters: bool = False


# The advice, in Vietnamese with the English beside it.
UNCLOSED = "Dấu ngoặc kép chưa đóng (unclosed quote): the phrase ran to the end of the query — close it"
ACCENTS = "Thử bỏ dấu hoặc viết khác (try without accents or another spelling)"
FEWER = "Thử bớt từ (try fewer words): every word must match"
FILTERS = "Bỏ bộ lọc (clear the filters): they may exclude every match"


def empty_hints(text: str, query: Query, chosen: dict[str, str]) -> list[Hint]:
    """Return the reasons and suggestions for a search of ``text`` that matched nothing."""
    hints = []
    if text.count('"') % 2:
        hints.append(Hint(UNCLOSED, text + '"'))
    if any(term.accented for term in query.terms):
        hints.append(Hint(ACCENTS, strip_diacritics(text)))
    if len(query.terms) > 1 or query.excluded:
        hints.append(Hint(FEWER))
    if chosen:
        hints.append(Hint(FILTERS, drop_filters=True))
    return hints
