"""Phrases find exactly the articles with the words side by side (on PostgreSQL through the word-pair
index of migration 0015 first): hyphenated, across sentences, never words merely present."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from storage.models import CrawlRun, Portal
from storage.search.engine import search_articles
from tests.unit.archive_sample import archive_row
from tests.unit.storage.test_search import read_dates_by

T0 = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def factory(archive: tuple[Engine, sessionmaker[Session]]) -> sessionmaker[Session]:
    _, factory = archive
    texts = {
        "plain": ("Kiểm tra nồng độ cồn", "Lực lượng chức năng xử lý."),
        "hyphen": ("Tuần tra đêm", "Vi phạm nồng-độ cồn bị phạt nặng."),
        "sentence": ("Vùng cao", "Đất còn nông. Độ cồn trong rượu ngô cao."),  # "nông. Độ cồn": adjacent
        "apart": ("Nông dân", "Độ ẩm cao, nông sản còn nhiều, cồn cát ven biển."),
        "reversed": ("Cồn độ nồng", "Không có gì."),
    }
    with factory.begin() as session:
        portal = Portal(key="p", name="Báo Thử", home_url="https://p.example")
        run = CrawlRun(spider="portal", portals=["p"], status="finished", stats={})
        session.add_all([portal, run])
        session.flush()
        archive_row(session, portal, run, "undated", "Không rõ ngày", "Bài không ngày đăng, còn lưu.", None)
        for n, (slug, (title, body)) in enumerate(texts.items()):
            archive_row(session, portal, run, slug, title, body, T0 + timedelta(days=n))
    return factory


@pytest.mark.parametrize("query", ['"nong do con"', '"nồng độ cồn"', '"do con" OR "xyz abc"'])
def test_phrases_find_adjacent_words_only(factory: sessionmaker[Session], query: str) -> None:
    with factory() as session:
        hits = search_articles(session, query, limit=50).hits
    assert sorted(hit.url.rsplit("/", 1)[1].split(".")[0] for hit in hits) == ["hyphen", "plain", "sentence"]


@pytest.mark.parametrize("mode", ["walk", "range", "grown"])
@pytest.mark.parametrize("bound", [2000, 1])
def test_date_order_puts_undated_last(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, bound: int, mode: str
) -> None:
    """Sorted whole or read from the date-ordered indexes (past DATE_BOUND), undated matches come last."""
    read_dates_by(monkeypatch, mode)
    monkeypatch.setattr("storage.search.engine.DATE_BOUND", bound)
    monkeypatch.setattr("storage.search.engine.COUNT_LIMIT", min(bound, 500))
    with factory() as session:
        pages = [search_articles(session, "con", limit=2, page=n, sort="date") for n in (1, 2, 3, 4)]
    slugs = [hit.url.rsplit("/", 1)[1].split(".")[0] for page in pages for hit in page.hits]
    assert slugs == ["reversed", "apart", "sentence", "hyphen", "plain", "undated"]


def test_word_pairs_are_indexed_on_postgresql(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("SQLite's FTS5 checks phrases on its own position lists")
        query = "SELECT search_pairs::text FROM articles WHERE url LIKE '%/plain%'"
        pairs = session.scalars(text(query)).all()
    assert "'nong do'" in pairs[0] and "'do con'" in pairs[0] and "'con nong'" not in pairs[0]


def test_a_phrase_read_from_a_range_of_one_article_up_finds_every_match(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL reads the newest matches in a growing range of ids: started at one article (as a
    planner's estimate missed by far would start it), it still grows to every match."""
    with factory() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("the growing id range is PostgreSQL's")
    monkeypatch.setattr("storage.search.postgres.FIRST_SPAN_PER_ROW", 0)
    with factory() as session:
        hits = search_articles(session, '"nong do con"', limit=50).hits
    assert sorted(hit.url.rsplit("/", 1)[1].split(".")[0] for hit in hits) == ["hyphen", "plain", "sentence"]


@pytest.mark.parametrize("query", ['"nồng độ cồn"', "con"])
def test_search_leaves_the_planner_settings_as_it_found_them(
    factory: sessionmaker[Session], query: str
) -> None:
    """The planner settings a PostgreSQL search changes for its own reads are restored within the
    transaction: the caller's next queries (and the search's own scoring) plan as usual."""
    names = ("enable_indexscan", "enable_seqscan", "random_page_cost", "jit")
    with factory() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("planner settings are PostgreSQL's")
        session.execute(text("SET LOCAL random_page_cost = 3.5"))
        before = [session.scalar(text(f"SHOW {name}")) for name in names]
        assert search_articles(session, query, limit=5).hits
        after = [session.scalar(text(f"SHOW {name}")) for name in names]
    assert after == before
    assert before[2] == "3.5"
