"""Daily crawls an operator can trust, on the replica: edits refetched as versions, removals marked,
backfill to a date, honest exit statuses and run states, signals, and one crawl per portal at a time."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select, update

from crawler.settings import CONCURRENT_REQUESTS
from storage.db import open_archive
from storage.models import Article, CrawlRun, FrontierEntry
from storage.timezone import VN_TZ
from storage.urls import canonical_url
from tests.replica import ReplicaServer, build_world, urls

if TYPE_CHECKING:
    from tests.integration.conftest import Newsarchive, ReadArchive

pytestmark = pytest.mark.slow  # crawls in subprocesses: not in `make test-fast`


def _articles(read_archive: ReadArchive, database: str) -> dict[str, Article]:
    with read_archive(database) as session:
        return {a.canonical_url: a for a in session.scalars(select(Article))}


def _runs(read_archive: ReadArchive, database: str) -> list[CrawlRun]:
    with read_archive(database) as session:
        return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))


@pytest.fixture
def replica() -> Iterator[ReplicaServer]:
    with ReplicaServer(build_world(portals=3, articles=60, seed=21), first_host=70, port=0) as server:
        yield server


def test_edits_are_refetched_as_versions_and_removals_are_marked(
    replica: ReplicaServer,
    newsarchive: Newsarchive,
    read_archive: ReadArchive,
    archive_url: str,
    tmp_path: Path,
) -> None:
    start = ["--start-url", replica.home_urls[replica.world.portal_keys[0]]]  # the portal with sitemaps
    assert newsarchive("crawl", *start, "--db", archive_url, cwd=tmp_path, fast=True).returncode == 0
    truth = replica.ground_truth()
    portal = replica.world.portals[0]
    edited = [replica.base_urls[portal.key] + a.path for a in portal.articles if a.edited_at is not None]
    assert edited
    # The portal edits old articles now (a newer sitemap lastmod) and takes one article down.
    replica.set_edition(1, edited_at=datetime.now(UTC))
    gone = next(url for url, t in truth.articles.items() if url.startswith(start[1]) and url not in edited)
    replica.remove(gone)
    engine, factory = open_archive(archive_url)
    with factory.begin() as session:  # its revisit is due (as it would be for a young article)
        session.execute(
            update(FrontierEntry)
            .where(FrontierEntry.url_key == canonical_url(gone))
            .values(next_fetch_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    engine.dispose()
    replica.clear_requested()
    again = newsarchive("crawl", *start, "--db", archive_url, cwd=tmp_path, fast=True)
    assert again.returncode == 0, again.stderr[-2000:]
    requested = {base + path for base, path in replica.requested()}
    rows = _articles(read_archive, archive_url)
    for url in edited:
        assert url in requested and rows[canonical_url(url)].version == 2, url
    removed = rows[canonical_url(gone)]
    assert removed.removed_at is not None and removed.removed_http_status == 404 and removed.text
    untouched = [a for url, a in rows.items() if url not in {canonical_url(u) for u in [*edited, gone]}]
    assert all(a.version == 1 and a.removed_at is None for a in untouched)
    assert len([url for url in requested if url in truth.articles]) == len(edited) + 1
    # show and export say so; the archived text stays.
    shown = newsarchive("show", str(removed.id), "--db", archive_url, cwd=tmp_path)
    assert shown.returncode == 0 and "taken down by the portal (HTTP 404)" in shown.stdout, shown.stderr
    exported = newsarchive("export", "--format", "jsonl", "--db", archive_url, cwd=tmp_path)
    records = {r["id"]: r for r in map(json.loads, exported.stdout.splitlines())}
    assert records[removed.id]["removed_http_status"] == 404
    assert records[removed.id]["removed_at"].endswith("+07:00") and records[removed.id]["text"]
    assert all(r["removed_at"] is None for key, r in records.items() if key != removed.id)


@pytest.fixture(scope="module")
def older_replica() -> Iterator[ReplicaServer]:
    """Two years of articles, a few listing pages per category: enough history to reach back into."""
    with ReplicaServer(build_world(portals=3, articles=300, seed=24), first_host=90, port=0) as server:
        yield server


def test_backfill_walks_back_to_its_date_and_stops(
    older_replica: ReplicaServer, newsarchive: Newsarchive, read_archive: ReadArchive, tmp_path: Path
) -> None:
    replica = older_replica
    database = f"sqlite:///{tmp_path}/backfill.sqlite3"
    since = datetime(2025, 10, 1, tzinfo=VN_TZ)
    truth = replica.ground_truth()
    for index in (0, 2):  # sitemaps by lastmod; listing pagination
        key = replica.world.portal_keys[index]
        base = replica.base_urls[key]
        replica.clear_requested()
        result = newsarchive(
            "crawl",
            "--start-url",
            base + "/",
            "--since",
            f"{since:%Y-%m-%d}",
            "--db",
            database,
            cwd=tmp_path,
            fast=True,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        site = next(server.site for server in replica._servers if server.site.base == base)
        requested = {path for b, path in replica.requested() if b == base}
        # Pagination stopped at the first page whose articles are all older than the date.
        style, size = site.portal.style, urls.PAGE_SIZE[site.portal.style]
        for category in site.portal.categories:
            listed = site.portal.in_category(category.slug)
            pages = [listed[n * size : (n + 1) * size] for n in range(-(-len(listed) // size))]
            stop = next(
                (n for n, page in enumerate(pages, 1) if all(a.published_at < since for a in page)),
                len(pages),
            )
            assert urls.listing_path(style, category.slug, 1) in requested
            beyond = [
                n
                for n in range(stop + 1, len(pages) + 1)
                if urls.listing_path(style, category.slug, n) in requested
            ]
            assert not beyond, (category.slug, stop, beyond)
        rows = {
            url: a
            for url, a in _articles(read_archive, database).items()
            if url.startswith(canonical_url(base))
        }
        expected = {
            canonical_url(u)
            for u, t in truth.articles.items()
            if u.startswith(base) and t.published_at >= since
        }
        assert expected <= set(rows), f"missed {len(expected - set(rows))} articles after {since:%Y-%m-%d}"
        # Also fetched: sidebar links that show no date, and articles a sitemap dates (lastmod) after it.
        undated = {canonical_url(base + a.path) for a in site.most_read}
        changed = {
            canonical_url(base + a.path)
            for a in site.portal.articles
            if (a.updated_at or a.published_at) >= since
        }
        older = [url for url in rows if url not in expected | undated | changed]
        assert not older, older[:3]


def test_an_unreachable_portal_fails_the_run_with_a_non_zero_exit(
    newsarchive: Newsarchive, read_archive: ReadArchive, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path}/unreachable.sqlite3"
    result = newsarchive(
        "crawl", "--start-url", "http://127.0.0.1:9/", "--db", database, cwd=tmp_path, fast=True
    )
    assert result.returncode == 1
    assert "portal 127.0.0.1:9" in result.stdout and "unreachable" in result.stdout
    assert result.stderr.strip().splitlines()[-1].startswith("error: crawl failed")
    assert "Traceback" not in result.stderr
    (run,) = _runs(read_archive, database)
    assert run.status == "failed" and run.outcomes["127.0.0.1:9"]["outcome"] == "unreachable"
    assert "127.0.0.1:9: unreachable" in (run.finish_reason or "")
    # runs: the failed run by portal and status, its outcome, zeros as 0, times with their offset.
    listed = newsarchive(
        "runs", "--portal", "127.0.0.1:9", "--status", "failed", "--json", "--db", database, cwd=tmp_path
    )
    (row,) = json.loads(listed.stdout)
    assert (row["id"], row["outcome"], row["stored"], row["failed"]) == (run.id, "unreachable", 0, 0)
    assert row["started_at"].endswith("+07:00") and row["finished_at"].endswith("+07:00")
    none = newsarchive("runs", "--status", "finished", "--json", "--db", database, cwd=tmp_path)
    assert json.loads(none.stdout) == []
    table = newsarchive("runs", "--db", database, cwd=tmp_path).stdout.splitlines()
    assert "(GMT+7)" in table[2] and " failed " in table[2]
    shown = newsarchive("runs", "show", str(run.id), "--db", database, cwd=tmp_path)
    assert shown.returncode == 0
    assert "portal 127.0.0.1:9" in shown.stdout and "unreachable" in shown.stdout
    assert "127.0.0.1:9: unreachable" in shown.stdout  # the finish reason
    details = json.loads(
        newsarchive("runs", "show", str(run.id), "--json", "--db", database, cwd=tmp_path).stdout
    )
    assert details["status"] == "failed" and details["outcomes"]["127.0.0.1:9"]["outcome"] == "unreachable"
    assert details["pid"] and details["host"] and "finish_reason" in details["stats"]
    missing = newsarchive("runs", "show", "999", "--db", database, cwd=tmp_path)
    assert missing.returncode == 1 and missing.stderr.strip() == "error: no crawl run 999"


def test_sigint_writes_in_flight_pages_and_stops_within_seconds(
    newsarchive: Newsarchive, read_archive: ReadArchive, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path}/interrupted.sqlite3"
    with ReplicaServer(build_world(portals=1, articles=400, seed=22), first_host=80, port=0) as server:
        crawl = newsarchive.start(
            "crawl",
            "--start-url",
            next(iter(server.home_urls.values())),
            "--db",
            database,
            cwd=tmp_path,
            fast=True,
        )
        deadline = time.monotonic() + 120
        while (
            time.monotonic() < deadline
            and len([p for _, p in server.requested() if p.endswith(".html")]) < 30
        ):
            time.sleep(0.2)
        served_before = len(server.requested())
        crawl.send_signal(signal.SIGINT)
        _, stderr = crawl.communicate(timeout=60)  # only stops a crawl that does not stop
        served_after = len(server.requested()) - served_before
    assert crawl.returncode == 130, stderr[-2000:]
    # It stops at once instead of crawling on (hundreds of pages were left): after the signal only the
    # requests in the downloader are served (Scrapy holds at most CONCURRENT_REQUESTS there; 26-32
    # measured), and at most one in place of each of them that finished before the engine saw it.
    assert served_after <= 2 * CONCURRENT_REQUESTS, served_after
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr[-3000:]
    (run,) = _runs(read_archive, database)
    assert run.status == "interrupted" and run.finished_at is not None
    assert 0 < len(_articles(read_archive, database)) < 400


def test_a_second_crawl_of_a_leased_portal_skips_it(
    newsarchive: Newsarchive, read_archive: ReadArchive, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path}/leased.sqlite3"
    with ReplicaServer(
        build_world(portals=1, articles=300, seed=23), first_host=85, port=0, slow_delay=0.0
    ) as server:
        home = next(iter(server.home_urls.values()))
        slow = [
            "--set",
            "DOWNLOAD_DELAY=0.05",
            "--set",
            "AUTOTHROTTLE_ENABLED=False",
            "--set",
            "LOG_LEVEL=WARNING",
        ]
        first = newsarchive.start("crawl", "--start-url", home, "--db", database, *slow, cwd=tmp_path)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not [p for _, p in server.requested() if p.endswith(".html")]:
            time.sleep(0.2)
        second = newsarchive("crawl", "--start-url", home, "--db", database, cwd=tmp_path, fast=True)
        first_out, first_err = first.communicate(timeout=600)
    assert first.returncode == 0, first_err[-2000:]
    assert second.returncode == 0, second.stderr[-2000:]
    assert "is being crawled by" in second.stderr and "+07:00): skipped" in second.stderr  # one zone
    key = home.removeprefix("http://").rstrip("/")
    runs = _runs(read_archive, database)
    assert [run.outcomes[key]["outcome"] for run in runs] == ["reached", "leased"]
    assert runs[1].stats.get("downloader/response_count", 0) == 0
