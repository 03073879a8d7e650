"""Full-text search over archived articles, ranked alike on SQLite (FTS5 bm25) and PostgreSQL (ts_rank_cd).

The score of an article is its relevance to the query without diacritics (title weighed above sapo above
body), plus a bonus when the words typed with diacritics match with exactly those diacritics, plus a
bonus when the query's words stand together (as a phrase, or near each other). Ties go to the most
recently published. See migration 0007 for the indexes.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    column,
    exists,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.exc import CompileError
from sqlalchemy.orm import Session

from storage.cli.output import Highlighted
from storage.models import Article, CaptureStatus, Portal
from storage.search.query import Query, Term, parse_query
from storage.search.snippets import highlight, snippet

# Relative weight of a match in the title, the sapo and the body: set by hand, checked by the relevance
# test on the replica (tests/unit/test_search_relevance.py), where a title phrase must beat articles
# that repeat the same words all over their body.
TITLE_WEIGHT, SAPO_WEIGHT, BODY_WEIGHT = 10.0, 4.0, 1.0
# Bonuses, in shares of the best relevance (bm25 / ts_rank_cd) among the ranked matches: for spelling
# every accented word as typed, for the query's words as a phrase, and near each other (SQLite; on
# PostgreSQL ts_rank_cd's cover density rewards nearness itself). An article matching "nồng độ cồn"
# exactly outranks every one matching only "nông đỗ còn" (2 is more than the phrase and proximity
# bonuses and any relevance can add); an adjacent occurrence beats scattered ones.
EXACT_BONUS, PHRASE_BONUS, NEAR_BONUS = 2.0, 0.5, 0.25
# Words apart that still count as "near" for the proximity bonus (about one sentence).
NEAR_DISTANCE = 10
# PostgreSQL weights array is {D, C, B, A}; A = title, B = sapo, C = body (migration 0007).
PG_WEIGHTS = "{0, %s, %s, 1.0}" % (BODY_WEIGHT / TITLE_WEIGHT, SAPO_WEIGHT / TITLE_WEIGHT)  # noqa: UP031
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
# ts_rank_cd normalisation 1: divide by 1 + log(document length), so long articles do not win by size.
PG_NORMALISATION = 1

SORTS = ("relevance", "date")
_FOLDED = table("articles_fts", column("rowid"))
_EXACT = table("articles_fts_exact", column("rowid"))

SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class SearchFilters:
    """What to search among. Empty tuples mean any; ``statuses`` defaults to archived articles only.

    ``since`` (inclusive) and ``until`` (exclusive) are tz-aware instants compared with published_at;
    ``author`` matches a part of the author (case-insensitive for ASCII letters); ``category`` one of
    the article's categories exactly.
    """

    portals: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    languages: tuple[str, ...] = ()
    statuses: tuple[str, ...] = (CaptureStatus.ARCHIVED.value,)
    author: str | None = None
    category: str | None = None


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


def filter_articles(statement: SelectT, filters: SearchFilters, dialect: str) -> SelectT:
    """Restrict an article query (outer-joined to Portal) to ``filters``; ``dialect`` names the database."""
    if filters.statuses:
        statement = statement.where(Article.status.in_(filters.statuses))
    if filters.portals:  # by id: no join to portals, so the database keeps its order of tables
        statement = statement.where(
            Article.portal_id.in_(select(Portal.id).where(Portal.key.in_(filters.portals)))
        )
    if filters.languages:
        statement = statement.where(Article.language.in_(filters.languages))
    if filters.since is not None:
        statement = statement.where(Article.published_at >= filters.since)
    if filters.until is not None:
        statement = statement.where(Article.published_at < filters.until)
    if filters.author:
        statement = statement.where(Article.author.ilike(f"%{_escape_like(filters.author)}%", escape="\\"))
    if filters.category:
        statement = statement.where(_has_category(filters.category, dialect))
    return statement


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _has_category(category: str, dialect: str) -> ColumnElement[bool]:
    # categories is a JSON list; each database has its own function to look inside one.
    function = func.json_array_elements_text if dialect == "postgresql" else func.json_each
    elements = function(Article.categories).table_valued("value")
    return exists(select(literal(1)).select_from(elements).where(elements.c.value == category))


# --- FTS5 query strings ---------------------------------------------------------------------------


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


def exact_groups(query: Query) -> list[tuple[Term, ...]]:
    """Return the groups whose every term was typed with diacritics: the articles spelling all of them
    exactly are the exact-diacritic matches (a group with an unaccented term accepts any spelling)."""
    return [group for group in query.groups if all(term.accented for term in group)]


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


# --- search ---------------------------------------------------------------------------------------


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
    COUNT_LIMIT matches; beyond, ``total`` is COUNT_LIMIT and ``exact`` False ("more than"), unless the
    page asked for lies past the ranked window (then it is counted). Raises storage.search.query.QueryError
    for a query with nothing to search for, ValueError for a bad sort or page, sqlalchemy errors only
    for database failures.
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
    # enough to rank the window and to count up to COUNT_LIMIT without touching every match.
    newest = _newest_matches(session, parsed, filters, max(window, COUNT_LIMIT) + 1)
    total, exact = len(newest), True
    if total > COUNT_LIMIT:
        total, exact = COUNT_LIMIT, False
    scores: dict[int, float] = {}
    rows: list[tuple[int, float]] = []
    if sort == "relevance":
        ranked = newest[:window]
        scores = _scores(session, parsed, [row[0] for row in ranked])

        # best first; ties: published (undated last), newest first, then most recently archived
        ranked.sort(
            key=lambda row: (scores.get(row[0], 0.0), row[1] is not None, row[1] or "", row[0]), reverse=True
        )
        rows = [
            (article_id, scores.get(article_id, 0.0)) for article_id, _ in ranked[offset : offset + limit]
        ]
        if len(rows) < limit and len(newest) > window:
            # past the ranked window: the older matches, newest published first
            rows += _by_date(session, parsed, filters, limit - len(rows), max(0, offset + len(rows) - window),
                             below=newest[window - 1][0] if window else None)  # fmt: skip
    else:
        rows = _by_date(session, parsed, filters, limit, offset)
    if not exact and (not rows or (sort == "relevance" and offset + limit > window)):
        # deep pages (rare) get the exact count: the matches past the window were read anyway
        counted = matching_ids(session, parsed, filters).subquery()
        total, exact = session.scalar(select(func.count()).select_from(counted)) or 0, True
    hits = _hits(session, parsed, [row[0] for row in rows], dict(rows))
    return SearchPage(total, page, limit, hits, exact=exact)


def _newest_matches(
    session: Session, query: Query, filters: SearchFilters, limit: int
) -> list[tuple[int, Any]]:
    """Return (id, published_at) of the ``limit`` most recently archived matches, newest first.

    published_at comes as the database stores it (SQLite: an ISO text in UTC), only to be compared:
    converting hundreds of values to datetimes took longer than finding them.
    """
    statement, order = _matches(session, query, filters)
    published: ColumnElement[Any] = literal_column("articles.published_at")
    statement = statement.add_columns(published)
    if session.get_bind().dialect.name == "postgresql":
        return _pg_newest(session, statement, limit)
    statement = statement.order_by(order.desc()).limit(limit)
    return [(int(row[0]), row[1]) for row in session.execute(statement)]


def _pg_newest(session: Session, statement: Select[Any], limit: int) -> list[tuple[int, Any]]:
    """PostgreSQL: the newest ``limit`` matches of ``statement``, read from the GIN index among the most
    recently archived articles, a range widened until it holds ``limit`` matches or every article.

    Walking the primary key newest first (the planner's choice) tests each article's tsvector, read
    from TOAST (some 10 µs each); the GIN index ANDed with a range of ids visits only the matches in
    it. The range starts where the planner's estimate of the matches puts ``limit`` of them (1.5 times
    that), and grows fourfold.
    """
    newest = session.scalar(select(func.max(Article.id))) or 0
    share = max(_pg_share(session, statement), 1e-6)
    span = int(limit / share * 1.5) + 1
    ordered = statement.order_by((Article.id + 0).desc()).limit(limit)  # not the key's order
    session.execute(text("SET LOCAL enable_indexscan = off"))  # bitmaps: GIN AND the id range
    try:
        while True:
            lowest = newest - span
            bounded = ordered.where(Article.id > lowest) if lowest > 0 else ordered
            rows = [(int(row[0]), row[1]) for row in session.execute(bounded)]
            if len(rows) >= limit or lowest <= 0:
                return rows
            span *= 4
    finally:
        session.execute(text("SET LOCAL enable_indexscan = on"))


def _pg_share(session: Session, statement: Select[Any]) -> float:
    """The planner's estimate of the share of articles ``statement`` matches (PostgreSQL)."""
    try:
        compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    except (CompileError, NotImplementedError):  # a value without a literal form: assume all match
        return 1.0
    plan = session.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    expected = float(plan[0]["Plan"]["Plan Rows"])
    articles = session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'articles'")) or 0
    return min(1.0, expected / max(1.0, float(articles)))


def _by_date(
    session: Session, query: Query, filters: SearchFilters, limit: int, offset: int, below: int | None = None
) -> list[tuple[int, float]]:
    """Return (id, score 0) of matches (older than id ``below`` if given), newest published first."""
    ids = matching_ids(session, query, filters).subquery()
    statement = select(Article.id).join(ids, ids.c.id == Article.id)
    if below is not None:
        statement = statement.where(Article.id < below)
    statement = statement.order_by(
        Article.published_at.is_(None), Article.published_at.desc(), Article.id.desc()
    )
    return [(int(article_id), 0.0) for article_id in session.scalars(statement.offset(offset).limit(limit))]


def _scores(session: Session, query: Query, ids: list[int]) -> dict[int, float]:
    """Return the relevance score of each article of ``ids`` (all matches of ``query``)."""
    if not ids:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        return _pg_scores(session, query, ids)
    return _sqlite_scores(session, query, ids)


def matching_ids(session: Session, query: str | Query, filters: SearchFilters | None = None) -> Select[Any]:
    """Return a SELECT of the ids of every article matching ``query`` and ``filters`` (for facets)."""
    parsed = parse_query(query) if isinstance(query, str) else query
    return _matches(session, parsed, filters or SearchFilters(), newest_first=False)[0]


def _matches(
    session: Session, query: Query, filters: SearchFilters, *, newest_first: bool = True
) -> tuple[Select[Any], Any]:
    """Return a SELECT of the matching ids, and the id column to order by for reading newest first.

    ``newest_first`` False: for reading every match (counts, facets), as a list SQLite builds once.
    """
    if session.get_bind().dialect.name == "postgresql":
        statement = select(Article.id).where(_pg_condition(query))
        return filter_articles(statement, filters, "postgresql"), Article.id
    narrow = filters.portals or filters.since is not None or filters.until is not None
    if narrow or not newest_first:
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


def _sqlite_scores(session: Session, query: Query, ids: list[int]) -> dict[int, float]:
    """Return the score of each article of ``ids``, all matches of ``query`` (SQLite).

    bm25() of the query's words (title, sapo, body weighted), plus bonuses in shares of the best such
    score among ``ids``: EXACT_BONUS for spelling every accented word as typed, then for the
    words as a phrase and near each other. Only the words are scored with bm25: bm25 counts every
    phrase it scores over the whole index first (18 ms for a two-word phrase of common words at
    100,000 articles), while telling which of ``ids`` hold a phrase reads only them.
    """
    words = list(dict.fromkeys(word for term in query.terms for word in term.folded))
    weights = {"wt": TITLE_WEIGHT, "ws": SAPO_WEIGHT, "wb": BODY_WEIGHT}
    # The words of every term, each group any of its terms: what every match has, without phrases.
    groups = [" OR ".join("(" + " AND ".join(f'"{w}"' for w in term.folded) + ")" for term in group)
              for group in query.groups]  # fmt: skip
    words_expression = " AND ".join(f"({group})" for group in groups)
    bm25 = "-bm25(articles_fts, :wt, :ws, :wb)"
    rows = _in_range(session, "articles_fts", words_expression, ids, bm25, weights)
    scores = {int(row[0]): float(row[1]) for row in rows}
    best = max(scores.values(), default=0.0) or 1.0
    bonuses = [("articles_fts_exact", fts5_exact_bonus(query), EXACT_BONUS)]
    if len(words) > 1 and len(query.terms) > 1:  # (one term: every match has the words together)
        sequence = tuple(word for term in query.terms for word in term.folded)
        near = " ".join(f'"{word}"' for word in words)
        bonuses.append(("articles_fts", _fts_phrase(sequence), PHRASE_BONUS))
        bonuses.append(("articles_fts", f"NEAR({near}, {NEAR_DISTANCE})", NEAR_BONUS))
    for index, expression, share in bonuses:
        if expression is not None:
            for row in _in_range(session, index, expression, ids):
                scores[int(row[0])] = scores.get(int(row[0]), 0.0) + share * best
    return scores


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
    # Straight to the driver (sqlite3 takes :name parameters): no compiling, no row processing.
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(statement, values)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _tsquery(terms: tuple[Term, ...] | list[Term], folded: bool, combine: str) -> ColumnElement[Any]:
    parts = [func.phraseto_tsquery(literal_column("'simple'"), " ".join(t.folded if folded else t.words))
             for t in terms]  # fmt: skip
    result = parts[0]
    for part in parts[1:]:
        result = getattr(func, combine)(result, part)
    return result


def _pg_vectors() -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    return literal_column("articles.search_vector"), literal_column("articles.search_vector_exact")


def _pg_condition(query: Query) -> ColumnElement[bool]:
    """Return the condition on ``articles`` of matching ``query`` (PostgreSQL; GIN-indexed)."""
    folded_vector, exact_vector = _pg_vectors()
    groups = [_tsquery(group, True, "tsquery_or") for group in query.groups]
    tsquery = groups[0]
    for group in groups[1:]:
        tsquery = func.tsquery_and(tsquery, group)
    folded_excluded = [term for term in query.excluded if not term.accented]
    if folded_excluded:
        tsquery = func.tsquery_and(tsquery, func.tsquery_not(_tsquery(folded_excluded, True, "tsquery_or")))
    condition: ColumnElement[bool] = folded_vector.op("@@")(tsquery)
    exact_excluded = [term for term in query.excluded if term.accented]
    if exact_excluded:
        condition = condition & ~exact_vector.op("@@")(_tsquery(exact_excluded, False, "tsquery_or"))
    return condition


def _pg_scores(session: Session, query: Query, ids: list[int]) -> dict[int, float]:
    """Return the score of each article of ``ids``, all matches of ``query`` (PostgreSQL).

    ts_rank_cd of the query (title, sapo, body weighted; cover density rewards words near each other),
    plus, as on SQLite, shares of the best such score among ``ids``: EXACT_BONUS for spelling
    every accented word as typed, PHRASE_BONUS for the words as a phrase. Each ts_rank_cd
    reads the article's tsvector from TOAST again (some 10 µs): one per article, the rest are tests.
    """
    folded_vector, exact_vector = _pg_vectors()
    groups = [_tsquery(group, True, "tsquery_or") for group in query.groups]
    tsquery = groups[0]
    for group in groups[1:]:
        tsquery = func.tsquery_and(tsquery, group)
    weights: ColumnElement[Any] = literal_column(f"'{PG_WEIGHTS}'::float4[]")
    columns: list[ColumnElement[Any]] = [func.ts_rank_cd(weights, folded_vector, tsquery, PG_NORMALISATION)]
    shares = []
    exact_only = exact_groups(query)
    if exact_only:
        exact = _tsquery(exact_only[0], False, "tsquery_or")
        for more in exact_only[1:]:
            exact = func.tsquery_and(exact, _tsquery(more, False, "tsquery_or"))
        sequence = query.sequence()
        whole = len(exact_only) == len(query.groups) and all(len(group) == 1 for group in exact_only)
        if len(sequence) > 1 and whole:
            exact = func.tsquery_or(
                exact, func.phraseto_tsquery(literal_column("'simple'"), " ".join(sequence))
            )
        columns.append(exact_vector.op("@@")(exact))
        shares.append(EXACT_BONUS)
    folded_words = tuple(word for term in query.terms for word in term.folded)
    if len(folded_words) > 1 and len(query.terms) > 1:  # (one term: every match has it as a phrase)
        phrase = func.phraseto_tsquery(literal_column("'simple'"), " ".join(folded_words))
        columns.append(folded_vector.op("@@")(phrase))
        shares.append(PHRASE_BONUS)
    rows = session.execute(select(Article.id, *columns).where(Article.id.in_(ids))).all()
    best = max((float(row[1]) for row in rows), default=0.0) or 1.0
    return {
        int(row[0]): float(row[1])
        + best * sum(share for share, hit in zip(shares, row[2:], strict=True) if hit)
        for row in rows
    }


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
