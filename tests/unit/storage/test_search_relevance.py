"""Relevance on the replica: a title phrase of words common elsewhere finds its article near the top."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import literal_column
from sqlalchemy.orm import Session, sessionmaker

from storage.articles import ArticleData, archive_article
from storage.captures import CaptureData
from storage.db import open_archive
from storage.models import Article, Portal
from storage.runs import ensure_portal
from storage.search import sqlite
from storage.search.engine import search_articles
from storage.search.filters import SearchFilters
from storage.search.query import WORD, parse_query
from storage.text import content_hash, search_key, strip_diacritics
from tests.replica import build_world

# Share of articles a word must appear in (without diacritics) to count as "common elsewhere".
COMMON = 0.2


@pytest.fixture(scope="module")
def replica_archive(module_archive_url: str) -> Iterator[tuple[sessionmaker[Session], dict[int, str]]]:
    """The replica's Vietnamese articles (3 portals x 60), archived through storage.articles; built
    once per database for the module (its tests only search)."""
    engine, factory = open_archive(module_archive_url, create=True)
    try:
        yield factory, _archive_replica(factory)
    finally:
        engine.dispose()


def _archive_replica(factory: sessionmaker[Session]) -> dict[int, str]:
    world = build_world(portals=3, articles=60, seed=4)
    titles: dict[int, str] = {}
    with factory.begin() as session:
        for portal in world.portals:
            row = ensure_portal(session, portal.key, portal.name, f"https://{portal.key}.example")
            for article in portal.articles:
                if article.language != "vi" or article.dup_group or article.near_group:
                    continue
                text = world.text(article)
                body = "\n".join(text.paragraphs)
                url = f"https://{portal.key}.example/{article.aid}"
                outcome = archive_article(
                    session,
                    CaptureData(
                        url=url, final_url=url, http_status=200, headers={}, body=body.encode(),
                        content_type="text/html", discovered_via="sitemap", fetched_at=article.published_at,
                    ),
                    ArticleData(
                        url=url, canonical_url=url, text=body, content_hash=content_hash(body), language="vi",
                        language_confidence=0.99, title=article.title, sapo=text.sapo,
                        published_at=article.published_at,
                    ),
                    run_id=None, portal_id=row.id,
                )  # fmt: skip
                if outcome.kind == "new" and outcome.article_id is not None:
                    titles[outcome.article_id] = article.title
        assert session.query(Portal).count() == 3
    return titles


def _folded_words(text: str) -> list[str]:
    return [strip_diacritics(word) for word in WORD.findall(search_key(text))]


def _hard_phrases(factory: sessionmaker[Session], titles: dict[int, str]) -> list[tuple[int, str]]:
    """Title phrases (3 words, then 2) unique to one title whose every word, without diacritics, is in
    at least COMMON of all articles, and differs from a common word only by its diacritics somewhere."""
    with factory() as session:
        documents = [
            set(_folded_words(f"{a.title}\n{a.sapo or ''}\n{a.text}")) for a in session.query(Article).all()
        ]
    frequency = Counter(word for words in documents for word in words)
    chosen: list[tuple[int, str]] = []
    for size in (3, 2):
        for article_id, title in sorted(titles.items()):
            words = WORD.findall(title)
            for start in range(len(words) - size + 1):
                phrase = " ".join(words[start : start + size])
                folded = _folded_words(phrase)
                if phrase == strip_diacritics(phrase) or len(set(folded)) < size:
                    continue
                if min(frequency[w] for w in folded) < COMMON * len(documents):
                    continue
                holders = [i for i, t in titles.items() if phrase.lower() in t.lower()]
                if holders == [article_id]:
                    chosen.append((article_id, phrase))
        if len(chosen) >= 5:
            break
    return chosen[:10]


def test_title_phrase_ranks_its_article_first(
    replica_archive: tuple[sessionmaker[Session], dict[int, str]],
) -> None:
    factory, titles = replica_archive
    phrases = _hard_phrases(factory, titles)
    assert len(phrases) >= 5, "the replica should offer title phrases made of common words"
    misses = []
    with factory() as session:
        for article_id, phrase in phrases:
            accented = [hit.id for hit in search_articles(session, phrase, limit=3).hits]
            bare = [hit.id for hit in search_articles(session, strip_diacritics(phrase), limit=5).hits]
            total = search_articles(session, strip_diacritics(phrase), limit=1).total
            if article_id not in accented or article_id not in bare:
                misses.append((phrase, titles[article_id], accented, bare, total))
    assert not misses, misses


def test_phrases_are_hard(replica_archive: tuple[sessionmaker[Session], dict[int, str]]) -> None:
    """The phrases chosen are not trivially rare: each folded query matches many articles."""
    factory, titles = replica_archive
    with factory() as session:
        totals = [
            search_articles(session, strip_diacritics(phrase), limit=1).total
            for _, phrase in _hard_phrases(factory, titles)
        ]
    assert min(totals) >= 10, totals


@pytest.mark.parametrize("lookup_spread", [0, 10**9])
def test_scores_read_from_the_dated_index_equal_the_id_keyed_ones(
    replica_archive: tuple[sessionmaker[Session], dict[int, str]],
    monkeypatch: pytest.MonkeyPatch,
    lookup_spread: int,
) -> None:
    """A portal or date filter's window is scored on articles_fts_dated by its keys (SQLite): the same
    documents, so the same bm25 and the same bonuses as on the id-keyed indexes, the exact spelling
    looked up id by id (spread 0) or read over the ids' range."""
    monkeypatch.setattr("storage.search.sqlite.LOOKUP_SPREAD", lookup_spread)
    factory, titles = replica_archive
    with factory() as session:
        if session.get_bind().dialect.name != "sqlite":
            pytest.skip("the date-keyed index is SQLite's")
        key = literal_column("articles_fts_dated.rowid")
        checked = 0
        for article_id, phrase in _hard_phrases(factory, titles)[:5]:
            for query in (phrase, strip_diacritics(phrase), phrase.split()[0]):
                parsed = parse_query(query)
                filters = SearchFilters(portals=(session.get(Article, article_id).portal.key,))
                rows = sqlite.newest_published(session, parsed, filters, 500, (key,))
                ids = [row[0] for row in rows]
                by_id = sqlite.scores(session, parsed, ids)
                by_key = sqlite.scores(session, parsed, ids, {row[0]: int(row[2]) for row in rows})
                assert by_key.keys() == by_id.keys() == set(ids)
                assert by_key == pytest.approx(by_id, rel=1e-12)
                checked += len(ids)
        assert checked > 100
