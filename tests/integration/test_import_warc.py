"""End to end: the replica crawled and exported as WARC. Imported into an empty archive on each database,
it gives back the same articles (URLs, texts, dates, duplicates), and importing again adds nothing.
Served by pywb as a collection, `backfill --cdx` of one portal archives all its articles, resumes after
SIGKILL, and exits 1 when the CDX server is unreachable."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from storage.models import Article, Capture
from tests.integration.conftest import ROOT
from tests.replica import ReplicaServer, build_world

if TYPE_CHECKING:
    from tests.integration.conftest import Newsarchive, ReadArchive

pytestmark = pytest.mark.slow  # crawls and imports in subprocesses

PORTALS, ARTICLES, SEED = 2, 30, 24


@dataclass(frozen=True)
class Exported:
    """The replica crawled into an archive of its own, and that archive's `export --format warc --all`."""

    warc: Path
    articles: dict[str, tuple[str, str, str | None, str, str | None]]  # by canonical URL
    home_urls: dict[str, str]  # the replica's portals' home URLs, by replica key


def _articles(session: object) -> dict[str, tuple[str, str, str | None, str, str | None]]:
    rows = list(session.scalars(select(Article)))  # type: ignore[attr-defined]
    by_id = {row.id: row.canonical_url for row in rows}
    return {
        row.canonical_url: (
            row.text,
            row.status,
            row.published_at.isoformat() if row.published_at else None,
            row.content_hash,
            by_id.get(row.duplicate_of) if row.duplicate_of else None,
        )
        for row in rows
    }


@pytest.fixture(scope="module")
def exported(
    newsarchive: Newsarchive, read_archive: ReadArchive, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Exported]:
    workdir = tmp_path_factory.mktemp("exported")
    source = f"sqlite:///{workdir}/source.sqlite3"
    world = build_world(portals=PORTALS, articles=ARTICLES, seed=SEED)
    with ReplicaServer(world, first_host=60, port=0) as replica:
        home_urls = dict(replica.home_urls)
        start = [arg for url in replica.home_urls.values() for arg in ("--start-url", url)]
        crawl = newsarchive("crawl", *start, "--db", source, cwd=workdir, fast=True)
        assert crawl.returncode == 0, crawl.stderr[-3000:]
    export = newsarchive(
        "export", "--db", source, "--format", "warc", "--all", "-o", str(workdir / "replica.warc.gz"),
        cwd=workdir,
    )  # fmt: skip
    assert export.returncode == 0, export.stderr[-3000:]
    with read_archive(source) as session:
        articles = _articles(session)
    assert len(articles) >= PORTALS * ARTICLES * 0.8
    yield Exported(workdir / "replica.warc.gz", articles, home_urls)


@dataclass(frozen=True)
class Imported:
    first: str  # the first import's stdout
    again: str  # the second import's stdout
    articles: dict[str, tuple[str, str, str | None, str, str | None]]
    captures: list[Capture]
    captures_after_again: int


@pytest.fixture(scope="module")
def imported(
    exported: Exported,
    newsarchive: Newsarchive,
    read_archive: ReadArchive,
    module_archive_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Imported:
    workdir = tmp_path_factory.mktemp("import")
    command = ("import", str(exported.warc), "--db", module_archive_url, "--source", "replica export")
    first = newsarchive(*command, cwd=workdir)
    assert first.returncode == 0, first.stdout + first.stderr[-3000:]
    with read_archive(module_archive_url) as session:
        articles = _articles(session)
        captures = list(session.scalars(select(Capture)))
    again = newsarchive(*command, cwd=workdir)
    assert again.returncode == 0, again.stdout + again.stderr[-3000:]
    with read_archive(module_archive_url) as session:
        captures_after = len(session.scalars(select(Capture)).all())
    return Imported(first.stdout, again.stdout, articles, captures, captures_after)


def test_the_import_gives_back_the_crawls_articles_texts_dates_and_duplicates(
    exported: Exported, imported: Imported
) -> None:
    assert imported.articles.keys() == exported.articles.keys()
    for url, crawled in exported.articles.items():
        assert imported.articles[url] == crawled, url
    assert any(duplicate_of for *_, duplicate_of in imported.articles.values())


def test_each_capture_keeps_its_source_record_and_time(imported: Imported) -> None:
    assert imported.captures
    for capture in imported.captures:
        assert capture.discovered_via == "import"
        assert capture.provenance is not None
        assert capture.provenance["source"] == "replica export"
        assert capture.provenance["file"] == "replica.warc.gz"
        assert capture.provenance["record_id"].startswith("<urn:uuid:")


def test_the_summary_counts_what_was_skipped_and_why(imported: Imported) -> None:
    assert "request record" in imported.first
    assert "HTTP 404" in imported.first  # the crawl's failed fetches are in an --all export
    assert "failed 0" in imported.first


def test_importing_the_same_file_again_adds_no_capture(imported: Imported) -> None:
    assert imported.captures_after_again == len(imported.captures)
    assert "archived 0 " in imported.again
    assert "already in the archive" in imported.again


# --- backfill from pywb's CDX server ------------------------------------------------------------


@dataclass(frozen=True)
class Wayback:
    """A pywb collection of the exported WARC served on 127.0.0.1, and a registry naming one portal."""

    cdx: str
    registry: Path
    home: str  # the backfilled portal's home URL


@pytest.fixture(scope="module")
def wayback(exported: Exported, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wayback]:
    root = tmp_path_factory.mktemp("pywb")
    manager = Path(sys.executable).with_name("wb-manager")
    for args in (("init", "replica"), ("add", "replica", str(exported.warc))):
        done = subprocess.run([str(manager), *args], cwd=root, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
    ready = root / "port"
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.pywb_serve", str(root), str(ready)],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert server.poll() is None, server.stderr.read().decode()[-2000:] if server.stderr else ""
            assert time.monotonic() < deadline, "pywb did not start"
            time.sleep(0.1)
        home = sorted(exported.home_urls.values())[0]
        registry = root / "portals.toml"
        registry.write_text(f'[[portal]]\nkey = "vanished"\nname = "Báo Đã Đóng"\nhome_url = "{home}"\n')
        yield Wayback(f"http://127.0.0.1:{ready.read_text()}/replica/cdx", registry, home)
    finally:
        server.kill()
        server.wait()


def _backfilled(url: str, home: str, read_archive: ReadArchive) -> tuple[dict[str, str], int]:
    with read_archive(url) as session:
        texts = {a.canonical_url: a.text for a in session.scalars(select(Article))}
        captures = len(session.scalars(select(Capture)).all())
    assert all(key.startswith(home) for key in texts)
    return texts, captures


def test_backfill_through_pywb_archives_every_article_and_resumes_after_sigkill(
    exported: Exported, wayback: Wayback, newsarchive: Newsarchive, read_archive: ReadArchive,
    tmp_path: Path,
) -> None:  # fmt: skip
    db = f"sqlite:///{tmp_path}/backfill.sqlite3"
    command = ("backfill", "vanished", "--cdx", wayback.cdx, "--registry", str(wayback.registry), "--db", db)
    # Slowed down so it is killed part way: 0.3 s between replays.
    killed = newsarchive.start(*command, "--delay", "0.3", cwd=tmp_path)
    deadline = time.monotonic() + 120
    archive_file = tmp_path / "backfill.sqlite3"
    while time.monotonic() < deadline and killed.poll() is None:
        if archive_file.exists():
            with contextlib.suppress(Exception), read_archive(db) as session:
                if len(session.scalars(select(Article)).all()) >= 5:
                    break
        time.sleep(0.2)
    assert killed.poll() is None, "the backfill ended before it could be killed"
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    partial, _ = _backfilled(db, wayback.home, read_archive)
    expected = {url: text for url, (text, *_) in exported.articles.items() if url.startswith(wayback.home)}
    assert 5 <= len(partial) < len(expected)

    resumed = newsarchive(*command, "--delay", "0", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr[-3000:]
    assert "already in the archive" in resumed.stdout
    texts, captures = _backfilled(db, wayback.home, read_archive)
    assert texts == expected
    assert captures == len(expected)  # nothing archived twice across the kill
    with read_archive(db) as session:
        capture = session.scalars(select(Capture)).first()
        assert capture is not None and capture.discovered_via == "backfill"
        assert capture.provenance is not None and "id_/" in capture.provenance["replay"]


def test_backfill_exits_1_when_the_cdx_server_is_unreachable(
    wayback: Wayback, newsarchive: Newsarchive, tmp_path: Path
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = newsarchive(
        "backfill", "vanished", "--cdx", f"http://127.0.0.1:{port}/replica/cdx", "--registry",
        str(wayback.registry), "--db", f"sqlite:///{tmp_path}/a.sqlite3", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("error: CDX server http://127.0.0.1:")
