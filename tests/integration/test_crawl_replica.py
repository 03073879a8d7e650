"""End to end: `newsarchive crawl` in a subprocess over the replica portal, scored against its ground truth.

Runs on SQLite and PostgreSQL. A second crawl of the same portals must change nothing (idempotence).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from storage.db import open_archive
from storage.models import Article, Capture, CrawlRun
from storage.urls import canonical_url
from tests.replica import ReplicaServer, build_world
from tests.replica.truth import GroundTruth

if TYPE_CHECKING:
    from tests.integration.conftest import Newsarchive

PORTALS, ARTICLES, SEED = 3, 150, 11
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def replica() -> Iterator[ReplicaServer]:
    with ReplicaServer(
        build_world(portals=PORTALS, articles=ARTICLES, seed=SEED), first_host=2, port=0
    ) as server:
        yield server


def test_crawl_scores_against_ground_truth(
    replica: ReplicaServer, newsarchive: Newsarchive, archive_url: str, tmp_path: Path
) -> None:
    truth = replica.ground_truth()
    start = [arg for url in replica.home_urls.values() for arg in ("--start-url", url)]
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    env = {"TMPDIR": str(private_tmp)}
    result = newsarchive("crawl", *start, "--db", archive_url, cwd=tmp_path, fast=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "articles archived" in result.stdout
    # Without JOBDIR the pending requests were on disk, not in memory, in a directory removed at the end.
    assert not list(private_tmp.glob("newsarchive-queue-*"))

    engine, factory = open_archive(archive_url)
    with factory() as session:
        articles = {a.canonical_url: a for a in session.scalars(select(Article))}
        captures = list(session.scalars(select(Capture)))
    by_id = {a.id: a for a in articles.values()}

    # Every article of the replica is archived, under its canonical URL, with its title.
    missing = [url for url in truth.articles if canonical_url(url) not in articles]
    assert not missing, f"{len(missing)} articles not archived, e.g. {missing[:3]}"
    wrong_titles = [u for u, t in truth.articles.items() if articles[canonical_url(u)].title != t.title]
    assert not wrong_titles, wrong_titles[:3]

    # Inline related-article lines and boxes ("Xem thêm: <a>…</a>", "Tin liên quan") are not archived text.
    inline = [url for url, t in truth.articles.items() if getattr(t, "inline_related", 0)]
    assert inline
    polluted = [
        u for u in inline if articles[canonical_url(u)].text != "\n".join(truth.articles[u].body_paragraphs)
    ]
    assert not polluted, polluted[:3]

    # Dates are right to the minute with their offset, published and updated apart, on every template
    # (style C pages carry their date only in the visible line), and on the NFD and windows-1258 pages.
    wrong_dates = [
        url
        for url, t in truth.articles.items()
        if articles[canonical_url(url)].published_at != t.published_at
        or articles[canonical_url(url)].updated_at != t.updated_at
    ]
    assert not wrong_dates, [(u, articles[canonical_url(u)].published_at) for u in wrong_dates[:3]]
    specials = {t.special for t in truth.articles.values() if t.special}
    assert {"nfd", "cp1258"} <= specials

    # No listing page became an article; nothing else did either.
    listing = {canonical_url(url) for url in truth.listing_urls}
    assert not listing & set(articles)
    assert set(articles) == {canonical_url(url) for url in truth.articles}

    # robots.txt Disallow was respected: those pages were never even requested.
    requested = {base + path for base, path in replica.requested()}
    assert truth.disallowed_urls and not truth.disallowed_urls & requested

    # The English article is archived but off-language; Vietnamese ones are archived in Vietnamese.
    for url, expected in truth.articles.items():
        article = articles[canonical_url(url)]
        if expected.language == "en":
            assert article.status == "off_language" and article.language == "en", url
        else:
            assert article.language == "vi", (url, article.language)

    # Clustering against the truth: precision and recall over pairs of copies of one story.
    precision, recall = clustering_scores(truth, articles)
    assert precision >= 0.99 and recall >= 0.95, (precision, recall)
    assert truth.templated_pairs and truth.near_groups  # the checks below must have something to check
    for first, second in truth.templated_pairs:
        one, two = articles[canonical_url(first)], articles[canonical_url(second)]
        assert one.cluster_id is None or one.cluster_id != two.cluster_id, (first, second)

    # Syndicated exact copies: the earliest is the origin, the others point at it.
    for group, urls in truth.dup_groups.items():
        members = [articles[canonical_url(url)] for url in urls]
        origins = [m for m in members if truth.articles[_truth_url(truth, m.canonical_url)].is_origin]
        assert len(origins) == 1, group
        origin = origins[0]
        assert origin.status == "archived" and origin.duplicate_of is None
        for member in members:
            assert member.cluster_id == origin.cluster_id is not None
            if member is not origin:
                assert member.status == "duplicate" and by_id[member.duplicate_of] is origin  # type: ignore[index]

    # What could not become an article is kept with its reason.
    failed = {c.url: c for c in captures if c.status in ("fetch_failed", "extraction_failed")}
    for url in truth.not_found_urls:
        assert failed[url].status == "fetch_failed" and failed[url].reason == "HTTP 404"
    for url in truth.binary_urls:
        assert failed[url].status == "extraction_failed" and failed[url].reason

    # An unchanged recrawl right after: robots.txt, sitemaps, feeds and the first listing pages are read,
    # no archived article is asked for again (none is due: the replica's articles are old), nothing new.
    first_requests = len(replica.requested())
    replica.clear_requested()
    again = newsarchive("crawl", *start, "--db", archive_url, cwd=tmp_path, fast=True)
    assert again.returncode == 0, again.stderr[-3000:]
    recrawl_requests = replica.requested()
    assert len(recrawl_requests) <= 0.10 * first_requests, (len(recrawl_requests), first_requests)
    assert not {base + path for base, path in recrawl_requests} & set(truth.articles)
    with factory() as session:
        assert len(session.scalars(select(Article)).all()) == len(articles)
        assert len(session.scalars(select(Capture)).all()) == len(captures)
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        assert [r.status for r in runs] == ["finished", "finished"]
        assert runs[1].stats.get("archive/stored", 0) == 0
        assert {key: value["outcome"] for key, value in runs[0].outcomes.items()} == dict.fromkeys(
            runs[0].portals, "reached"
        )
        assert {value["outcome"] for value in runs[1].outcomes.values()} == {"nothing_new"}
        assert runs[1].stats["frontier/listing_stopped"] > 0
        first = runs[0].stats
        assert first["scheduler/enqueued/disk"] == first["scheduler/enqueued"] > len(truth.articles)
        assert "scheduler/enqueued/memory" not in first and "scheduler/unserializable" not in first
    engine.dispose()


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


def test_scrapy_crawl_from_project_root(replica: ReplicaServer, tmp_path: Path) -> None:
    """`scrapy crawl portal` works from the project root, like `newsarchive crawl`."""
    db = f"sqlite:///{tmp_path}/scrapy.sqlite3"
    home = next(iter(replica.home_urls.values()))
    scrapy = Path(sys.executable).with_name("scrapy")
    result = subprocess.run(
        [
            str(scrapy),
            "crawl",
            "portal",
            "-a",
            f"start_urls={home}",
            "-s",
            f"ARCHIVE_DATABASE_URL={db}",
            "-s",
            "DOWNLOAD_DELAY=0",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            "-s",
            "CLOSESPIDER_ITEMCOUNT=20",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    engine, factory = open_archive(db)
    with factory() as session:
        assert len(session.scalars(select(Article)).all()) >= 20
    engine.dispose()


def test_crawl_reports_an_archive_it_cannot_open(newsarchive: Newsarchive, tmp_path: Path) -> None:
    result = newsarchive(
        "crawl",
        "--start-url",
        "http://127.0.0.1:9/",
        "--db",
        "sqlite:////nonexistent-dir/archive.sqlite3",
        cwd=tmp_path,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot open archive")


@pytest.mark.parametrize(
    "database", ["sqlite:////nonexistent-dir/archive.sqlite3", "postgresql://nobody@127.0.0.1:9/none"]
)
def test_scrapy_crawl_fails_when_the_archive_cannot_be_opened(database: str) -> None:
    """`scrapy crawl` exits non-zero (Scrapy closes a crawl cleanly on CloseSpider, which would exit 0)."""
    scrapy = Path(sys.executable).with_name("scrapy")
    result = subprocess.run(
        [
            str(scrapy),
            "crawl",
            "portal",
            "-a",
            "start_urls=http://127.0.0.1:9/",
            "-s",
            f"ARCHIVE_DATABASE_URL={database}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "cannot open archive" in result.stderr
