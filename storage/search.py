"""Full-text search over archived articles: SQLite FTS5 (bm25) or PostgreSQL tsvector (ts_rank)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, column, func, literal_column, select, table, text
from sqlalchemy.orm import Session

from storage.models import Article, CaptureStatus, Portal
from storage.text import search_key, strip_diacritics

# Markers around matched words in snippets; plain text so they survive terminals, JSON and CSV.
HIGHLIGHT = ("[", "]")
# Tokens of context either side of a match in a snippet: ~2 lines of a terminal table, measured by eye
# on the replica's articles (shorter loses the sentence, longer wraps the table).
SNIPPET_TOKENS = 16
# "d" in a query may stand for "đ" (unicode61 removes diacritics but đ is a letter of its own, not d plus
# a mark); each d doubles the variants, so a term with more than this many is searched as typed.
MAX_D_VARIANTS = 16

# PostgreSQL ranks at most this many matches, the most recently archived, so a query matching most of
# the archive stays interactive. Measured before the stored search_vector column existed (ts_rank then
# re-parsed each document): 50k 5 KB articles all matching took ~50 s to rank, 1000 took 1.4 s;
# selective queries (few matches) are unaffected (~30 ms).
PG_RANK_CANDIDATES = 1000

_TERM = re.compile(r'"([^"]*)"?|(\S+)')
_HAS_LETTER = re.compile(r"[^\W_]")
_SPACES = re.compile(r"\s+")
_FTS = table("articles_fts", column("rowid"), column("search_document"))


SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class SearchHit:
    """One matching article; ``score`` is higher for better matches (comparable within one search)."""

    id: int
    url: str
    portal: str | None
    title: str | None
    published_at: datetime | None
    snippet: str
    score: float


def query_terms(query: str) -> list[str]:
    """Return the folded terms of ``query``: words, and "quoted phrases" as one term each.

    Terms without any letter or digit (``*``, ``(``, a lone quote) are dropped, so they cannot reach
    the FTS query parser.
    """
    terms: list[str] = []
    for match in _TERM.finditer(search_key(query)):
        term = _SPACES.sub(" ", (match.group(1) if match.group(1) is not None else match.group(2))).strip()
        if term and _HAS_LETTER.search(term):
            terms.append(term)
    return terms


def _fts5_string(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _d_variants(term: str) -> list[str]:
    positions = [i for i, ch in enumerate(term) if ch == "d"]
    if not positions or 2 ** len(positions) > MAX_D_VARIANTS:
        return [term]
    variants = []
    for choice in itertools.product("dđ", repeat=len(positions)):
        chars = list(term)
        for position, letter in zip(positions, choice, strict=True):
            chars[position] = letter
        variants.append("".join(chars))
    return variants


def fts5_query(terms: list[str]) -> str:
    """Return an FTS5 MATCH expression requiring every term, each quoted so it is never parsed as syntax."""
    groups = []
    for term in terms:
        variants = [_fts5_string(variant) for variant in _d_variants(term)]
        groups.append(variants[0] if len(variants) == 1 else "(" + " OR ".join(variants) + ")")
    return " AND ".join(groups)


def filter_articles(
    statement: SelectT,
    *,
    portal: str | None,
    since: datetime | None,
    until: datetime | None,
    include_all: bool,
) -> SelectT:
    """Restrict an article query (joined to Portal) to a status, portal and publication window."""
    if not include_all:
        statement = statement.where(Article.status == CaptureStatus.ARCHIVED.value)
    if portal is not None:
        statement = statement.where(Portal.key == portal)
    if since is not None:
        statement = statement.where(Article.published_at >= since)
    if until is not None:
        statement = statement.where(Article.published_at < until)
    return statement


def search_articles(
    session: Session,
    query: str,
    *,
    portal: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 20,
    include_all: bool = False,
) -> list[SearchHit]:
    """Return up to ``limit`` articles matching every term of ``query``, best first.

    ``query`` is folded like ``articles.search_document`` (storage.text.search_key); "quoted phrases"
    match as phrases; any other punctuation is ignored, so no user text raises a syntax error.
    Only ``archived`` articles unless ``include_all``; ``portal`` is a portal key; ``since`` (inclusive)
    and ``until`` (exclusive) are tz-aware instants compared with ``published_at``.
    On SQLite diacritics are optional ("hoa" finds "hòa", "da" finds "đà"); on PostgreSQL they must be
    typed, and a query matching more than PG_RANK_CANDIDATES articles ranks only the most recently
    archived ones. Raises sqlalchemy errors only for database failures.
    """
    terms = query_terms(query)
    if not terms or limit < 1:
        return []
    options = {"portal": portal, "since": since, "until": until, "include_all": include_all}
    if session.get_bind().dialect.name == "postgresql":
        return _search_postgresql(session, terms, limit=limit, **options)
    return _search_sqlite(session, terms, limit=limit, **options)


def _search_sqlite(session: Session, terms: list[str], *, limit: int, **options: Any) -> list[SearchHit]:
    start, stop = HIGHLIGHT
    rank = func.bm25(literal_column("articles_fts"))
    snippet = func.snippet(literal_column("articles_fts"), 0, start, stop, "…", SNIPPET_TOKENS)
    statement = (
        select(Article.id, Article.url, Portal.key, Article.title, Article.published_at, snippet, rank)
        .select_from(_FTS)
        .join(Article, Article.id == _FTS.c.rowid)
        .outerjoin(Portal, Portal.id == Article.portal_id)
        .where(text("articles_fts MATCH :fts_query").bindparams(fts_query=fts5_query(terms)))
        .order_by(rank, Article.id)
        .limit(limit)
    )
    rows = session.execute(filter_articles(statement, **options)).all()
    # bm25() is lower for better matches; negate it so every backend's score grows with relevance.
    return [SearchHit(r[0], r[1], r[2], r[3], r[4], _one_line(r[5]), -float(r[6])) for r in rows]


def _search_postgresql(session: Session, terms: list[str], *, limit: int, **options: Any) -> list[SearchHit]:
    # articles.search_vector (PostgreSQL only, generated in the migration) holds the text without
    # diacritics, so the query loses its diacritics too: "hoa" and "hòa" find the same articles.
    document: ColumnElement[Any] = literal_column("articles.search_vector")
    # Every term quoted: websearch_to_tsquery then reads it as a word or phrase, never as or/-/operators.
    quoted = " ".join('"' + strip_diacritics(term).replace('"', " ") + '"' for term in terms)
    tsquery = func.websearch_to_tsquery(literal_column("'simple'"), quoted)
    # Highlighting works on the stored text, which keeps its diacritics: highlight the terms as typed.
    typed = " ".join('"' + term.replace('"', " ") + '"' for term in terms)
    highlight_query = func.websearch_to_tsquery(literal_column("'simple'"), typed)
    matches = (
        select(Article.id.label("id"))
        .outerjoin(Portal, Portal.id == Article.portal_id)
        .where(document.op("@@")(tsquery))
        .order_by(Article.id.desc())
        .limit(PG_RANK_CANDIDATES)
    )
    candidates = filter_articles(matches, **options).subquery()
    rank = func.ts_rank(document, tsquery).label("score")
    best = (
        select(Article.id.label("id"), rank)
        .join(candidates, candidates.c.id == Article.id)
        .order_by(rank.desc(), Article.id)
        .limit(limit)
        .subquery()
    )
    start, stop = HIGHLIGHT
    headline: ColumnElement[str] = func.ts_headline(
        literal_column("'simple'"),
        Article.search_document,
        highlight_query,
        f"StartSel={start}, StopSel={stop}, MaxWords={2 * SNIPPET_TOKENS}, MinWords={SNIPPET_TOKENS}",
    )
    # ts_headline re-parses the whole document, so it runs only on the rows that made the limit.
    statement = (
        select(
            Article.id, Article.url, Portal.key, Article.title, Article.published_at, headline, best.c.score
        )
        .join(best, best.c.id == Article.id)
        .outerjoin(Portal, Portal.id == Article.portal_id)
        .order_by(best.c.score.desc(), Article.id)
    )
    rows = session.execute(statement).all()
    return [SearchHit(r[0], r[1], r[2], r[3], r[4], _one_line(r[5]), float(r[6])) for r in rows]


def _one_line(snippet: str | None) -> str:
    return _SPACES.sub(" ", snippet or "").strip()
