"""A bound on the total size of a response's headers.

Twisted's HTTP client reads header lines without a total limit: 100 MB of headers took the crawl to
701 MB and a 97.7 MB ``captures.headers`` row. BoundedHTTPClientParser counts the bytes of the status
line and header lines and gives up on the response past NEWSARCHIVE_MAX_HEADER_BYTES, before they are
kept; the stored headers are the response's, so they are bounded by the same figure.
HeaderBoundMiddleware records that failure as HeadersRefused with the figure (``bounds/header_bytes``).

Scrapy's HTTP/1.1 handler gives each response parser the class ``_LenientHTTPClientParser`` of its module
(Twisted's ``HTTPClientParser`` otherwise), which install() replaces with a bounded subclass;
tests/unit/crawler/test_headers.py checks both against the installed Scrapy and Twisted.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers import http11
from scrapy.exceptions import NotConfigured
from twisted.web import _newclient

from crawler import defaults
from crawler.spiders.failures import causes

logger = logging.getLogger(__name__)


class ResponseHeadersTooLarge(Exception):
    """A response whose headers exceed NEWSARCHIVE_MAX_HEADER_BYTES; str() says by how much."""

    def __init__(self, received: int, limit: int, *, one_line: bool = False) -> None:
        super().__init__(
            f"a response header line over {limit:,} bytes ({received:,} bytes of it received)"
            if one_line
            else f"response headers over {limit:,} bytes (NEWSARCHIVE_MAX_HEADER_BYTES): "
            f"{received:,} bytes received before the response was refused"
        )


class HeadersRefused(Exception):
    """A response refused for the size of its headers; str() is the reason with the figure."""


class _HeaderBound:
    """Counts the bytes of the status line and header lines and refuses the response past ``limit``."""

    limit = defaults.NEWSARCHIVE_MAX_HEADER_BYTES
    _header_bytes = 0
    state: str
    MAX_LENGTH: int  # Twisted's LineReceiver: the longest line it reads

    def lineReceived(self, line: bytes) -> None:  # noqa: N802 - Twisted's interface
        if self.state in (_newclient.STATUS, _newclient.HEADER):
            self._header_bytes += len(line) + 2
            if self._header_bytes > self.limit:
                raise ResponseHeadersTooLarge(self._header_bytes, self.limit)
        super().lineReceived(line)  # type: ignore[misc]

    def lineLengthExceeded(self, line: bytes) -> None:  # noqa: N802
        # One line over Twisted's MAX_LENGTH (16 KiB, a 100 KB Location, say): say so instead of closing
        # the connection without a word ("Connection was closed cleanly").
        raise ResponseHeadersTooLarge(len(line), self.MAX_LENGTH, one_line=True)


# Scrapy 2.19 swaps every parser Twisted makes for its _LenientHTTPClientParser (looked up in its module
# when each request starts); Twisted's own is bounded too.
_SCRAPY_PARSER = getattr(http11, "_LenientHTTPClientParser", None)


class BoundedHTTPClientParser(_HeaderBound, _newclient.HTTPClientParser):
    """Twisted's response parser with the header bound."""


class BoundedLenientHTTPClientParser(_HeaderBound, _SCRAPY_PARSER or _newclient.HTTPClientParser):  # type: ignore[misc]
    """Scrapy's lenient response parser with the header bound."""


def install(limit: int) -> None:
    """Make every HTTP/1.1 response of this process parsed with the header bound ``limit`` (0: none)."""
    _HeaderBound.limit = limit if limit > 0 else 2**62
    _newclient.HTTPClientParser = BoundedHTTPClientParser  # type: ignore[misc]
    if _SCRAPY_PARSER is not None:
        http11._LenientHTTPClientParser = BoundedLenientHTTPClientParser  # type: ignore[misc]


class HeaderBoundMiddleware:
    """Downloader middleware next to the download handler: installs the header bound (setting
    NEWSARCHIVE_MAX_HEADER_BYTES, 0 = none) and turns a response refused for its headers into
    HeadersRefused with the figure, counted under bounds/header_bytes and never retried (its
    process_exception runs before RetryMiddleware's and ends the chain)."""

    def __init__(self, stats: Any, limit: int) -> None:
        self.stats = stats
        install(limit)

    @classmethod
    def from_crawler(cls, crawler: Any) -> HeaderBoundMiddleware:
        limit = crawler.settings.getint("NEWSARCHIVE_MAX_HEADER_BYTES", defaults.NEWSARCHIVE_MAX_HEADER_BYTES)
        if limit < 0:
            raise NotConfigured("NEWSARCHIVE_MAX_HEADER_BYTES is negative")
        return cls(crawler.stats, limit)

    def process_exception(self, request: Request, exception: Exception) -> None:
        for cause in causes(exception):
            if isinstance(cause, ResponseHeadersTooLarge):
                self.stats.inc_value("bounds/header_bytes")
                logger.warning("response refused: %s (%s)", cause, request.url[:300])
                raise HeadersRefused(str(cause)) from None
