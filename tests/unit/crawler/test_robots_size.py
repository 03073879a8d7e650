"""A robots.txt over 500 KiB is obeyed up to its first 500 KiB (as Google does), never ignored whole."""

from __future__ import annotations

import asyncio

import pytest
from scrapy import Spider
from scrapy.exceptions import StopDownload
from scrapy.http import Headers, Request, TextResponse
from scrapy.robotstxt import RobotParser
from scrapy.utils.test import get_crawler

from crawler.safety.robots import ROBOTS_MAX_BYTES, RobotsTxtMiddleware, robots_head

FILLER = b"# " + b"x" * 97 + b"\n"  # 100-byte comment lines


def _parser(body: bytes) -> tuple[RobotParser | None, RobotsTxtMiddleware]:
    crawler = get_crawler(Spider, {"ROBOTSTXT_OBEY": True})
    crawler.stats.open_spider()
    middleware = RobotsTxtMiddleware.from_crawler(crawler)

    async def download_async(request: Request) -> TextResponse:
        return TextResponse(request.url, body=body, request=request)

    crawler.engine = type("Engine", (), {"download_async": staticmethod(download_async)})()
    parser = asyncio.run(middleware.robot_parser(Request("http://p.vn/tin/a.html")))
    return parser, middleware


def test_a_huge_robots_txt_is_obeyed_up_to_its_first_500_kib() -> None:
    body = b"User-agent: *\nDisallow: /tin/\n" + FILLER * 500_000 + b"Disallow: /tuyen-truyen/\n"  # 50 MB
    parser, middleware = _parser(body)
    assert parser is not None
    assert not parser.allowed("http://p.vn/tin/bai-viet-1.html", "newsarchive")
    assert parser.allowed("http://p.vn/tuyen-truyen/x.html", "newsarchive")  # past the cut: ignored
    assert middleware._stats.get_value("bounds/robotstxt_bytes") == 1


def test_an_ordinary_robots_txt_is_not_cut() -> None:
    parser, middleware = _parser(b"User-agent: *\nDisallow: /tin/\n" + FILLER * 100)
    assert parser is not None and not parser.allowed("http://p.vn/tin/a.html", "newsarchive")
    assert middleware._stats.get_value("bounds/robotstxt_bytes") is None


def test_the_head_ends_on_a_whole_line() -> None:
    head = robots_head(FILLER * 6000)
    assert head is not None and len(head) <= ROBOTS_MAX_BYTES and head.endswith(b"\n")
    assert len(head) > ROBOTS_MAX_BYTES - len(FILLER)
    assert robots_head(FILLER * 10) is None


def test_an_unencoded_robots_txt_is_streamed_and_stopped_after_its_head() -> None:
    crawler = get_crawler(Spider, {"ROBOTSTXT_OBEY": True})
    middleware = RobotsTxtMiddleware.from_crawler(crawler)
    robots = Request("http://p.vn/robots.txt")
    middleware._headers_received(Headers({"Content-Length": "52428800"}), 52_428_800, robots)
    assert robots.meta["download_maxsize"] == 0  # not cancelled for its announced 50 MB
    middleware._bytes_received(b"a" * ROBOTS_MAX_BYTES, robots)
    with pytest.raises(StopDownload) as stopped:
        middleware._bytes_received(b"a", robots)
    assert not stopped.value.fail  # the response arrives with what was received
    # A compressed one keeps DOWNLOAD_MAXSIZE (which bounds its decompression); other URLs are untouched.
    gzipped = Request("http://p.vn/robots.txt")
    middleware._headers_received(Headers({"Content-Encoding": "gzip"}), 1000, gzipped)
    page = Request("http://p.vn/tin/a.html")
    middleware._headers_received(Headers({}), 52_428_800, page)
    assert "download_maxsize" not in gzipped.meta and "download_maxsize" not in page.meta
