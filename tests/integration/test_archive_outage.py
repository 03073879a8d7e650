"""A PostgreSQL outage mid-crawl: ridden out within ARCHIVE_RETRY_BUDGET, one line and exit 1 beyond it.

The database is a private cluster this module starts and stops itself (never the shared one), on a port
the OS chose. Each archive is compared with a clean crawl's: the same canonical URLs with the same
status, version and text, nothing twice.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, func, select, text

from storage.models import Article, ArticleVersion, CrawlRun
from tests.replica import ReplicaServer, build_world

if TYPE_CHECKING:
    from tests.integration.conftest import Newsarchive, ReadArchive

pytestmark = pytest.mark.slow  # crawls in subprocesses and a PostgreSQL of their own

OUTAGE_SECONDS = 30.0
SHORT_BUDGET = "5"
Snapshot = dict[str, tuple[str, int, str, int]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivatePostgres:
    """A PostgreSQL cluster of this module's own, in a temporary directory: stop() and start() at will.

    Run as the ``postgres`` user when the tests run as root (initdb refuses root).
    """

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.directory = Path(tempfile.mkdtemp(prefix="newsarchive-outage-pg-"))
        self.data = self.directory / "data"
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.directory, user="postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bindir / program), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.directory / "log"), "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        admin = create_engine(
            f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return self.url(name)

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivatePostgres]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb") or ""]
    if not found[-1]:
        message = "initdb is not installed: a private PostgreSQL cluster cannot be started"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)
    server = PrivatePostgres(Path(found[-1]).parent)
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="module")
def replica() -> Iterator[ReplicaServer]:
    with ReplicaServer(build_world(portals=2, articles=100, seed=11), first_host=60, port=0) as server:
        yield server


def _crawl_args(replica: ReplicaServer, db: str, *extra: str) -> list[str]:
    starts = [arg for url in replica.home_urls.values() for arg in ("--start-url", url)]
    return ["crawl", *starts, "--db", db, *extra]


def _snapshot(read_archive: ReadArchive, db: str) -> Snapshot:
    """Each archived article: its status, version, text identity and number of versions."""
    with read_archive(db) as session:
        versions = dict(
            session.execute(
                select(ArticleVersion.article_id, func.count()).group_by(ArticleVersion.article_id)
            ).all()
        )
        rows = session.execute(
            select(Article.id, Article.canonical_url, Article.status, Article.version, Article.content_hash)
        ).all()
    urls = [row.canonical_url for row in rows]
    assert len(urls) == len(set(urls)), "an article was archived twice"
    return {
        row.canonical_url: (row.status, row.version, row.content_hash, versions.get(row.id, 0))
        for row in rows
    }


@pytest.fixture(scope="module")
def clean_snapshot(
    cluster: PrivatePostgres,
    replica: ReplicaServer,
    newsarchive: Newsarchive,
    read_archive: ReadArchive,
    tmp_path_factory: pytest.TempPathFactory,
) -> Snapshot:
    db = cluster.create_database("clean")
    result = newsarchive(*_crawl_args(replica, db), cwd=tmp_path_factory.mktemp("clean"), fast=True)
    assert result.returncode == 0, result.stderr[-2000:]
    snapshot = _snapshot(read_archive, db)
    assert len(snapshot) >= 150
    return snapshot


def _start_and_wait(
    newsarchive: Newsarchive, args: list[str], cwd: Path, read_archive: ReadArchive, db: str
) -> subprocess.Popen[str]:
    """Start the crawl (its output to files in ``cwd``) and return once it archived 30 articles."""
    process = newsarchive.start(
        *args,
        cwd=cwd,
        fast=True,
        stdout=(cwd / "stdout").open("w"),
        stderr=(cwd / "stderr").open("w"),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the crawl ended before the outage: " + (cwd / "stderr").read_text()
        try:
            with read_archive(db) as session:
                if (session.scalar(select(func.count()).select_from(Article)) or 0) >= 30:
                    return process
        except Exception:  # noqa: BLE001 - the archive may not be created yet in the first instants
            pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError("fewer than 30 articles after 120 s")


def test_an_outage_within_the_budget_is_ridden_out(
    cluster: PrivatePostgres,
    replica: ReplicaServer,
    newsarchive: Newsarchive,
    read_archive: ReadArchive,
    clean_snapshot: Snapshot,
    tmp_path: Path,
) -> None:
    db = cluster.create_database("outage_within")
    process = _start_and_wait(newsarchive, _crawl_args(replica, db), tmp_path, read_archive, db)
    stopped = time.monotonic()
    cluster.stop("fast")
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
    assert process.poll() is None, "the crawl did not wait for its archive"
    cluster.start()
    process.wait(timeout=300)
    stderr = (tmp_path / "stderr").read_text()
    assert process.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr and "Spider error" not in stderr, stderr[-3000:]
    assert "archive unreachable" in stderr and "archive reachable again" in stderr
    assert "not written" not in stderr  # no discovery record dropped
    outages = re.search(r"archive outages +1 \(longest ([\d.]+) s\)", (tmp_path / "stdout").read_text())
    assert outages and 25 <= float(outages[1]) <= 45  # the summary tells the operator
    print(f"\noutage ridden out: {outages[1]} s, exit 0, 0 tracebacks, archive equal to the clean crawl's")
    assert _snapshot(read_archive, db) == clean_snapshot


def test_an_outage_beyond_the_budget_stops_the_crawl_in_one_line_and_the_next_completes(
    cluster: PrivatePostgres,
    replica: ReplicaServer,
    newsarchive: Newsarchive,
    read_archive: ReadArchive,
    clean_snapshot: Snapshot,
    tmp_path: Path,
) -> None:
    db = cluster.create_database("outage_beyond")
    args = _crawl_args(replica, db)
    process = _start_and_wait(
        newsarchive, [*args, "--set", f"ARCHIVE_RETRY_BUDGET={SHORT_BUDGET}"], tmp_path, read_archive, db
    )
    cluster.stop("fast")
    try:
        process.wait(timeout=60)
    finally:
        cluster.start()
    stderr = (tmp_path / "stderr").read_text()
    assert process.returncode == 1, stderr[-3000:]
    assert "Traceback" not in stderr and "Spider error" not in stderr, stderr[-3000:]
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "archive" in errors[0], stderr[-3000:]
    assert "archive_unavailable" in (tmp_path / "stdout").read_text() or "unavailable" in errors[0]

    print(f"\noutage beyond a {SHORT_BUDGET} s budget: exit 1, 0 tracebacks, {errors[0]}")
    again = newsarchive(*args, cwd=tmp_path, fast=True)
    assert again.returncode == 0, again.stderr[-3000:]
    assert _snapshot(read_archive, db) == clean_snapshot
    # The stopped crawl could not record its end: the next one marked it abandoned (its process is gone).
    with read_archive(db) as session:
        assert list(session.scalars(select(CrawlRun.status).order_by(CrawlRun.id))) == [
            "abandoned",
            "finished",
        ]
