"""Full-text search over archived articles, ranked alike on SQLite (FTS5 bm25) and PostgreSQL (ts_rank_cd).

The score of an article is its relevance to the query without diacritics (title weighed above sapo above
body), plus a bonus when the words typed with diacritics match with exactly those diacritics, plus a
bonus when the query's words stand together (as a phrase, or near each other). Ties go to the most
recently published. See migration 0007 for the indexes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    column,
    exists,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from storage.models import Article, CaptureStatus, Portal
from storage.output import Highlighted
from storage.query import Query, Term, parse_query
from storage.snippets import highlight, snippet

# Relative weight of a match in the title, the sapo and the body: set by hand, checked by the relevance
# test on the replica (tests/unit/test_search_relevance.py), where a title phrase must beat articles
# that repeat the same words all over their body.
TITLE_WEIGHT, SAPO_WEIGHT, BODY_WEIGHT = 10.0, 4.0, 1.0
# Bonus multipliers on the exact-diacritic score and on the phrase/proximity score. With 1.0 an article
# matching "nồng độ cồn" exactly outranks one matching "nông đỗ còn" even when the latter has the words
# more often; the phrase bonus lets an adjacent occurrence beat scattered ones.
EXACT_BONUS = 1.0
PHRASE_BONUS = 1.0
# Words apart that still count as "near" for the proximity bonus (about one sentence).
NEAR_DISTANCE = 10
# PostgreSQL weights array is {D, C, B, A}; A = title, B = sapo, C = body (migration 0007).
PG_WEIGHTS = "{0, %s, %s, 1.0}" % (BODY_WEIGHT / TITLE_WEIGHT, SAPO_WEIGHT / TITLE_WEIGHT)  # noqa: UP031
# A query matching more articles than this ranks the RANK_WINDOW most recently archived ones (rowid
# order, which both indexes read cheaply) and lists the older matches after them, newest published
# first; the count is always exact and --sort date reaches everything. Scoring every match costs about
# 1 µs (SQLite bm25) to 20 µs (PostgreSQL ts_rank_cd on a stored tsvector) per article: with 100,000
# articles a common word matches 60,000 and took 0.4 s / 1 s to rank in full (make bench-search).
RANK_WINDOW = 2000
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
    """One page of results: ``total`` matching articles, ``hits`` of page ``page`` (from 1)."""

    total: int
    page: int
    limit: int
    hits: list[SearchHit] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))


def filter_articles(statement: SelectT, filters: SearchFilters, dialect: str) -> SelectT:
    """Restrict an article query (outer-joined to Portal) to ``filters``; ``dialect`` names the database."""
    if filters.statuses:
        statement = statement.where(Article.status.in_(filters.statuses))
    if filters.portals:
        statement = statement.where(Portal.key.in_(filters.portals))
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
    # Words hold only letters and digits (storage.query.WORD), so quoting them needs no escaping.
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


def fts5_phrase_bonus(query: Query) -> str | None:
    """Return the FTS5 expression rewarding the query's words together (phrase or near), or None."""
    folded = tuple(word for term in query.terms for word in term.folded)
    if len(folded) < 2:
        return None
    near = " ".join(f'"{word}"' for word in folded)
    return f"{_fts_phrase(folded)} OR NEAR({near}, {NEAR_DISTANCE})"


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

    ``sort`` is "relevance" (ties: newest first) or "date" (newest first). Raises storage.query.QueryError
    for a query with nothing to search for, ValueError for a bad sort or page, sqlalchemy errors only
    for database failures.
    """
    parsed = parse_query(query) if isinstance(query, str) else query
    filters = filters or SearchFilters()
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r} (choose from {', '.join(SORTS)})")
    if limit < 1 or page < 1:
        raise ValueError("limit and page must be at least 1")
    postgresql = session.get_bind().dialect.name == "postgresql"
    offset = (page - 1) * limit
    window_start: int | None = None
    total: int | None = None
    if sort == "relevance":
        window_start, total = _window_start(session, parsed, filters)
    score: ColumnElement[float]
    if postgresql:  # straight on articles: joining a match subquery back to articles scanned the table
        base = select(Article.id).where(_pg_condition(parsed))
        if window_start is not None:
            base = base.where(Article.id >= window_start)
        score = _pg_score(parsed) if sort == "relevance" else literal(0.0)
    else:
        matches, score = _sqlite(parsed, rank=sort == "relevance", min_id=window_start)
        base = select(Article.id).select_from(matches).join(Article, Article.id == matches.c.id)
    if filters.portals:  # the join costs a lookup per match, and SQLite then avoids the status index
        base = base.outerjoin(Portal, Portal.id == Article.portal_id)
    order: list[Any] = [score.desc()] if sort == "relevance" else []
    order += [Article.published_at.is_(None), Article.published_at.desc(), score.desc(), Article.id.desc()]
    # Without a window the count rides along the ranking (one pass over the matches instead of two).
    ranked = _filter(
        base.add_columns(score.label("score"), func.count().over().label("total")), filters, postgresql
    )
    rows = list(session.execute(ranked.order_by(*order).limit(limit).offset(offset)).all())
    if total is None:
        if rows:
            total = rows[0].total
        else:  # a page past the end
            counted = matching_ids(session, parsed, filters).subquery()
            total = session.scalar(select(func.count()).select_from(counted))
    total = total or 0
    if total > RANK_WINDOW and window_start is not None and len(rows) < limit and offset + len(rows) < total:
        # past the ranked window: the older matches, newest published first
        rows += _after_window(session, parsed, filters, window_start, offset + len(rows) - RANK_WINDOW,
                              limit - len(rows))  # fmt: skip
    by_id = {row.id: float(row.score) for row in rows}
    hits = _hits(session, parsed, [row.id for row in rows], by_id)
    return SearchPage(total or 0, page, limit, hits)


def _window_start(session: Session, query: Query, filters: SearchFilters) -> tuple[int | None, int]:
    """Return where scoring starts and the number of matches.

    The start is the id of the RANK_WINDOW-th newest match (found with the count in one pass), or with
    fewer matches the oldest one's: every match is then scored, and both indexes skip the rowids below
    it. None without matches.
    """
    ids = matching_ids(session, query, filters).subquery()
    statement = select(ids.c.id, func.count().over()).order_by(ids.c.id.desc())
    row = session.execute(statement.offset(RANK_WINDOW - 1).limit(1)).first()
    if row is not None:
        return int(row[0]), int(row[1])
    oldest, total = session.execute(select(func.min(ids.c.id), func.count()).select_from(ids)).one()
    return (int(oldest) if oldest is not None else None), int(total)


def _after_window(
    session: Session, query: Query, filters: SearchFilters, window_start: int, offset: int, limit: int
) -> list[Any]:
    """Return rows (id, score 0) of matches older than the ranked window, newest published first."""
    ids = matching_ids(session, query, filters).subquery()
    statement = (
        select(Article.id, literal(0.0).label("score"))
        .join(ids, ids.c.id == Article.id)
        .where(Article.id < window_start)
        .order_by(Article.published_at.is_(None), Article.published_at.desc(), Article.id.desc())
        .offset(max(0, offset))
        .limit(limit)
    )
    return list(session.execute(statement).all())


def matching_ids(session: Session, query: str | Query, filters: SearchFilters | None = None) -> Select[Any]:
    """Return a SELECT of the ids of every article matching ``query`` and ``filters`` (for facets)."""
    parsed = parse_query(query) if isinstance(query, str) else query
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        base = select(Article.id).where(_pg_condition(parsed))
    else:
        matches, _ = _sqlite(parsed, rank=False)
        base = select(Article.id).select_from(matches).join(Article, Article.id == matches.c.id)
    return _filter(
        base.outerjoin(Portal, Portal.id == Article.portal_id) if filters and filters.portals else base,
        filters or SearchFilters(),
        postgresql,
    )


def _filter(statement: SelectT, filters: SearchFilters, postgresql: bool) -> SelectT:
    return filter_articles(statement, filters, "postgresql" if postgresql else "sqlite")


def _sqlite(
    query: Query, *, rank: bool = True, min_id: int | None = None
) -> tuple[Any, ColumnElement[float]]:
    weights = (TITLE_WEIGHT, SAPO_WEIGHT, BODY_WEIGHT)
    base = select(_FOLDED.c.rowid.label("id")).where(text("articles_fts MATCH :q_base"))
    base = base.params(q_base=fts5_match(query))
    exclusion = fts5_exact_exclusion(query)
    if exclusion is not None:
        excluded = select(_EXACT.c.rowid).where(text("articles_fts_exact MATCH :q_not"))
        base = base.where(_FOLDED.c.rowid.not_in(excluded.params(q_not=exclusion).scalar_subquery()))
    if not rank:
        # Materialised, so the full-text match drives the query: otherwise SQLite may walk every
        # article of a status (an index) and run the match once per article.
        return base.cte("matches").prefix_with("MATERIALIZED"), literal(0.0)
    # Each part scores the articles it matches: -bm25() (bm25 is lower for better matches) times its
    # weight; an article's score is the sum over parts. Parts are UNION ALL + GROUP BY rather than outer
    # joins, which SQLite runs as nested loops over unindexed materialised results.
    parts = [base.add_columns((-func.bm25(literal_column("articles_fts"), *weights)).label("s"),
                              literal(1).label("base"))]  # fmt: skip
    exact = fts5_exact_bonus(query)
    if exact is not None:
        bm25 = func.bm25(literal_column("articles_fts_exact"), *weights)
        parts.append(
            select(_EXACT.c.rowid.label("id"), (-EXACT_BONUS * bm25).label("s"), literal(0).label("base"))
            .where(text("articles_fts_exact MATCH :q_exact"))
            .params(q_exact=exact)
        )
    phrase = fts5_phrase_bonus(query)
    if phrase is not None:
        bm25 = func.bm25(literal_column("articles_fts"), *weights)
        parts.append(
            select(_FOLDED.c.rowid.label("id"), (-PHRASE_BONUS * bm25).label("s"), literal(0).label("base"))
            .where(text("articles_fts MATCH :q_phrase"))
            .params(q_phrase=phrase)
        )
    # Materialised, so SQLite cannot flatten bm25() into a query where it is not allowed.
    if min_id is not None:  # FTS5 seeks to a rowid range: only the window is read and scored
        parts = [part.where(literal_column("rowid") >= min_id) for part in parts]
    every = union_all(*parts).cte("parts").prefix_with("MATERIALIZED")
    scored = (
        select(every.c.id.label("id"), func.sum(every.c.s).label("total"))
        .group_by(every.c.id)
        .having(func.max(every.c.base) == 1)
        .subquery("scored")
    )
    return scored, scored.c.total


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


def _pg_score(query: Query) -> ColumnElement[float]:
    """Return the score of an article for ``query`` (PostgreSQL), higher for better matches."""
    folded_vector, exact_vector = _pg_vectors()
    groups = [_tsquery(group, True, "tsquery_or") for group in query.groups]
    tsquery = groups[0]
    for group in groups[1:]:
        tsquery = func.tsquery_and(tsquery, group)
    weights: ColumnElement[Any] = literal_column(f"'{PG_WEIGHTS}'::float4[]")
    score: ColumnElement[float] = func.ts_rank_cd(weights, folded_vector, tsquery, PG_NORMALISATION)
    exact_only = exact_groups(query)
    if exact_only:
        exact = _tsquery(exact_only[0], False, "tsquery_or")
        for more in exact_only[1:]:
            exact = func.tsquery_and(exact, _tsquery(more, False, "tsquery_or"))
        sequence = query.sequence()
        whole = len(exact_only) == len(query.groups) and all(len(group) == 1 for group in exact_only)
        if len(sequence) > 1 and whole:
            together = func.phraseto_tsquery(literal_column("'simple'"), " ".join(sequence))
            exact = func.tsquery_or(exact, together)
        bonus = func.ts_rank_cd(weights, exact_vector, exact, PG_NORMALISATION)
        score = score + EXACT_BONUS * case((exact_vector.op("@@")(exact), bonus), else_=0.0)
    folded_words = tuple(word for term in query.terms for word in term.folded)
    if len(folded_words) > 1:
        phrase = func.phraseto_tsquery(literal_column("'simple'"), " ".join(folded_words))
        # A phrase counts wherever it stands: the words together anywhere beat one word in a title.
        flat: ColumnElement[Any] = literal_column("'{1, 1, 1, 1}'::float4[]")
        bonus = func.ts_rank_cd(flat, folded_vector, phrase, PG_NORMALISATION)
        score = score + PHRASE_BONUS * case((folded_vector.op("@@")(phrase), bonus), else_=0.0)
    return score


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
