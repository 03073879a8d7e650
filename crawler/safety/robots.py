"""Scrapy's robots.txt middleware, with every request that waits for a portal's robots.txt obeying it.

Scrapy 2.19 awaits one shared Deferred per host from every request that arrives while the host's
robots.txt is being fetched. Awaiting a Deferred from asyncio consumes its result: the first waiter gets
the parser and every later one gets None, which the middleware reads as "no robots.txt" and lets
through. A fresh crawl has few such waiters (the home page); a crawl resumed from JOBDIR starts with a
queue full of article links, and the print pages robots.txt forbids were fetched and archived as new
versions of their articles. Here each waiter gets a Deferred of its own.

A robots.txt is read up to its first 500 KiB, as Google does, and obeyed: Scrapy cancelled one over
DOWNLOAD_MAXSIZE (a 50 MB robots.txt with ``Disallow: /tin/``) and then obeyed nothing. An unencoded
robots.txt is streamed, stopped after ROBOTS_MAX_BYTES and parsed up to its last whole line there; the
cut is counted under ``bounds/robotstxt_bytes``.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import StopDownload
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.runtime.scrapy_internals import internal, missing

_USER = "crawler/safety/robots.py"
logger = logging.getLogger(__name__)
# Google reads the first 500 KiB of a robots.txt and ignores the rest (RFC 9309 asks for at least that).
ROBOTS_MAX_BYTES = 500 * 1024


def is_robots_txt(request: Request) -> bool:
    """Whether ``request`` fetches a robots.txt (Scrapy's own, or the spider's for its Sitemap lines)."""
    return urlparse_cached(request).path == "/robots.txt"


def robots_head(body: bytes, limit: int = ROBOTS_MAX_BYTES) -> bytes | None:
    """Return the first ``limit`` bytes of a robots.txt up to its last whole line, or None when it is
    not longer than that."""
    if len(body) <= limit:
        return None
    head = body[:limit]
    return head[: head.rfind(b"\n") + 1] if b"\n" in head else head


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """RobotsTxtMiddleware whose concurrent waiters all get the host's parser. Settings: Scrapy's.

    It reads Scrapy's private ``_parsers`` (host -> parser, or the Deferred of a robots.txt being
    fetched) and awaits Scrapy's ``robot_parser`` coroutine: a Scrapy without them fails the crawl when
    the middleware is built (ScrapyInternalsMissing) instead of letting every waiter through.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        if not isinstance(internal(self, "_parsers", _USER), dict):
            raise missing("dict of robots.txt parsers at RobotsTxtMiddleware._parsers", _USER)
        if not inspect.iscoroutinefunction(ScrapyRobotsTxtMiddleware.robot_parser):
            raise missing("coroutine RobotsTxtMiddleware.robot_parser", _USER)
        if not inspect.iscoroutinefunction(getattr(ScrapyRobotsTxtMiddleware, "_parse_robots", None)):
            raise missing("coroutine RobotsTxtMiddleware._parse_robots", _USER)
        crawler.signals.connect(self._headers_received, signal=signals.headers_received)
        crawler.signals.connect(self._bytes_received, signal=signals.bytes_received)

    def _headers_received(self, headers: Any, body_length: int, request: Request, **_: Any) -> None:
        """An unencoded robots.txt longer than DOWNLOAD_MAXSIZE is streamed (and stopped at its head)
        instead of cancelled; an encoded one keeps DOWNLOAD_MAXSIZE, which bounds its decompression."""
        if is_robots_txt(request) and headers.get(b"Content-Encoding") in (None, b"", b"identity"):
            request.meta["download_maxsize"] = 0
            request.meta["robotstxt_received"] = 0

    def _bytes_received(self, data: bytes, request: Request, **_: Any) -> None:
        received = request.meta.get("robotstxt_received")
        if received is None:
            return
        request.meta["robotstxt_received"] = received = received + len(data)
        if received > ROBOTS_MAX_BYTES:
            raise StopDownload(fail=False)  # the response arrives with what was received

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        head = robots_head(response.body)
        if head is not None:
            self._stats.inc_value("bounds/robotstxt_bytes")
            logger.warning(
                "robots.txt of %s is over %s KiB: obeyed up to there (%s bytes)",
                netloc[:200], ROBOTS_MAX_BYTES // 1024, f"{len(head):,}",
            )  # fmt: skip
            response = response.replace(body=head)
        await super()._parse_robots(response, netloc, request)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)
        waiter: Deferred[RobotParser | None] = Deferred()

        def relay(result: RobotParser | None) -> RobotParser | None:
            waiter.callback(result)
            return result  # the next waiter gets it too

        pending.addCallback(relay)
        return await maybe_deferred_to_future(waiter)
