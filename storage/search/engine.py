"""Full-text search over archived articles, ranked alike on SQLite (FTS5 bm25) and PostgreSQL (ts_rank_cd).

The score of an article is its relevance to the query without diacritics (title weighed above sapo above
body), plus a bonus when the words typed with diacritics match with exactly those diacritics, plus a
bonus when the query's words stand together (as a phrase, or near each other). Ties go to the most
recently published. The weights and bonuses are in storage.search.ranking, each database's queries in
storage.search.sqlite and storage.search.postgres, and the indexes in migration 0007.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, literal_column, select
from sqlalchemy.orm import Session

from storage.models import Article, Portal
from storage.search import postgres, sqlite
from storage.search.filters import SearchFilters
from storage.search.query import Query, parse_query
from storage.search.snippets import Highlighted, highlight, snippet

# A query matching more articles than this ranks the RANK_WINDOW most recently archived ones (rowid
# order, which both indexes read newest first and stop early) and lists the older matches after them,
# newest published first; --sort date reaches everything. Scoring costs about 3 µs (SQLite bm25) to
# 20 µs (PostgreSQL ts_rank_cd on a stored tsvector) per article, and finding the window about as much:
# with 100,000 articles a common word matches 60,000, and ranking all of them took 0.4 s / 1 s.
RANK_WINDOW = 500
# Matches are counted up to this many; beyond, a search says "more than COUNT_LIMIT" (SearchPage.exact
# is False): an exact count reads every match (60,000 status checks for a common word, 0.1 s on
# SQLite and over 1 s on PostgreSQL), and a page of results needs only the newest ones. Reading the
# newest matches costs some 5 µs (SQLite) to 10 µs (PostgreSQL) per match: 500 keep a search in 50 ms.
COUNT_LIMIT = 500

# A query with at most this many matches is sorted by date whole, its matches read newest archived
# first (cheap, as above); past it, a date-ordered page walks the publication-date index instead.
DATE_BOUND = 2000

SORTS = ("relevance", "date")


@dataclass(frozen=True)
class SearchHit:
    """One matching article; ``score`` is higher for better matches (comparable within one search)."""

    id: int
    url: str
    portal: str | None
    portal_name: str | None
    title: Highlighted
    published_at: datetime | None
    snippet: Highlighted
    score: float
    language: str
    status: str


@dataclass(frozen=True)
class SearchPage:
    """One page of results: ``total`` matching articles, ``hits`` of page ``page`` (from 1).

    When ``exact`` is False there are more than ``total`` matches (the count stopped at COUNT_LIMIT).
    """

    total: int
    page: int
    limit: int
    hits: list[SearchHit] = field(default_factory=list)
    exact: bool = True

    @property
    def pages(self) -> int:
        """The number of pages; when the count is not exact, at least one past those counted."""
        counted = max(1, -(-self.total // self.limit))
        return counted if self.exact else max(counted, self.page) + 1

    @property
    def total_text(self) -> str:
        """The count as shown: "1234", or "more than 500" when the count stopped short."""
        return str(self.total) if self.exact else f"more than {self.total}"


def search_articles(
    session: Session,
    query: str | Query,
    filters: SearchFilters | None = None,
    *,
    limit: int = 20,
    page: int = 1,
    sort: str = "relevance",
) -> SearchPage:
    """Return page ``page`` (``limit`` per page) of the articles matching ``query``, best first.

    ``sort`` is "relevance" (ties: newest first) or "date" (newest first). The count is exact up to
    COUNT_LIMIT matches (DATE_BOUND for a page ordered by date); beyond, ``total`` is COUNT_LIMIT and
    ``exact`` False ("more than"), unless the page is the last one (then every match was counted).
    Raises storage.search.query.QueryError for a query with nothing to search for, ValueError for a
    bad sort or page, sqlalchemy errors only for database failures.
    """
    parsed = parse_query(query) if isinstance(query, str) else query
    filters = filters or SearchFilters()
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r} (choose from {', '.join(SORTS)})")
    if limit < 1 or page < 1:
        raise ValueError("limit and page must be at least 1")
    offset = (page - 1) * limit
    window = RANK_WINDOW if sort == "relevance" else 0
    # The newest matches (archiving order, which both indexes read cheaply), one more than needed:
    # enough to rank the window and to count up to COUNT_LIMIT without touching every match; up to
    # DATE_BOUND when the page wanted is ordered by date, so that a query with fewer matches is sorted
    # here, whole, and only a common one walks the date index.
    by_date = sort == "date" or offset + limit > window
    wanted = max(window, COUNT_LIMIT, DATE_BOUND if by_date else 0) + 1
    newest, dated, keys = _newest_matches(session, parsed, filters, wanted)
    complete = len(newest) < wanted  # every match is in ``newest``
    total, exact = len(newest), True
    if not complete and total > COUNT_LIMIT:
        total, exact = COUNT_LIMIT, False
    scores: dict[int, float] = {}
    rows: list[tuple[int, float]] = []
    ranked = newest[:window]
    if sort == "relevance":
        scores = _scores(session, parsed, [row[0] for row in ranked], keys)

        # best first; ties: published (undated last), newest first, then most recently archived
        ranked.sort(
            key=lambda row: (scores.get(row[0], 0.0), row[1] is not None, row[1] or "", row[0]), reverse=True
        )
        rows = [
            (article_id, scores.get(article_id, 0.0)) for article_id, _ in ranked[offset : offset + limit]
        ]
    wanted_rest, rest_offset = limit - len(rows), max(0, offset + len(rows) - window)
    if wanted_rest and len(newest) > window:
        # past the ranked window (all of a date sort): the older matches, newest published first
        if complete:
            rest = sorted(newest[window:], key=_newest_published, reverse=True)
            rows += [(article_id, 0.0) for article_id, _ in rest[rest_offset : rest_offset + wanted_rest]]
        else:
            if dated:  # the window is the newest published: the rest is the date order past it
                found = _by_date(session, parsed, filters, wanted_rest, window + rest_offset)
            else:
                below = newest[window - 1][0] if window else None
                found = _by_date(session, parsed, filters, wanted_rest, rest_offset, below=below)
            if found and len(found) < wanted_rest:  # the last page: the count is known exactly
                total, exact = window + rest_offset + len(found), True
            rows += found
    hits = _hits(session, parsed, [row[0] for row in rows], dict(rows))
    return SearchPage(total, page, limit, hits, exact=exact)


def _newest_matches(
    session: Session, query: Query, filters: SearchFilters, limit: int
) -> tuple[list[tuple[int, Any]], bool, dict[int, int] | None]:
    """Return (id, published_at) of the ``limit`` most recently archived matches, newest first, False
    and None; or, on SQLite with a portal or date filter, of the newest published matches, True and
    each one's key in the date-keyed index (which scores them: storage.search.sqlite.scores).

    published_at comes as the database stores it (SQLite: an ISO text in UTC), only to be compared:
    converting hundreds of values to datetimes took longer than finding them.
    """
    if _dated_order(session, filters):
        rows = sqlite.newest_published(session, query, filters, limit, (sqlite.DATED_KEY,))
        return [(row[0], row[1]) for row in rows], True, {row[0]: int(row[2]) for row in rows}
    rows = _newest_archived(session, query, filters, limit, ())
    return [(row[0], row[1]) for row in rows], False, None


def newest_match_rows(
    session: Session, query: Query, filters: SearchFilters, limit: int, columns: tuple[Any, ...] = ()
) -> list[tuple[Any, ...]]:
    """Return (id, published_at, *``columns``) of the ``limit`` newest matches, read in the cheap order
    of the indexes: archiving (newest first), or publication on SQLite with a portal or date filter
    (storage.search.counts counts these)."""
    if _dated_order(session, filters):
        return sqlite.newest_published(session, query, filters, limit, columns)
    return _newest_archived(session, query, filters, limit, columns)


def _newest_archived(
    session: Session, query: Query, filters: SearchFilters, limit: int, columns: tuple[Any, ...]
) -> list[tuple[Any, ...]]:
    """(id, published_at, *``columns``) of the ``limit`` most recently archived matches, newest first."""
    published: ColumnElement[Any] = literal_column("articles.published_at")
    if session.get_bind().dialect.name == "postgresql":
        return postgres.newest_matches(session, query, filters, limit, (published, *columns))
    statement, order = _matches(session, query, filters)
    statement = statement.add_columns(published, *columns)
    statement = statement.order_by(order.desc()).limit(limit)
    return [(int(row[0]), *row[1:]) for row in session.execute(statement)]


def _dated_order(session: Session, filters: SearchFilters) -> bool:
    """Whether the newest matches are read in publication order: on SQLite with a portal or date filter."""
    narrow = filters.portals or filters.since is not None or filters.until is not None
    return bool(narrow) and session.get_bind().dialect.name != "postgresql"


def _newest_published(row: tuple[int, Any]) -> tuple[bool, Any, int]:
    """Sort key of (id, published_at) rows, descending: newest published first, undated last."""
    return (row[1] is not None, row[1] or "", row[0])


def _by_date(
    session: Session, query: Query, filters: SearchFilters, limit: int, offset: int, below: int | None = None
) -> list[tuple[int, float]]:
    """Return (id, score 0) of matches (older than id ``below`` if given), newest published first.

    Only for a query with more than DATE_BOUND matches. SQLite reads its date-keyed full-text index
    (storage.search.sqlite.dated_page): some offset + limit matches. PostgreSQL walks the publication
    date's index newest first, testing each article: some (offset + limit) / (share of matches).
    """
    module = postgres if session.get_bind().dialect.name == "postgresql" else sqlite
    return [
        (article_id, 0.0) for article_id in module.dated_page(session, query, filters, limit, offset, below)
    ]


def _scores(
    session: Session, query: Query, ids: list[int], keys: dict[int, int] | None = None
) -> dict[int, float]:
    """Return the relevance score of each article of ``ids`` (all matches of ``query``); ``keys``, the
    ids' keys in SQLite's date-keyed index when they were read from it."""
    if not ids:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        return postgres.scores(session, query, ids)
    return sqlite.scores(session, query, ids, keys)


def _matches(session: Session, query: Query, filters: SearchFilters) -> tuple[Select[Any], Any]:
    """Return a SELECT of the matching ids, and the id column to order by for reading newest first."""
    if session.get_bind().dialect.name == "postgresql":
        return postgres.matches(query, filters), Article.id
    return sqlite.matches(session, query, filters)


def _hits(session: Session, query: Query, ids: list[int], scores: dict[int, float]) -> list[SearchHit]:
    if not ids:
        return []
    rows = session.execute(
        select(
            Article.id,
            Article.url,
            Portal.key,
            Portal.name,
            Article.title,
            Article.published_at,
            Article.sapo,
            Article.text,
            Article.language,
            Article.status,
        )  # fmt: skip
        .outerjoin(Portal, Portal.id == Article.portal_id)
        .where(Article.id.in_(ids))
    ).all()
    by_id = {row.id: row for row in rows}
    hits = []
    for article_id in ids:
        row = by_id[article_id]
        body = "\n".join(part for part in (row.sapo, row.text) if part)
        hits.append(
            SearchHit(
                id=row.id,
                url=row.url,
                portal=row.key,
                portal_name=row.name,
                title=highlight(row.title or "", query),
                published_at=row.published_at,
                snippet=snippet(body, query),
                score=scores[article_id],
                language=row.language,
                status=row.status,
            )  # fmt: skip
        )
    return hits
