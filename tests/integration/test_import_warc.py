"""End to end: the replica crawled, exported as WARC, and imported into an empty archive on each database
gives back the same articles (URLs, texts, dates, duplicates); importing again adds nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from storage.models import Article, Capture
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
    yield Exported(workdir / "replica.warc.gz", articles)


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
