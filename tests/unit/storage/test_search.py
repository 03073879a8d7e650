"""Search ranking, query syntax, filters and paging on SQLite and PostgreSQL, through the real write path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from storage.articles import ArticleData, archive_article
from storage.captures import CaptureData
from storage.models import Article, CrawlRun, Portal
from storage.search.engine import search_articles
from storage.search.filters import SearchFilters
from storage.search.query import QueryError, parse_query
from tests.unit.archive_sample import archive_row

T0 = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)
FILLER = "Tỉnh tổng kết công tác năm, các sở ngành báo cáo kết quả thực hiện nhiệm vụ."


@pytest.fixture
def corpus(archive: tuple[Engine, sessionmaker[Session]]) -> tuple[sessionmaker[Session], dict[str, int]]:
    """Articles whose words collide once diacritics are gone: nồng độ cồn / nông đỗ còn."""
    _, factory = archive
    ids: dict[str, int] = {}
    with factory.begin() as session:
        portal = Portal(key="p", name="Báo Thử", home_url="https://p.example")
        other = Portal(key="q", name="Báo Khác", home_url="https://q.example")
        run = CrawlRun(spider="portal", portals=["p", "q"], status="finished", stats={})
        session.add_all([portal, other, run])
        session.flush()

        def add(name: str, title: str, body: str, days: int, where: Portal = portal, **extra: object) -> None:
            row = archive_row(
                session, where, run, name, title, f"{body}\n{FILLER}", T0 + timedelta(days=days), **extra
            )
            ids[name] = row.id

        # Folded, these repeat "nong do con" many times in the body: bm25 alone would put them first.
        for n in range(6):
            add(f"folded{n}", f"Nông dân vùng cao số {n}",
                f"Xã {n}: nông dân còn đỗ lại, còn nông sản, đỗ xanh còn nhiều; nông nghiệp còn đó. " * 3,
                n)  # fmt: skip
        add("exact", "Xử phạt vi phạm nồng độ cồn", "Lực lượng chức năng kiểm tra người điều khiển xe.", 10)
        add("body_exact", "Tuần tra ban đêm", "Nhiều trường hợp vi phạm nồng độ cồn bị xử lý.", 11)
        add("scattered", "Cồn cát ven biển", "Độ ẩm cao, nồng nặc mùi rong biển trên cồn.", 12)
        add("storm", "Bão số 3 đổ bộ", "Mưa lớn kéo dài.", 20, where=other, author="Trần Văn Bão",
            categories=["Thời tiết"])  # fmt: skip
        add(
            "flood", "Lũ quét ở vùng núi", "Mưa lớn gây lũ.", 21, author="Lê Thị Lũ", categories=["Thiên tai"]
        )
        add("english", "Rice harvest", "Farmers harvest rice.", 22, language="en")
    return factory, ids


def _ids(factory: sessionmaker[Session], query: str, **options: object) -> list[int]:
    with factory() as session:
        filters = options.pop("filters", None)
        page = search_articles(session, query, filters, **options)  # type: ignore[arg-type]
        return [hit.id for hit in page.hits]


def test_accented_query_ranks_exact_diacritics_first(
    corpus: tuple[sessionmaker[Session], dict[str, int]],
) -> None:
    factory, ids = corpus
    ranked = _ids(factory, "nồng độ cồn", limit=50)
    assert ranked[:2] == [ids["exact"], ids["body_exact"]]  # title beats body; both beat folded matches
    assert set(ranked) >= {ids[f"folded{n}"] for n in range(6)}  # folded spellings still match


def test_unaccented_query_matches_every_spelling(
    corpus: tuple[sessionmaker[Session], dict[str, int]],
) -> None:
    factory, ids = corpus
    ranked = _ids(factory, "nong do con", limit=50)
    assert {ids["exact"], ids["body_exact"], ids["folded0"]} <= set(ranked)
    # the phrase (adjacent words) counts: the exact title phrase is in the top 3 without accents too
    assert ids["exact"] in ranked[:3]


def test_phrase_or_and_exclusion(corpus: tuple[sessionmaker[Session], dict[str, int]]) -> None:
    factory, ids = corpus
    assert set(_ids(factory, '"nồng độ cồn"')[:2]) == {ids["exact"], ids["body_exact"]}
    assert set(_ids(factory, '"nong do con"')) == {ids["exact"], ids["body_exact"]}  # a phrase, not words
    assert set(_ids(factory, "bão OR lũ")[:2]) == {ids["storm"], ids["flood"]}
    # An accented exclusion drops exact spellings only ("-bão" keeps "báo cáo"); an unaccented one all.
    assert ids["flood"] in _ids(factory, "mưa lớn -bão") and ids["storm"] not in _ids(factory, "mưa lớn -bão")
    assert ids["storm"] not in _ids(factory, 'mưa -"bão số 3"')
    assert ids["exact"] in _ids(factory, "công tác -bão", limit=50)
    assert _ids(factory, "công tác -bao", limit=50) == []  # "báo cáo" is in every text


def test_sort_by_date_and_paging(corpus: tuple[sessionmaker[Session], dict[str, int]]) -> None:
    factory, ids = corpus
    by_date = _ids(factory, "nong", sort="date", limit=50)
    with factory() as session:
        page = search_articles(session, "nong", limit=3, page=2)
        everything = search_articles(session, "nong", limit=50)
    assert by_date[0] == ids["scattered"] and by_date[-1] == ids["folded0"]  # newest first
    assert page.total == everything.total == len(everything.hits) and page.pages == -(-page.total // 3)
    assert [hit.id for hit in page.hits] == [hit.id for hit in everything.hits][3:6]


def test_recency_breaks_ties(corpus: tuple[sessionmaker[Session], dict[str, int]]) -> None:
    factory, _ = corpus
    with factory() as session:
        hits = search_articles(session, "nông dân vùng cao", limit=50).hits
    tied = [hit for hit in hits if hit.title.text.startswith("Nông dân vùng cao")]
    scores = {round(hit.score, 9) for hit in tied}
    if len(scores) == 1:  # identical texts score alike: newest first
        assert [h.published_at for h in tied] == sorted((h.published_at for h in tied), reverse=True)


def test_filters(corpus: tuple[sessionmaker[Session], dict[str, int]]) -> None:
    factory, ids = corpus
    assert _ids(factory, "mưa", filters=SearchFilters(portals=("q",))) == [ids["storm"]]
    assert sorted(_ids(factory, "mưa", filters=SearchFilters(portals=("q", "p")))) == sorted(
        [ids["storm"], ids["flood"]]
    )
    assert _ids(factory, "mưa", filters=SearchFilters(portals=("no-such-portal",))) == []
    assert _ids(factory, "mưa", filters=SearchFilters(author="bão")) == [ids["storm"]]
    assert _ids(factory, "mưa", filters=SearchFilters(category="Thiên tai")) == [ids["flood"]]
    assert _ids(factory, "harvest") == []  # off_language is not "archived"
    assert _ids(factory, "harvest", filters=SearchFilters(statuses=(), languages=("en",))) == [ids["english"]]
    assert (
        _ids(factory, "harvest", filters=SearchFilters(statuses=("off_language",), languages=("vi",))) == []
    )
    window = SearchFilters(since=T0 + timedelta(days=21), until=T0 + timedelta(days=22))
    assert _ids(factory, "mưa", filters=window) == [ids["flood"]]
    ages = SearchFilters(since=datetime(1, 1, 2, tzinfo=UTC), until=datetime(9999, 12, 30, tzinfo=UTC))
    assert sorted(_ids(factory, "mưa", filters=ages)) == sorted([ids["storm"], ids["flood"]])


def test_snippets_keep_case_and_diacritics(corpus: tuple[sessionmaker[Session], dict[str, int]]) -> None:
    factory, ids = corpus
    with factory() as session:
        (hit,) = [h for h in search_articles(session, "NỒNG độ", limit=50).hits if h.id == ids["body_exact"]]
    marked = [hit.snippet.text[a:b] for a, b in hit.snippet.spans()]
    assert marked == ["nồng", "độ"] and "Nhiều trường hợp" in hit.snippet.text
    assert [hit.title.text[a:b] for a, b in hit.title.spans()] == []


def test_search_follows_the_archive_write_path(
    corpus: tuple[sessionmaker[Session], dict[str, int]],
) -> None:
    """An edit archived through storage.articles is what search finds: old words go, new words come."""
    factory, ids = corpus
    with factory.begin() as session:
        article = session.get(Article, ids["flood"])
        assert article is not None
        data = ArticleData(
            url=article.url, canonical_url=article.canonical_url, text="Sạt lở đất nghiêm trọng.",
            content_hash="x" * 64, language="vi", language_confidence=0.9, title="Sạt lở ở vùng núi",
        )  # fmt: skip
        capture = CaptureData(
            url=article.url, final_url=article.url, http_status=200, headers={}, body=b"edited",
            content_type="text/html", discovered_via="sitemap", fetched_at=T0 + timedelta(days=30),
        )  # fmt: skip
        archive_article(session, capture, data, run_id=None, portal_id=article.portal_id)
    assert _ids(factory, "sạt lở") == [ids["flood"]]
    assert _ids(factory, "lũ quét") == []


def test_query_parser() -> None:
    query = parse_query('Nồng "độ cồn" OR rượu -bia -"nước ngọt" covid-19')
    assert [[t.words for t in group] for group in query.groups] == [
        [("nồng",)], [("độ", "cồn"), ("rượu",)], [("covid", "19")],
    ]  # fmt: skip
    assert [t.words for t in query.excluded] == [("bia",), ("nước", "ngọt")]
    assert query.groups[0][0].accented and not parse_query("nong").groups[0][0].accented
    assert parse_query("hoà").groups[0][0].words == ("hòa",)  # old-style tone placement folded
    for bad in ("", "***", "-bia", "OR"):
        with pytest.raises(QueryError):
            parse_query(bad)


def test_index_tables_match_the_archive(corpus: tuple[sessionmaker[Session], dict[str, int]]) -> None:
    factory, ids = corpus
    with factory() as session:
        if session.get_bind().dialect.name != "sqlite":
            count = session.scalar(
                text("SELECT count(*) FROM articles WHERE search_vector_exact IS NOT NULL")
            )
            assert count == len(ids)
            return
        for table in ("articles_fts", "articles_fts_exact"):
            assert session.scalar(text(f"SELECT count(*) FROM {table}")) == len(ids)


@pytest.mark.parametrize("portal", [None, "p"])
def test_ranking_window_pages_cover_every_match_once(
    corpus: tuple[sessionmaker[Session], dict[str, int]], monkeypatch: pytest.MonkeyPatch, portal: str | None
) -> None:
    """Past RANK_WINDOW matches only the newest are ranked; the rest follow, newest first, and paging
    still lists every match exactly once with an exact count (with a portal filter, SQLite reads the
    newest published: in this corpus the same)."""
    factory, _ = corpus
    filters = SearchFilters(portals=(portal,)) if portal else None
    with factory() as session:
        everything = search_articles(session, "nong", filters, limit=100)
        monkeypatch.setattr("storage.search.engine.RANK_WINDOW", 3)
        pages = [search_articles(session, "nong", filters, limit=2, page=n) for n in range(1, 7)]
    listed = [hit.id for page in pages for hit in page.hits]
    assert all(page.total == everything.total for page in pages)
    assert sorted(listed) == sorted(hit.id for hit in everything.hits) and len(listed) == len(set(listed))
    newest = sorted(listed, reverse=True)[:3]
    assert sorted(listed[:3]) == sorted(newest)  # the window: the 3 most recently archived, ranked
    rest = [hit for page in pages for hit in page.hits][3:]
    assert [h.published_at for h in rest] == sorted((h.published_at for h in rest), reverse=True)


def test_count_stops_at_count_limit_and_says_so(
    corpus: tuple[sessionmaker[Session], dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past COUNT_LIMIT matches the count is "more than", not a guess, also on a deep page (counting
    every match would cost as much as the matches); the last page knows the count exactly."""
    factory, _ = corpus
    with factory() as session:
        everything = search_articles(session, "nong", limit=100)
        monkeypatch.setattr("storage.search.engine.COUNT_LIMIT", 3)
        monkeypatch.setattr("storage.search.engine.RANK_WINDOW", 3)
        monkeypatch.setattr("storage.search.engine.DATE_BOUND", 3)
        first = search_articles(session, "nong", limit=2)
        deep = search_articles(session, "nong", limit=2, page=3)
        last = search_articles(session, "nong", limit=2, page=-(-everything.total // 2))
    assert everything.exact and everything.total > 5 and everything.total_text == str(everything.total)
    assert not first.exact and first.total == 3 and first.total_text == "more than 3"
    assert first.pages == 3  # at least one page past those counted
    assert not deep.exact and deep.pages == 4
    assert last.exact and last.total == everything.total


def read_dates_by(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    """Make PostgreSQL's dated pages walk the date index ("walk"), read the GIN index in a date range
    ("range"), or the same from a range of one article, grown ("grown"); SQLite has one way."""
    if mode == "walk":
        monkeypatch.setattr("storage.search.postgres.DATE_WALK_SHARE", 0.0)
    else:
        monkeypatch.setattr("storage.search.postgres.DATE_WALK_SHARE", 1e9)
    if mode == "grown":
        monkeypatch.setattr("storage.search.postgres._share", lambda session, statement: 1e6)


@pytest.mark.parametrize("mode", ["walk", "range", "grown"])
@pytest.mark.parametrize("bound", [2000, 2])
def test_date_order_whole_or_walking_the_date_index(
    corpus: tuple[sessionmaker[Session], dict[str, int]],
    monkeypatch: pytest.MonkeyPatch,
    bound: int,
    mode: str,
) -> None:
    """Few matches are sorted by date whole; past DATE_BOUND the date index is walked (or, PostgreSQL,
    the full-text index read in a range of dates): the same pages."""
    factory, ids = corpus
    read_dates_by(monkeypatch, mode)
    with factory() as session:
        everything = search_articles(session, "nong", limit=100)
        expected = sorted(everything.hits, key=lambda hit: (hit.published_at, hit.id), reverse=True)
        monkeypatch.setattr("storage.search.engine.DATE_BOUND", bound)
        monkeypatch.setattr("storage.search.engine.COUNT_LIMIT", min(bound, 500))
        pages = [search_articles(session, "nong", limit=2, page=n, sort="date") for n in range(1, 7)]
        filtered = search_articles(session, "nong -biển", limit=100, sort="date")
    assert [hit.id for page in pages for hit in page.hits] == [hit.id for hit in expected]
    assert [hit.id for hit in filtered.hits] == [hit.id for hit in expected if hit.id != ids["scattered"]]
