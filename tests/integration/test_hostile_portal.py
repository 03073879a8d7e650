"""A crawl of a hostile portal: nothing internal or local is fetched, every bound holds, every page is
recorded with its reason, and the crawl ends on its own. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from storage.captures import capture_body
from storage.models import Article, Capture, CrawlRun
from tests.integration.hostile import CASES, LONG_URL_PATH, SECRET, HostilePortal

if TYPE_CHECKING:
    from tests.integration.conftest import Newsarchive, ReadArchive

pytestmark = pytest.mark.slow  # crawls in subprocesses: not in `make test-fast`

# A crawl still running after this is caught in a trap. Its peak memory on these pages is a benchmark
# figure (`make bench-memory`, tests/benchmarks/crawl.py --workload hostile), not an assertion here.
CRAWL_TIMEOUT = 300
# 4 s of CPU: the slow page is cut, while an ordinary page on a machine busy with the rest of the suite
# stays far from the clock backstop (3 x 4 s).
EXTRACTION = ("--set", "EXTRACTION_TIMEOUT=4", "--set", "EXTRACTION_WORKERS=2")


def test_hostile_portal(
    newsarchive: Newsarchive, read_archive: ReadArchive, archive_url: str, tmp_path: Path
) -> None:
    with HostilePortal() as portal:
        start = ("--start-url", portal.base + "/")
        crawl = ("crawl", *start, "--db", archive_url, *EXTRACTION)
        result = newsarchive(*crawl, cwd=tmp_path, fast=True, timeout=CRAWL_TIMEOUT)
        internal_requests = portal.requested("internal")
        portal_requests = portal.requested("portal")
        cases = {name: portal.url(name) for name in CASES}
        long_url = portal.base + LONG_URL_PATH

    # The crawl ended on its own (a trap would have run into CRAWL_TIMEOUT).
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]

    # Nothing was requested from the internal server, nothing local or internal is in the archive.
    assert internal_requests == []
    with read_archive(archive_url) as session:
        captures = {c.url: c for c in session.scalars(select(Capture))}
        articles = {a.url: a for a in session.scalars(select(Article))}
        run = session.scalars(select(CrawlRun)).one()
    for capture in captures.values():
        body = capture_body(capture)
        assert SECRET.encode() not in body and b"root:x:0:0" not in body, capture.url

    def recorded(case: str) -> tuple[str, str]:
        capture = captures[cases[case]]
        return capture.status, capture.reason or ""

    # SSRF and local files: refused, with the reason.
    assert recorded("redirect-file") == (
        "refused",
        "refused by the address guard: scheme 'file' is not fetched (only http and https)",
    )
    status, reason = recorded("redirect-internal")
    assert status == "refused" and "127.0.0.9 is a loopback address" in reason
    status, reason = recorded("redirect-postgres")
    assert status == "refused" and "127.0.0.1 is a loopback address" in reason

    # Resources: too large, bombs, slow pages fail alone, with their reason.
    status, reason = recorded("page-60mb")
    assert status == "fetch_failed" and "download max size" in reason.lower(), reason
    status, reason = recorded("gzip-bomb")
    assert status == "fetch_failed" and "exceeded DOWNLOAD_MAXSIZE" in reason and "decompression" in reason
    # Cut on its CPU time (4 s), or on the clock (12 s) when a busy machine starved its worker.
    status, reason = recorded("slow-extraction")
    assert status == "extraction_failed" and reason in (
        "extraction timed out after 4 s",
        "extraction timed out after 12 s on the clock without finishing",
    ), reason

    # Junk is recorded, never fatal.
    assert recorded("binary") == ("extraction_failed", "binary content (application/zip)")
    assert recorded("empty-body") == ("extraction_failed", "empty body")
    status, reason = recorded("redirect-loop")
    assert status == "fetch_failed" and reason.startswith("redirect loop: ")
    status, reason = recorded("redirect-long-url")
    assert status == "fetch_failed" and reason.startswith("redirect to a URL of 3,")

    assert recorded("garbage")[0] == "extraction_failed" and recorded("garbage")[1]
    assert recorded("gone") == ("fetch_failed", "HTTP 410")
    # The portal's own host, another port: not the portal (its site key is host and port), so refused.
    status, reason = recorded("redirect-nowhere")
    assert status == "refused" and "127.0.0.2 is a loopback address" in reason

    # Damaged but readable pages are archived, and nothing is lost from them.
    for case in (
        "invalid-utf8",
        "lying-charset",
        "control-entities",
        "malformed-metadata-urls",
        "long-content-type",
        "plain",
    ):
        assert recorded(case)[0] == "archived", (case, recorded(case))
    assert articles[cases["lying-charset"]].title == "Bài viết khai sai bảng mã"
    controlled = articles[cases["control-entities"]].text
    assert "ký tự điều khiển" in controlled and "\x0b" not in controlled and "\x1b" not in controlled
    assert len(captures[cases["long-content-type"]].content_type or "") > 300
    assert articles[cases["malformed-metadata-urls"]].image is None
    assert captures[long_url].status == "archived" and len(long_url) > 1900

    # Bounds: the trap ended at the article-hop bound; sitemap nesting and size were bounded.
    stats = run.stats
    trap_pages = [path for path in portal_requests if path.startswith("/tin/bai-viet-bay-")]
    assert 0 < len(trap_pages) <= 1 + 3 + 9 and stats["bounds/article_hops"] > 0
    assert stats["bounds/sitemap_depth"] >= 1
    assert sum(1 for path in portal_requests if path.startswith("/sm/nested-")) <= 3
    assert stats["discovery/sitemap_unreadable"] >= 1  # the gzip bomb, cut at 50 MB
    assert "/sm/big.xml" in portal_requests and stats["discovery/sitemaps"] >= 5
    assert stats["discovery/offsite"] >= 3  # robots.txt, sitemap index and <link> feed on the internal host
    # The internal, PostgreSQL and other-port redirects; file: is refused by the spider's redirect check.
    assert stats["guard/refused"] == 3 and stats["fetch/refused"] >= 4
