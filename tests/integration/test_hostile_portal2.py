"""A crawl of the second hostile portal (issue 21), once per backend: the internal server beside the
portal's own host receives nothing, header and link floods and a 50 MB robots.txt are bounded and the
robots.txt obeyed, a br page and a page with NUL in its ETag are archived, every failure has its reason,
and a portal whose home page redirects to an internal server is unreachable (exit 1)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from storage.captures import capture_body
from storage.models import Article, Capture, CrawlRun, FrontierEntry
from tests.integration.hostile import SECRET
from tests.integration.hostile2 import CASES, FORBIDDEN_PATH, SCHEME_REDIRECTS, HostilePortal2

if TYPE_CHECKING:
    from tests.integration.conftest import Newsarchive, ReadArchive

pytestmark = pytest.mark.slow  # crawls in subprocesses: not in `make test-fast`

PAGE_LINKS = 40  # the home page's cases, then 28 of its 20,000 flood links


@dataclass
class Crawl:
    result: subprocess.CompletedProcess[str]
    seconds: float
    internal: list[str]
    portal: list[str]
    cases: dict[str, str]
    captures: dict[str, Capture]
    articles: dict[str, Article]
    frontier: dict[str, FrontierEntry]
    run: CrawlRun
    redirecting: str


@pytest.fixture(scope="module")
def crawl(
    newsarchive: Newsarchive,
    read_archive: ReadArchive,
    module_archive_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Crawl]:
    with HostilePortal2() as portal:
        command = (
            "crawl", "--start-url", portal.base + "/", "--start-url", portal.redirecting + "/",
            "--db", module_archive_url, "--set", f"NEWSARCHIVE_MAX_PAGE_LINKS={PAGE_LINKS}",
            "--set", "EXTRACTION_WORKERS=2", "--set", "RETRY_TIMES=0",
        )  # fmt: skip
        started = time.monotonic()
        result = newsarchive(*command, cwd=tmp_path_factory.mktemp("crawl"), fast=True, timeout=300)
        seconds = time.monotonic() - started
        internal, requested = portal.requested("internal"), portal.requested("portal")
        cases = {name: portal.url(name) for name in CASES}
    with read_archive(module_archive_url) as session:
        yield Crawl(
            result,
            seconds,
            internal,
            requested,
            cases,
            {c.url: c for c in session.scalars(select(Capture))},
            {a.url: a for a in session.scalars(select(Article))},
            {f.url: f for f in session.scalars(select(FrontierEntry))},
            session.scalars(select(CrawlRun)).one(),
            portal.redirecting,
        )


def _recorded(crawl: Crawl, case: str) -> tuple[str, str]:
    capture = crawl.captures[crawl.cases[case]]
    return capture.status, capture.reason or ""


def test_the_crawl_ends_on_its_own_with_the_redirecting_portal_unreachable(crawl: Crawl) -> None:
    assert "Traceback" not in crawl.result.stderr, crawl.result.stderr[-3000:]
    assert crawl.result.returncode == 1, crawl.result.stderr[-3000:]  # one portal unreachable
    outcomes = {key: value["outcome"] for key, value in crawl.run.outcomes.items()}
    assert sorted(outcomes.values()) == ["reached", "unreachable"], outcomes
    unreachable = next(value for value in crawl.run.outcomes.values() if value["outcome"] == "unreachable")
    assert "refused by the address guard" in unreachable["home"]


def test_nothing_internal_is_requested_or_archived(crawl: Crawl) -> None:
    assert crawl.internal == []
    for capture in crawl.captures.values():
        assert SECRET.encode() not in capture_body(capture), capture.url
    # The portal's own host on another port is not the portal.
    status, reason = _recorded(crawl, "own-host-other-port")
    assert status == "refused" and "127.0.0.3 is a loopback address" in reason, reason


def test_floods_are_bounded_with_their_figures(crawl: Crawl) -> None:
    stats = crawl.run.stats
    status, reason = _recorded(crawl, "header-bomb")
    assert status == "fetch_failed" and reason.startswith(
        "HeadersRefused: response headers over 65,536 bytes"
    )
    assert stats["bounds/header_bytes"] == 2  # the bomb, and the 100 KB Location below
    stored = crawl.captures[crawl.cases["header-bomb"]].headers
    assert len(repr(stored)) < 65_536
    # 20,000 flood links, each seen once: only PAGE_LINKS of the home page's links were read.
    flood = [path for path in crawl.portal if path.startswith("/tin/bai-viet-lu-lien-ket-so-")]
    assert 0 < len(flood) <= PAGE_LINKS and stats["bounds/page_links"] >= 20_000 - PAGE_LINKS


def test_a_huge_robots_txt_is_obeyed(crawl: Crawl) -> None:
    assert FORBIDDEN_PATH not in crawl.portal
    assert crawl.run.stats["bounds/robotstxt_bytes"] >= 1
    assert crawl.run.stats.get("discovery/robots_forbidden", 0) >= 1


def test_br_and_nul_header_pages_are_archived(crawl: Crawl) -> None:
    for case in ("brotli", "nul-etag", "plain"):
        assert _recorded(crawl, case)[0] == "archived", (case, _recorded(crawl, case))
    assert crawl.articles[crawl.cases["brotli"]].title == "Bài viết thử nghiệm lần hai: brotli"
    headers: dict[str, Any] = crawl.captures[crawl.cases["nul-etag"]].headers
    assert headers["Etag"] == ['W/"abc\\x00def"']


def test_every_failure_has_a_reason_on_its_capture_and_frontier_entry(crawl: Crawl) -> None:
    for case, location in SCHEME_REDIRECTS.items():
        scheme = location.split(":")[0]
        assert _recorded(crawl, case) == (
            "refused",
            f"refused by the address guard: scheme {scheme!r} is not fetched (only http and https)",
        )
    status, reason = _recorded(crawl, "redirect-100kb-url")
    # Its 100 KB Location is one header line over Twisted's 16 KiB: refused, and said so.
    assert status == "fetch_failed" and reason.startswith(
        "HeadersRefused: a response header line over 16,384"
    )
    status, reason = _recorded(crawl, "data-loss")
    assert status == "fetch_failed" and reason.startswith("ResponseDataLossError: "), reason
    assert reason.split(": ", 1)[1].strip()
    for case in (*SCHEME_REDIRECTS, "redirect-100kb-url", "data-loss", "header-bomb", "own-host-other-port"):
        entry = crawl.frontier[crawl.cases[case]]
        assert entry.state == "failed" and entry.reason, (case, entry.state, entry.reason)
