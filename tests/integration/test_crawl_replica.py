"""End to end: a crawl of the replica per database, then an unchanged recrawl, scored against its truth."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from storage.models import Article, Capture, CrawlRun
from storage.urls import canonical_url
from tests.replica import ReplicaServer, build_world
from tests.replica.truth import GroundTruth

if TYPE_CHECKING:
    from tests.integration.conftest import Newsarchive, ReadArchive, ScrapyCrawl

pytestmark = pytest.mark.slow  # crawls in subprocesses: not in `make test-fast`

PORTALS, ARTICLES, SEED = 3, 150, 11


@pytest.fixture(scope="module")
def replica() -> Iterator[ReplicaServer]:
    with ReplicaServer(
        build_world(portals=PORTALS, articles=ARTICLES, seed=SEED), first_host=2, port=0
    ) as server:
        yield server


@dataclass
class Crawled:
    """A crawl of the replica into an empty archive, then an unchanged recrawl of the same portals."""

    truth: GroundTruth
    output: str  # the first crawl's stdout
    queue_dirs_left: list[Path]  # the first crawl's private queue directories still in its TMPDIR
    articles: dict[str, Article]  # after the first crawl, by canonical URL
    captures: list[Capture]  # after the first crawl
    requested: set[str]  # the URLs the first crawl asked the replica for
    request_count: int  # the requests the first crawl sent the replica
    recrawl_requested: list[str]  # the URLs the recrawl asked for, in order
    articles_after_recrawl: int
    captures_after_recrawl: int
    runs: list[CrawlRun]  # both crawls' runs, in order

    def article(self, url: str) -> Article:
        """The archived article of the replica URL ``url``."""
        return self.articles[canonical_url(url)]


@pytest.fixture(scope="module")
def crawled(
    replica: ReplicaServer,
    newsarchive: Newsarchive,
    read_archive: ReadArchive,
    module_archive_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Crawled:
    """The replica crawled into an empty archive on each database, then recrawled unchanged; once per
    database for all the tests of this module."""
    workdir = tmp_path_factory.mktemp("crawl")
    private_tmp = workdir / "tmp"
    private_tmp.mkdir()
    start = [arg for url in replica.home_urls.values() for arg in ("--start-url", url)]
    crawl = ("crawl", *start, "--db", module_archive_url)
    replica.clear_requested()
    first = newsarchive(*crawl, cwd=workdir, fast=True, env={"TMPDIR": str(private_tmp)})
    assert first.returncode == 0, first.stderr[-3000:]
    requested = [base + path for base, path in replica.requested()]
    with read_archive(module_archive_url) as session:
        articles = {a.canonical_url: a for a in session.scalars(select(Article))}
        captures = list(session.scalars(select(Capture)))
    # An unchanged recrawl right after: no archived article is due (the replica's articles are old).
    replica.clear_requested()
    again = newsarchive(*crawl, cwd=workdir, fast=True)
    assert again.returncode == 0, again.stderr[-3000:]
    with read_archive(module_archive_url) as session:
        articles_after = len(session.scalars(select(Article)).all())
        captures_after = len(session.scalars(select(Capture)).all())
        runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
    return Crawled(
        truth=replica.ground_truth(),
        output=first.stdout,
        queue_dirs_left=list(private_tmp.glob("newsarchive-queue-*")),
        articles=articles,
        captures=captures,
        requested=set(requested),
        request_count=len(requested),
        recrawl_requested=[base + path for base, path in replica.requested()],
        articles_after_recrawl=articles_after,
        captures_after_recrawl=captures_after,
        runs=runs,
    )


def test_the_crawl_reports_what_it_archived(crawled: Crawled) -> None:
    assert "articles archived" in crawled.output


def test_pending_requests_waited_on_disk_in_a_directory_removed_at_the_end(crawled: Crawled) -> None:
    # Without JOBDIR the pending requests were on disk, not in memory, in a directory removed at the end.
    assert not crawled.queue_dirs_left
    first = crawled.runs[0].stats
    assert first["scheduler/enqueued/disk"] == first["scheduler/enqueued"] > len(crawled.truth.articles)
    assert "scheduler/enqueued/memory" not in first and "scheduler/unserializable" not in first


def test_every_article_is_archived_under_its_canonical_url_with_its_title(crawled: Crawled) -> None:
    truth = crawled.truth
    missing = [url for url in truth.articles if canonical_url(url) not in crawled.articles]
    assert not missing, f"{len(missing)} articles not archived, e.g. {missing[:3]}"
    wrong_titles = [u for u, t in truth.articles.items() if crawled.article(u).title != t.title]
    assert not wrong_titles, wrong_titles[:3]


def test_inline_related_links_are_not_archived_text(crawled: Crawled) -> None:
    # Inline related-article lines and boxes ("Xem thêm: <a>…</a>", "Tin liên quan") are not archived text.
    truth = crawled.truth
    inline = [url for url, t in truth.articles.items() if getattr(t, "inline_related", 0)]
    assert inline
    polluted = [u for u in inline if crawled.article(u).text != "\n".join(truth.articles[u].body_paragraphs)]
    assert not polluted, polluted[:3]


def test_dates_are_right_to_the_minute_on_every_template(crawled: Crawled) -> None:
    # Dates are right to the minute with their offset, published and updated apart, on every template
    # (style C pages carry their date only in the visible line), and on the NFD and windows-1258 pages.
    truth = crawled.truth
    wrong_dates = [
        url
        for url, t in truth.articles.items()
        if crawled.article(url).published_at != t.published_at
        or crawled.article(url).updated_at != t.updated_at
    ]
    assert not wrong_dates, [(u, crawled.article(u).published_at) for u in wrong_dates[:3]]
    specials = {t.special for t in truth.articles.values() if t.special}
    assert {"nfd", "cp1258"} <= specials


def test_no_listing_page_nor_anything_else_became_an_article(crawled: Crawled) -> None:
    listing = {canonical_url(url) for url in crawled.truth.listing_urls}
    assert not listing & set(crawled.articles)
    assert set(crawled.articles) == {canonical_url(url) for url in crawled.truth.articles}


def test_pages_robots_txt_disallows_were_never_requested(crawled: Crawled) -> None:
    disallowed = crawled.truth.disallowed_urls
    assert disallowed and not disallowed & crawled.requested


def test_english_is_archived_off_language_and_vietnamese_as_vietnamese(crawled: Crawled) -> None:
    for url, expected in crawled.truth.articles.items():
        article = crawled.article(url)
        if expected.language == "en":
            assert article.status == "off_language" and article.language == "en", url
        else:
            assert article.language == "vi", (url, article.language)


def test_copies_of_a_story_are_clustered_and_templated_reports_are_not(crawled: Crawled) -> None:
    # Precision and recall over pairs of copies of one story, against the truth.
    truth = crawled.truth
    precision, recall = clustering_scores(truth, crawled.articles)
    assert precision >= 0.99 and recall >= 0.95, (precision, recall)
    assert truth.templated_pairs and truth.near_groups  # the checks below must have something to check
    for first, second in truth.templated_pairs:
        one, two = crawled.article(first), crawled.article(second)
        assert one.cluster_id is None or one.cluster_id != two.cluster_id, (first, second)


def test_syndicated_exact_copies_point_at_their_origin(crawled: Crawled) -> None:
    # The earliest copy is the origin, the others duplicates of it, all in its cluster.
    truth = crawled.truth
    by_id = {a.id: a for a in crawled.articles.values()}
    for group, urls in truth.dup_groups.items():
        members = [crawled.article(url) for url in urls]
        origins = [m for m in members if truth.articles[_truth_url(truth, m.canonical_url)].is_origin]
        assert len(origins) == 1, group
        origin = origins[0]
        assert origin.status == "archived" and origin.duplicate_of is None
        for member in members:
            assert member.cluster_id == origin.cluster_id is not None
            if member is not origin:
                assert member.status == "duplicate" and by_id[member.duplicate_of] is origin  # type: ignore[index]


def test_what_could_not_become_an_article_is_kept_with_its_reason(crawled: Crawled) -> None:
    failed = {c.url: c for c in crawled.captures if c.status in ("fetch_failed", "extraction_failed")}
    for url in crawled.truth.not_found_urls:
        assert failed[url].status == "fetch_failed" and failed[url].reason == "HTTP 404"
    for url in crawled.truth.binary_urls:
        assert failed[url].status == "extraction_failed" and failed[url].reason


def test_an_unchanged_recrawl_asks_for_no_article_and_archives_nothing(crawled: Crawled) -> None:
    # robots.txt, sitemaps, feeds and the first listing pages are read; no archived article is asked for
    # again, nothing new is stored.
    assert len(crawled.recrawl_requested) <= 0.10 * crawled.request_count, (
        len(crawled.recrawl_requested),
        crawled.request_count,
    )
    assert not set(crawled.recrawl_requested) & set(crawled.truth.articles)
    assert crawled.articles_after_recrawl == len(crawled.articles)
    assert crawled.captures_after_recrawl == len(crawled.captures)
    assert crawled.runs[1].stats.get("archive/stored", 0) == 0


def test_the_runs_record_each_portal_reached_then_nothing_new(crawled: Crawled) -> None:
    assert [r.status for r in crawled.runs] == ["finished", "finished"]
    first, second = crawled.runs
    assert {key: value["outcome"] for key, value in first.outcomes.items()} == dict.fromkeys(
        first.portals, "reached"
    )
    assert {value["outcome"] for value in second.outcomes.values()} == {"nothing_new"}
    assert second.stats["frontier/listing_stopped"] > 0


def clustering_scores(truth: GroundTruth, articles: dict[str, Article]) -> tuple[float, float]:
    """Return (precision, recall) of the archive's clusters over pairs of copies, against the truth."""
    groups = [*truth.dup_groups.values(), *truth.near_groups.values()]
    expected = {
        frozenset(pair)
        for group in groups
        for pair in combinations(sorted(canonical_url(u) for u in group), 2)
    }
    clusters: dict[int, list[str]] = {}
    for url, article in articles.items():
        if article.cluster_id is not None:
            clusters.setdefault(article.cluster_id, []).append(url)
    found = {frozenset(pair) for members in clusters.values() for pair in combinations(sorted(members), 2)}
    true_positive = len(found & expected)
    return true_positive / max(1, len(found)), true_positive / max(1, len(expected))


def _truth_url(truth: GroundTruth, canonical: str) -> str:
    for url in truth.articles:
        if canonical_url(url) == canonical:
            return str(url)
    raise KeyError(canonical)


def test_scrapy_crawl_from_project_root(
    replica: ReplicaServer, scrapy_crawl: ScrapyCrawl, read_archive: ReadArchive, tmp_path: Path
) -> None:
    """`scrapy crawl portal` works from the project root, like `newsarchive crawl`."""
    db = f"sqlite:///{tmp_path}/scrapy.sqlite3"
    home = next(iter(replica.home_urls.values()))
    settings = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CLOSESPIDER_ITEMCOUNT=20"]
    result = scrapy_crawl(home, f"ARCHIVE_DATABASE_URL={db}", *settings)
    assert result.returncode == 0, result.stderr[-3000:]
    with read_archive(db) as session:
        assert len(session.scalars(select(Article)).all()) >= 20
