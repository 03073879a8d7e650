"""Search on SQLite: FTS5 expressions over the indexes without and with diacritics, matches, scores."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import datetime
from typing import Any

from sqlalchemy import Select, column, select, table, text
from sqlalchemy.orm import Session

from storage.models import Article, Portal
from storage.search.filters import SearchFilters, filter_articles
from storage.search.query import Query
from storage.search.ranking import (
    BODY_WEIGHT,
    EXACT_BONUS,
    NEAR_BONUS,
    NEAR_DISTANCE,
    PHRASE_BONUS,
    SAPO_WEIGHT,
    TITLE_WEIGHT,
    exact_groups,
)

_FOLDED = table("articles_fts", column("rowid"))
_EXACT = table("articles_fts_exact", column("rowid"))


def _fts_phrase(words: tuple[str, ...]) -> str:
    # Words hold only letters and digits (storage.search.query.WORD), so quoting them needs no escaping.
    return '"' + " ".join(words) + '"'


def fts5_match(query: Query) -> str:
    """Return the FTS5 expression (for the table without diacritics) the articles must match."""
    groups = []
    for group in query.groups:
        phrases = [_fts_phrase(term.folded) for term in group]
        groups.append(phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")")
    expression = " AND ".join(groups)
    folded = [term for term in query.excluded if not term.accented]
    if folded:
        excluded = " OR ".join(_fts_phrase(term.folded) for term in folded)
        expression = f"({expression}) NOT ({excluded})"
    return expression


def fts5_exact_exclusion(query: Query) -> str | None:
    """Return the FTS5 expression (table with diacritics) of the excluded terms typed with diacritics:
    "-bão" excludes "bão" but not "báo"; None without such terms."""
    accented = [_fts_phrase(term.words) for term in query.excluded if term.accented]
    return " OR ".join(accented) if accented else None


def fts5_exact_bonus(query: Query) -> str | None:
    """Return the FTS5 expression (table with diacritics) of the exact-diacritic matches, or None.

    Every accented group must match as typed (AND: a subset of the matches, so cheap to score); the
    whole query as a phrase scores again when every word carries its diacritics.
    """
    groups = exact_groups(query)
    if not groups:
        return None
    parts = [" OR ".join(_fts_phrase(term.words) for term in group) for group in groups]
    expression = " AND ".join(f"({part})" for part in parts)
    sequence = query.sequence()
    if len(sequence) > 1 and len(groups) == len(query.groups) and all(len(g) == 1 for g in groups):
        expression = f"({expression}) OR {_fts_phrase(sequence)}"
    return expression


def matches(session: Session, query: Query, filters: SearchFilters) -> tuple[Select[Any], Any]:
    """Return a SELECT of the ids matching ``query`` and ``filters``, and the column to order by for
    reading them newest first (see storage.search.engine)."""
    narrow = filters.portals or filters.since is not None or filters.until is not None
    if narrow:
        # Narrow filters drive: their index gives few articles, each looked up in the matches' list.
        statement = select(Article.id).where(Article.id.in_(_fts_matches(query)))
        if filters.portals:  # as ids: with a subquery SQLite leaves the (portal, published) index aside
            keys = Portal.key.in_(filters.portals)
            portal_ids = list(session.scalars(select(Portal.id).where(keys)))
            statement = statement.where(Article.portal_id.in_(portal_ids))
            filters = dataclasses.replace(filters, portals=())
        return filter_articles(statement, filters, "sqlite"), Article.id
    # The full-text index drives, read newest first when ordered by its rowid (ordered by articles.id,
    # SQLite walks every article of a status instead, running the match once per article).
    statement = (
        select(Article.id)
        .select_from(_FOLDED)
        .join(Article, Article.id == _FOLDED.c.rowid)
        .where(text("articles_fts MATCH :q_base").bindparams(q_base=fts5_match(query)))
    )
    excluded = _fts_exclusion(query)
    if excluded is not None:
        statement = statement.where(_FOLDED.c.rowid.not_in(excluded))
    return filter_articles(statement, filters, "sqlite"), _FOLDED.c.rowid


# The rowid of articles_fts_dated (migration 0015): seconds since 1970 of published_at times 2^ID_BITS
# plus the article id; undated articles below every date.
ID_BITS = 31
_ID_MASK = 2**ID_BITS - 1
_DATED = table("articles_fts_dated", column("rowid"))
# An article's key in the dated index, as a column newest_published can return (scores takes these).
DATED_KEY = _DATED.c.rowid


def date_key_floor(moment: datetime) -> int:
    """The lowest dated-index rowid of an article published at ``moment`` (whole seconds, UTC), held
    within SQLite's 64-bit integers (a date typed as year 9999 is past every key, not an error)."""
    key = math.floor(moment.timestamp()) * 2**ID_BITS
    return max(-(2**63) + 2**ID_BITS, min(key, 2**63 - 2**ID_BITS - 1))


def dated_page(
    session: Session, query: Query, filters: SearchFilters, limit: int, offset: int, below: int | None = None
) -> list[int]:
    """Return the ids of page (``offset``, ``limit``) of the matches, newest published first (undated
    last; ties, and the same second, newest archived first), older than id ``below`` if given.

    FTS5 reads articles_fts_dated in its rowid order, which is the publication date's, and stops at
    the page: some offset + limit articles are read (plus those the filters drop), whatever the number
    of matches. A date filter is a rowid range, which FTS5 seeks to.
    """
    statement = _dated(session, query, filters, below)
    return [int(article_id) for article_id in session.scalars(statement.offset(offset).limit(limit))]


def newest_published(
    session: Session, query: Query, filters: SearchFilters, limit: int, columns: tuple[Any, ...] = ()
) -> list[tuple[Any, ...]]:
    """Return (id, published_at, *``columns``) of the ``limit`` newest published matches (as dated_page).

    For a portal or date filter: read in date order, the filter's matches come at the rate they
    are among all matches (a date range is sought to), where reading in archiving order meant listing
    every match of the words first.
    """
    statement = _dated(session, query, filters, None).add_columns(Article.published_at, *columns)
    return [(int(row[0]), *row[1:]) for row in session.execute(statement.limit(limit))]


def _dated(session: Session, query: Query, filters: SearchFilters, below: int | None) -> Select[Any]:
    found = _DATED.c.rowid.op("&")(_ID_MASK)
    statement = (
        select(Article.id)
        .select_from(_DATED)
        .join(Article, Article.id == found)
        .where(text("articles_fts_dated MATCH :q_dated").bindparams(q_dated=fts5_match(query)))
    )
    if filters.since is not None:  # a superset by whole seconds; filter_articles keeps the exact bound
        statement = statement.where(_DATED.c.rowid >= date_key_floor(filters.since))
    if filters.until is not None:
        statement = statement.where(_DATED.c.rowid < date_key_floor(filters.until) + 2**ID_BITS)
    excluded = _fts_exclusion(query)
    if excluded is not None:
        statement = statement.where(Article.id.not_in(excluded))
    if below is not None:
        statement = statement.where(Article.id < below)
    if filters.portals:  # as ids, as in matches()
        portal_ids = list(session.scalars(select(Portal.id).where(Portal.key.in_(filters.portals))))
        statement = statement.where(Article.portal_id.in_(portal_ids))
        filters = dataclasses.replace(filters, portals=())
    return filter_articles(statement, filters, "sqlite").order_by(_DATED.c.rowid.desc())


def _fts_exclusion(query: Query) -> Any:
    exclusion = fts5_exact_exclusion(query)
    if exclusion is None:
        return None
    excluded = select(_EXACT.c.rowid).where(text("articles_fts_exact MATCH :q_not"))
    return excluded.params(q_not=exclusion).scalar_subquery()


def _fts_matches(query: Query) -> Select[Any]:
    """Return a SELECT of the rowids matching ``query`` in the index without diacritics (SQLite)."""
    base = select(_FOLDED.c.rowid.label("id")).where(text("articles_fts MATCH :q_base"))
    base = base.params(q_base=fts5_match(query))
    excluded = _fts_exclusion(query)
    if excluded is not None:
        base = base.where(_FOLDED.c.rowid.not_in(excluded))
    return base


def scores(
    session: Session, query: Query, ids: list[int], keys: dict[int, int] | None = None
) -> dict[int, float]:
    """Return the score of each article of ``ids``, all matches of ``query`` (SQLite).

    bm25() of the query's words (title, sapo, body weighted), plus bonuses in shares of the best such
    score among ``ids``: EXACT_BONUS for spelling every accented word as typed, then for the
    words as a phrase and near each other. Only the words are scored with bm25: bm25 counts every
    phrase it scores over the whole index first (18 ms for a two-word phrase of common words at
    100,000 articles), while telling which of ``ids`` hold a phrase reads only them.

    ``keys`` (each id's rowid in articles_fts_dated) are given when ``ids`` are the newest published
    matches: their ids spread over the whole archive, their keys over a stretch of dates, so the words
    are scored on the dated index (the same documents, so the same bm25) over the keys' range, which
    holds few other articles, and the exact spelling is looked up id by id when they are spread
    (LOOKUP_SPREAD).
    """
    words = list(dict.fromkeys(word for term in query.terms for word in term.folded))
    weights = {"wt": TITLE_WEIGHT, "ws": SAPO_WEIGHT, "wb": BODY_WEIGHT}
    # The words of every term, each group any of its terms: what every match has, without phrases.
    groups = [" OR ".join("(" + " AND ".join(f'"{w}"' for w in term.folded) + ")" for term in group)
              for group in query.groups]  # fmt: skip
    words_expression = " AND ".join(f"({group})" for group in groups)
    if keys is None:
        folded_index, folded_keys = "articles_fts", ids
    else:
        folded_index, folded_keys = "articles_fts_dated", [keys[article_id] for article_id in ids]
    bm25 = f"-bm25({folded_index}, :wt, :ws, :wb)"
    rows = _in_range(session, folded_index, words_expression, folded_keys, bm25, weights)
    scored = {int(row[0]) & _ID_MASK: float(row[1]) for row in rows}
    best = max(scored.values(), default=0.0) or 1.0
    bonuses = [("articles_fts_exact", fts5_exact_bonus(query), EXACT_BONUS)]
    if len(words) > 1 and len(query.terms) > 1:  # (one term: every match has the words together)
        sequence = tuple(word for term in query.terms for word in term.folded)
        near = " ".join(f'"{word}"' for word in words)
        bonuses.append((folded_index, _fts_phrase(sequence), PHRASE_BONUS))
        bonuses.append((folded_index, f"NEAR({near}, {NEAR_DISTANCE})", NEAR_BONUS))
    for index, expression, share in bonuses:
        if expression is None:
            continue
        if index == "articles_fts_exact":
            spread = keys is not None and max(ids) - min(ids) > LOOKUP_SPREAD * len(ids)
            found = (
                _at_ids(session, index, expression, ids)
                if spread
                else _in_range(session, index, expression, ids)
            )
        else:
            found = _in_range(session, index, expression, folded_keys)
        for row in found:
            article_id = int(row[0]) & _ID_MASK  # an id below 2^31 is its own key's low bits
            scored[article_id] = scored.get(article_id, 0.0) + share * best
    return scored


# The exact-spelling bonus of ids read in date order is looked up id by id when their range spans more
# than this many articles per id: a lookup costs some 0.03-0.3 ms, reading the range some 0.02-0.4 µs
# per article in it (at 100,000 articles the range was 3 ms against 20-57 for 500 lookups; at a
# million, 23-365 against 15-150).
LOOKUP_SPREAD = 1000


def _at_ids(session: Session, table: str, expression: str, ids: list[int]) -> list[Any]:
    """Return (rowid,) of the rows of ``ids`` that match ``expression`` in FTS5 ``table``, looked up
    one id at a time: for ids spread over the whole archive, where reading their range reads nearly
    every match of the expression (0.8 s at a million articles)."""
    statement = (
        f"SELECT rowid FROM {table} WHERE {table} MATCH :q AND rowid IN (SELECT value FROM json_each(:ids))"
    )
    return _fetch(session, statement, {"q": expression, "ids": json.dumps(ids)})


def _in_range(
    session: Session,
    table: str,
    expression: str,
    ids: list[int],
    column: str = "0",
    params: dict[str, float] | None = None,
) -> list[Any]:
    """Return (rowid, ``column``) of the rows of ``ids`` that match ``expression`` in FTS5 ``table``."""
    # FTS5 seeks to the rowid range and reads only it; "+rowid IN" is checked by SQLite on each row of
    # the range, before ``column`` is computed (FTS5 given the list itself runs the match once per id).
    # The ids travel as one JSON text: hundreds of bound parameters cost more to render than the query.
    statement = (
        f"SELECT rowid, {column} FROM {table} WHERE {table} MATCH :q AND rowid BETWEEN :lo AND :hi"
        " AND +rowid IN (SELECT value FROM json_each(:ids))"
    )
    values = {"q": expression, "lo": min(ids), "hi": max(ids), "ids": json.dumps(ids), **(params or {})}
    return _fetch(session, statement, values)


def _fetch(session: Session, statement: str, values: dict[str, Any]) -> list[Any]:
    """Run ``statement`` straight on the driver (sqlite3 takes :name parameters): no compiling, no row
    processing, for the scoring queries run on every search."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(statement, values)
        return list(cursor.fetchall())
    finally:
        cursor.close()
