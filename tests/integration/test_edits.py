"""Edits are found whatever the portal's clock says (issue 20): a sitemap lastmod, and a sitemap's lastmod in
the sitemap index, that move forward but stay before our last fetch are read again and the article gets
version 2 with its new text and the page's modified time; an unchanged lastmod is not fetched again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from storage.models import Article
from storage.urls import canonical_url
from tests.replica import ReplicaServer, build_world, feeds

if TYPE_CHECKING:
    from tests.integration.conftest import Newsarchive, ReadArchive

pytestmark = pytest.mark.slow  # crawls in subprocesses: not in `make test-fast`
_INDEXED = re.compile(r"<loc>[^<]*(/sitemaps/posts-[^<]*)</loc><lastmod>([^<]*)</lastmod>")


@pytest.fixture
def replica() -> Iterator[ReplicaServer]:
    # One portal with a sitemap index; its edited articles sit in monthly sitemaps, not all in news.xml.
    with ReplicaServer(build_world(portals=1, articles=80, seed=21), first_host=160, port=0) as server:
        yield server


def _index_lastmods(replica: ReplicaServer) -> dict[str, str]:
    portal = replica.world.portals[0]
    return dict(_INDEXED.findall(feeds.sitemap_index(portal, replica.base_urls[portal.key])))


def test_lastmods_moving_forward_before_our_fetch_are_read_again_and_versioned(
    replica: ReplicaServer,
    newsarchive: Newsarchive,
    read_archive: ReadArchive,
    archive_url: str,
    tmp_path: Path,
) -> None:
    portal = replica.world.portals[0]
    base = replica.base_urls[portal.key]
    crawl = ("crawl", "--start-url", base + "/", "--db", archive_url)
    fetched_from = datetime.now(UTC)
    first = newsarchive(*crawl, cwd=tmp_path, fast=True)
    assert first.returncode == 0, first.stderr[-2000:]
    with read_archive(archive_url) as session:
        before = {a.canonical_url: a.text for a in session.scalars(select(Article))}
    index_before = _index_lastmods(replica)
    # The portal edits articles now, but its clock is 12 hours behind ours: every new lastmod (of the
    # articles, and of their monthly sitemaps in the index) is later than the old one and still earlier
    # than our fetch.
    edit_time = fetched_from - timedelta(hours=12)
    replica.set_edition(1, edited_at=edit_time)
    edited = [base + a.path for a in portal.articles if a.edited_at is not None]
    newest = {base + a.path for a in portal.latest(feeds.NEWS_SITEMAP_SIZE)}
    assert edited and set(edited) - newest, "an edited article is listed only in a monthly sitemap"
    index_after = _index_lastmods(replica)
    moved = {path for path, lastmod in index_after.items() if lastmod != index_before.get(path)}
    assert moved and all(index_after[path] > index_before[path] for path in moved)

    replica.clear_requested()
    again = newsarchive(*crawl, cwd=tmp_path, fast=True)
    assert again.returncode == 0, again.stderr[-2000:]
    requested = {path for _, path in replica.requested()}
    with read_archive(archive_url) as session:
        after = {a.canonical_url: a for a in session.scalars(select(Article))}
    for url in edited:
        article = after[canonical_url(url)]
        assert article.version == 2 and article.text != before[canonical_url(url)], url
        # The page's own modified time (article:modified_time, "Cập nhật") is recorded with the version.
        assert article.updated_at is not None and abs(article.updated_at - edit_time) < timedelta(minutes=1)
    # Only the monthly sitemaps whose lastmod moved were read again; only the edited articles fetched.
    assert {path for path in requested if path.startswith("/sitemaps/posts-")} == moved
    truth = replica.ground_truth()
    refetched = {base + path for path in requested} & set(truth.articles)
    assert refetched == set(edited)
    assert all(a.version == 1 for key, a in after.items() if key not in {canonical_url(u) for u in edited})
