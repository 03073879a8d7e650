"""Crash safety: a crawl killed with SIGKILL, or whose PostgreSQL connections are cut, loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, func, select, text

from storage.models import Article, CrawlRun
from storage.urls import canonical_url
from tests.replica import ReplicaServer, build_world

if TYPE_CHECKING:
    from tests.integration.conftest import Newsarchive, ReadArchive

pytestmark = pytest.mark.slow  # crawls in subprocesses: not in `make test-fast`


@pytest.fixture(scope="module")
def replica() -> Iterator[ReplicaServer]:
    with ReplicaServer(build_world(portals=2, articles=150, seed=5), first_host=40, port=0) as server:
        yield server


def _crawl_args(replica: ReplicaServer, db: str, *extra: str) -> list[str]:
    starts = [arg for url in replica.home_urls.values() for arg in ("--start-url", url)]
    return ["crawl", *starts, "--db", db, *extra]


def _count(read_archive: ReadArchive, db: str) -> int:
    with read_archive(db) as session:
        return session.scalar(select(func.count()).select_from(Article)) or 0


def _wait_for_articles(
    read_archive: ReadArchive, db: str, minimum: int, process: subprocess.Popen[str], timeout: float = 120
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the crawl ended before it could be interrupted"
        try:
            if _count(read_archive, db) >= minimum:
                return
        except Exception:  # noqa: BLE001 - the archive may not exist yet in the first instants
            pass
        time.sleep(0.2)
    raise AssertionError(f"fewer than {minimum} articles after {timeout} s")


def _assert_complete(replica: ReplicaServer, read_archive: ReadArchive, db: str) -> None:
    truth = replica.ground_truth()
    with read_archive(db) as session:
        urls = list(session.scalars(select(Article.canonical_url)))
    assert len(urls) == len(set(urls)), "an article was archived twice"
    assert {canonical_url(u) for u in truth.articles} <= set(urls)


def test_sigkill_mid_crawl_then_recrawl_completes_the_archive(
    replica: ReplicaServer, newsarchive: Newsarchive, read_archive: ReadArchive, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path}/killed.sqlite3"
    process = newsarchive.start(
        *_crawl_args(replica, db),
        cwd=tmp_path,
        fast=True,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for_articles(read_archive, db, 40, process)
    os.killpg(process.pid, signal.SIGKILL)  # the crawler and its extraction workers, no clean-up at all
    process.wait(timeout=30)
    killed_at = _count(read_archive, db)
    assert 40 <= killed_at < 300
    engine = create_engine(db)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()

    again = newsarchive(*_crawl_args(replica, db), cwd=tmp_path, fast=True)
    assert again.returncode == 0, again.stderr[-2000:]
    _assert_complete(replica, read_archive, db)
    # The killed crawl's run is marked abandoned (its process is gone) and its leases were taken over
    # at once instead of blocking the recrawl until they lapsed.
    with read_archive(db) as session:
        runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
    assert [run.status for run in runs] == ["abandoned", "finished"]
    assert "lease of a killed crawl" in again.stderr


def test_postgres_connections_cut_mid_crawl(
    replica: ReplicaServer,
    newsarchive: Newsarchive,
    read_archive: ReadArchive,
    postgres_url: str,
    tmp_path: Path,
) -> None:
    process = newsarchive.start(
        *_crawl_args(replica, postgres_url), cwd=tmp_path, fast=True, stdout=subprocess.DEVNULL
    )
    _wait_for_articles(read_archive, postgres_url, 30, process)
    database = postgres_url.rsplit("/", 1)[1]
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        cut = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": database},
        ).scalar()
    admin.dispose()
    assert cut and cut >= 1
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-2000:]
    _assert_complete(replica, read_archive, postgres_url)


def test_jobdir_crawl_stopped_early_resumes_where_it_stopped(
    replica: ReplicaServer, newsarchive: Newsarchive, read_archive: ReadArchive, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path}/resumed.sqlite3"
    jobdir = ["--set", f"JOBDIR={tmp_path}/job"]
    first = newsarchive(
        *_crawl_args(replica, db, *jobdir, "--set", "CLOSESPIDER_ITEMCOUNT=40"), cwd=tmp_path, fast=True
    )
    # Stopped early, it gave discovered URLs up: exit 1, and it says how many the next crawl owes.
    assert first.returncode == 1 and "left for the next crawl" in first.stdout, first.stderr[-2000:]
    stopped_at = _count(read_archive, db)
    assert 40 <= stopped_at < 300
    replica.clear_requested()
    second = newsarchive(*_crawl_args(replica, db, *jobdir), cwd=tmp_path, fast=True)
    assert second.returncode == 0, second.stderr[-2000:]
    _assert_complete(replica, read_archive, db)
    # robots.txt is obeyed after the resume too: its queue is full of article links, print pages
    # among them, all asked for while robots.txt is still being fetched (crawler/safety/robots.py).
    truth = replica.ground_truth()
    requested = {base + path for base, path in replica.requested()}
    assert truth.disallowed_urls and not truth.disallowed_urls & requested
    with read_archive(db) as session:
        assert session.scalars(select(Article).where(Article.version > 1)).all() == []
    # The resumed crawl continued from the saved queue instead of starting over: a fresh start would
    # have revisited every article the first run archived.
    revisits = int(second.stdout.split("unchanged revisits")[1].split()[0])
    assert revisits < stopped_at / 2, (revisits, stopped_at)
