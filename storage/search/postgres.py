"""Search on PostgreSQL: tsqueries over the weighted tsvectors (migration 0007), matches, scores."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Select, cast, func, literal, literal_column, select, text
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.exc import CompileError
from sqlalchemy.orm import Session

from storage.models import Article, Portal
from storage.search.filters import SearchFilters, filter_articles
from storage.search.query import Query, Term
from storage.search.ranking import (
    BODY_WEIGHT,
    EXACT_BONUS,
    PHRASE_BONUS,
    SAPO_WEIGHT,
    TITLE_WEIGHT,
    exact_groups,
)

# PostgreSQL weights array is {D, C, B, A}; A = title, B = sapo, C = body (migration 0007).
PG_WEIGHTS = "{0, %s, %s, 1.0}" % (BODY_WEIGHT / TITLE_WEIGHT, SAPO_WEIGHT / TITLE_WEIGHT)  # noqa: UP031
# ts_rank_cd normalisation 1: divide by 1 + log(document length), so long articles do not win by size.
PG_NORMALISATION = 1


def matches(query: Query, filters: SearchFilters, *, pairs: bool = True) -> Select[Any]:
    """Return a SELECT of the ids matching ``query`` and ``filters`` (the GIN index drives).

    ``pairs`` False leaves out the word-pair condition (the same matches): for the planner's estimate
    of their number, which it cannot make from the pairs' statistics (a pair is rarely common enough
    to be in them, so it guesses a few dozen where thousands match).
    """
    statement = select(Article.id).where(_condition(query, pairs=pairs))
    return filter_articles(statement, filters, "postgresql")


def dated_page(
    session: Session, query: Query, filters: SearchFilters, limit: int, offset: int, below: int | None = None
) -> list[int]:
    """Return the ids of page (``offset``, ``limit``) of the matches, newest published first (undated
    last, ties newest archived first), older than id ``below`` if given.

    The dated matches are read apart from the undated ones: the publication date's index, read
    backwards, puts NULLs first, so "NULLS LAST" in one query would sort every match. A common query
    walks that index and tests each article, stopping at the page; one matching fewer than
    DATE_WALK_SHARE of the articles is read from the GIN index ANDed with a range of recent dates
    instead (_newest_published), where the walk would test some (offset + limit) / share articles,
    each a tsvector read from TOAST (12,000 tests, 130 ms, for page 50 of a word in 4 % of a million).
    """
    statement = matches(query, filters)
    if below is not None:
        statement = statement.where(Article.id < below)
    dated = statement.where(Article.published_at.is_not(None))
    ordered = dated.order_by(Article.published_at.desc(), Article.id.desc())
    share = _words_share(session, query, filters)
    if share < DATE_WALK_SHARE:
        newest, every = _newest_published(session, ordered, offset + limit, share)
        ids = newest[offset : offset + limit]
        if len(ids) == limit:
            return ids
        counted = len(newest) if every else None
    else:
        ids = [int(article_id) for article_id in session.scalars(ordered.offset(offset).limit(limit))]
        if len(ids) == limit:
            return ids
        counted = None
    if counted is None:  # past the dated matches (each was read to get here, so counting costs no more)
        counted = session.scalar(select(func.count()).select_from(dated.subquery())) or 0
    undated = statement.where(Article.published_at.is_(None)).order_by(Article.id.desc())
    rest = undated.offset(max(0, offset - counted)).limit(limit - len(ids))
    return ids + [int(article_id) for article_id in session.scalars(rest)]


# A query matching fewer than this share of the articles is read by date from its GIN index ANDed with
# a date range (dated_page): walking the date index costs about (offset + limit) / share tests of 10 µs,
# the GIN index some 0.3 µs per match of the whole archive; they meet near a share of 0.13 for a page
# 500 deep at a million articles.
DATE_WALK_SHARE = 0.1


def _newest_published(
    session: Session, ordered: Select[Any], wanted: int, share: float
) -> tuple[list[int], bool]:
    """Return the ids of the ``wanted`` first matches of ``ordered`` (dated matches, newest published
    first), and whether they are every one of them.

    They are read among the articles published since a date that holds some wanted / share × 1.5 of
    them, a range grown as in newest_matches: every match older than the date comes after those in
    it, so the first ``wanted`` in the range are the first of all.
    """
    span = int(wanted / max(share, 1e-6) * 1.5) + 1
    while True:
        since = session.scalar(
            select(Article.published_at)
            .where(Article.published_at.is_not(None))
            .order_by(Article.published_at.desc())
            .offset(span)
            .limit(1)
        )
        bounded = ordered if since is None else ordered.where(Article.published_at >= since)
        restore = _set_locally(session, PLAN_SETTINGS)  # bitmaps: the GIN index AND the dates' range
        try:
            ids = [int(article_id) for article_id in session.scalars(bounded.limit(wanted))]
        finally:
            _set_locally(session, restore)
        if len(ids) >= wanted or since is None:
            return ids, since is None and len(ids) < wanted
        span = max(span * 4, int(span * wanted / max(len(ids), 1) * 1.5))


# The first id range newest_matches reads for a phrase spans at most this many articles per match
# wanted: matches making up 1/128 of the articles or more fill it at once; rarer ones grow it in a few
# rounds.
FIRST_SPAN_PER_ROW = 128
# The planner's settings while newest_matches reads (see there), and more for a phrase, whose pairs'
# index it underestimates (random_page_cost's default is 4).
PLAN_SETTINGS = {"enable_indexscan": "off", "jit": "off"}
PHRASE_PLAN_SETTINGS = {**PLAN_SETTINGS, "enable_seqscan": "off", "random_page_cost": "20"}


def newest_matches(
    session: Session, query: Query, filters: SearchFilters, limit: int, columns: tuple[Any, ...] = ()
) -> list[tuple[Any, ...]]:
    """Return (id, *``columns``) of the newest ``limit`` matches of ``query`` and ``filters``, read
    from the GIN indexes among the most recently archived articles, a range widened until it holds
    ``limit`` matches or every article.

    Walking the primary key newest first (the planner's choice) tests each article's tsvector, read
    from TOAST (some 10 µs each); the GIN index ANDed with a range of ids visits only the matches in
    it. The range starts where the planner's estimate of the matches puts ``limit`` of them (1.5 times
    that, from the words without their pairs, which it estimates better), bounded, and grows to where
    the matches found in it put ``limit`` of them, at least fourfold.
    """
    newest = session.scalar(select(func.max(Article.id))) or 0
    portals: list[ColumnElement[bool]] = []
    if filters.portals:
        # As ids: given the portals' keys (a join), the planner ANDs the portal's index and the date's,
        # given the ids it reads the two from their one index, ix_articles_portal_published (25 ms less
        # a read at a million articles).
        keys = Portal.key.in_(filters.portals)
        portals = [Article.portal_id.in_(list(session.scalars(select(Portal.id).where(keys))))]
        filters = dataclasses.replace(filters, portals=())
    share = max(_words_share(session, query, filters, *portals), 1e-6)
    span = int(limit / share * 1.5) + 1
    phrase = _pairs_condition(query) is not None
    if phrase:
        # The planner can miss a phrase's share by 30 times ("xa sa pa": 700 estimated, 26,000
        # matching at a million articles), and a range that spans the archive then checks every match
        # (0.4 s): the first range is bounded, so such a miss costs a few more rounds of growing it.
        # (Its estimates of words, with or without filters, were within a third.)
        span = max(1, min(span, FIRST_SPAN_PER_ROW * limit))
    # Bitmaps: the GIN indexes ANDed with the id range (left to choose, the planner walks the primary
    # key, testing each article). No JIT: compiling a large plan took 70 ms of a query's 100.
    # For a phrase, heap visits are priced as they cost: the pairs' index is estimated at a few hundred
    # rows where it gives thousands (a pair common in the archive is rarely common enough for the
    # statistics), and at the default price the planner reads each from the heap to test the id range
    # instead of ANDing its bitmap with the range's (190 ms against 19 for "bứt phá từ" at a million
    # articles); and no table scan, which that price makes look cheap. (Words alone keep the default:
    # priced so, a filtered query of two common words scanned the table, 2.6 s instead of 0.1.)
    restore = _set_locally(session, PHRASE_PLAN_SETTINGS if phrase else PLAN_SETTINGS)
    try:
        while True:
            lowest = newest - span
            # The range and the filters are written before the words: PostgreSQL checks a row's
            # conditions that cost alike in the order written, and when it filters the rows of the
            # pairs' index by the range instead of ANDing the two, a row outside the range is then not
            # tested for the words (a TOASTed tsvector read each: 0.3 s for 12,000 such rows).
            statement = select(Article.id, *columns).where(*portals)
            if lowest > 0:
                statement = statement.where(Article.id > lowest)
            statement = filter_articles(statement, filters, "postgresql").where(_condition(query))
            ordered = statement.order_by((Article.id + 0).desc()).limit(limit)  # not the key's order
            rows = [(int(row[0]), *row[1:]) for row in session.execute(ordered)]
            if len(rows) >= limit or lowest <= 0:
                return rows
            # At least fourfold; more when the matches found so far say how far ``limit`` of them
            # reach (the words' estimate of a phrase of common words is far too high: 5 rounds, each
            # reading the pairs' index again, were 160 ms of a 190 ms search at a million articles).
            span = max(span * 4, int(span * limit / max(len(rows), 1) * 1.5))
    finally:
        _set_locally(session, restore)


def _set_locally(session: Session, settings: dict[str, str]) -> dict[str, str]:
    """Set ``settings`` for the rest of the transaction; return their former values (to restore them:
    a search's other queries, and the caller's, plan as usual). Two round trips, whatever their number."""
    names = list(settings)
    params = {f"n{i}": name for i, name in enumerate(names)}
    current = ", ".join(f"current_setting(:n{i})" for i in range(len(names)))
    former = session.execute(text(f"SELECT {current}"), params).one()
    values = {f"v{i}": settings[name] for i, name in enumerate(names)}
    assign = ", ".join(f"set_config(:n{i}, :v{i}, true)" for i in range(len(names)))
    session.execute(text(f"SELECT {assign}"), {**params, **values})
    return dict(zip(names, (str(value) for value in former), strict=True))


def _words_share(
    session: Session, query: Query, filters: SearchFilters, *conditions: ColumnElement[bool]
) -> float:
    """The planner's estimate of the share of articles matching ``query``, ``filters`` and
    ``conditions``, from the words without their pairs (whose statistics it lacks: see matches())."""
    return _share(session, matches(query, filters, pairs=False).where(*conditions))


def _share(session: Session, statement: Select[Any]) -> float:
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


def _tsquery(terms: tuple[Term, ...] | list[Term], folded: bool, combine: str) -> ColumnElement[Any]:
    parts = [func.phraseto_tsquery(literal_column("'simple'"), " ".join(t.folded if folded else t.words))
             for t in terms]  # fmt: skip
    result = parts[0]
    for part in parts[1:]:
        result = getattr(func, combine)(result, part)
    return result


def _vectors() -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    return literal_column("articles.search_vector"), literal_column("articles.search_vector_exact")


_PAIRABLE = re.compile(r"[a-z0-9]+")


def _pairs(term: Term) -> str | None:
    """Return the tsquery of the adjacent word pairs of phrase ``term`` on articles.search_pairs
    (migration 0015), or None when it has one word, or words PostgreSQL's parser might split otherwise
    than storage.search.query (only plain ASCII letters and digits, once folded, are paired)."""
    words = term.folded
    if len(words) < 2 or not all(_PAIRABLE.fullmatch(word) for word in words):
        return None
    return " & ".join(f"'{first} {second}'" for first, second in zip(words, words[1:], strict=False))


def _pairs_condition(query: Query) -> ColumnElement[bool] | None:
    """Return the condition on articles.search_pairs that every match of ``query`` meets, from its
    phrases (a group counts when each of its terms is a phrase); None without one. Only narrows: the
    phrase itself is still checked on the positions of the folded tsvector."""
    groups = []
    for group in query.groups:
        pairs = [_pairs(term) for term in group]
        if all(pairs):
            groups.append(" | ".join(f"({part})" for part in pairs))
    if not groups:
        return None
    tsquery = " & ".join(f"({group})" for group in groups)
    return literal_column("articles.search_pairs").op("@@")(cast(literal(tsquery), TSQUERY))


def _condition(query: Query, *, pairs: bool = True) -> ColumnElement[bool]:
    """Return the condition on ``articles`` of matching ``query`` (PostgreSQL; GIN-indexed)."""
    folded_vector, exact_vector = _vectors()
    groups = [_tsquery(group, True, "tsquery_or") for group in query.groups]
    tsquery = groups[0]
    for group in groups[1:]:
        tsquery = func.tsquery_and(tsquery, group)
    folded_excluded = [term for term in query.excluded if not term.accented]
    if folded_excluded:
        tsquery = func.tsquery_and(tsquery, func.tsquery_not(_tsquery(folded_excluded, True, "tsquery_or")))
    condition: ColumnElement[bool] = folded_vector.op("@@")(tsquery)
    narrowing = _pairs_condition(query) if pairs else None
    if narrowing is not None:
        # The pairs' index narrows first: few articles hold every pair of a phrase. The words are then
        # checked on each of those (the function, not the operator, so that no index serves them): the
        # planner underestimates common pairs (680 rows for 26,000 at a million articles) and, given
        # the words' index too, ANDs it with the pairs' instead of with the id range of the newest
        # articles, rechecking every article holding the pairs (0.8 s instead of 40 ms).
        condition = narrowing & func.ts_match_vq(folded_vector, tsquery, type_=Boolean)
    exact_excluded = [term for term in query.excluded if term.accented]
    if exact_excluded:
        condition = condition & ~exact_vector.op("@@")(_tsquery(exact_excluded, False, "tsquery_or"))
    return condition


def scores(session: Session, query: Query, ids: list[int]) -> dict[int, float]:
    """Return the score of each article of ``ids``, all matches of ``query`` (PostgreSQL).

    ts_rank_cd of the query (title, sapo, body weighted; cover density rewards words near each other),
    plus, as on SQLite, shares of the best such score among ``ids``: EXACT_BONUS for spelling
    every accented word as typed, PHRASE_BONUS for the words as a phrase. Each ts_rank_cd
    reads the article's tsvector from TOAST again (some 10 µs): one per article, the rest are tests.
    """
    folded_vector, exact_vector = _vectors()
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
