"""The archivists' query syntax: words, "quoted phrases", OR between terms, -word / -"phrase" to exclude.

Parsing never fails on punctuation: anything that is not a letter or digit separates words, so user text
cannot reach a database's query parser as syntax. A query with nothing left to look for is a QueryError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.text import search_key, strip_diacritics

SYNTAX_HELP = (
    'Words must all match (accents optional: "hoa" finds "hòa"; typed accents rank exact matches first); '
    '"quoted words" match as a phrase; a OR b matches either; -word or -"a phrase" excludes.'
)

_RAW_TERM = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# What FTS5's unicode61 tokenizer and PostgreSQL's parser treat as one word: letters and digits.
WORD = re.compile(r"[^\W_]+")


# A query's cost grows with its terms (each is a full-text lookup and a ranking pass): more than this
# many words and phrases is refused with a one-line message, and so is a query longer than MAX_QUERY_CHARS.
MAX_TERMS = 32
MAX_QUERY_CHARS = 1000


class QueryError(ValueError):
    """The query has nothing to search for; the message says why in one line."""


@dataclass(frozen=True)
class Term:
    """A word or phrase: ``words`` in search form (lowercase, NFC, diacritics as typed)."""

    words: tuple[str, ...]

    @property
    def folded(self) -> tuple[str, ...]:
        """The words without any diacritics (``đ`` -> ``d``)."""
        return tuple(strip_diacritics(word) for word in self.words)

    @property
    def accented(self) -> bool:
        """Whether the archivist typed a diacritic in it (then exact spelling ranks first)."""
        return self.folded != self.words


@dataclass(frozen=True)
class Query:
    """Every group must match (a group matches when any of its terms does); no excluded term may."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()

    @property
    def terms(self) -> list[Term]:
        """Every positive term, in the order typed."""
        return [term for group in self.groups for term in group]

    def sequence(self) -> tuple[str, ...]:
        """The positive words in the order typed (for phrase and proximity ranking)."""
        return tuple(word for term in self.terms for word in term.words)


def _term(text: str) -> Term | None:
    words = tuple(WORD.findall(search_key(text)))
    return Term(words) if words else None


def parse_query(query: str) -> Query:
    """Return the parsed ``query``. Raises QueryError when no word is left to search for, or when the
    query is longer than MAX_QUERY_CHARS or has more than MAX_TERMS words and phrases."""
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"the query has {len(query):,} characters; at most {MAX_QUERY_CHARS:,} are searched")
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    for match in _RAW_TERM.finditer(query):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        if bare == "OR":
            join_next = bool(groups)
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negated, bare = "-", bare[1:]
        term = _term(phrase if phrase is not None else bare)
        if term is None:
            continue
        if negated:
            excluded.append(term)
        elif join_next:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    if not groups:
        if excluded:
            raise QueryError("the query only excludes words; add a word to search for")
        raise QueryError(f"the query {query!r} has no words to search for")
    terms = sum(len(group) for group in groups) + len(excluded)
    if terms > MAX_TERMS:
        raise QueryError(f"the query has {terms} words and phrases; at most {MAX_TERMS} are searched at once")
    return Query(tuple(tuple(group) for group in groups), tuple(excluded))
