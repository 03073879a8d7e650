"""The header bound, against the installed Twisted: a response whose headers exceed
NEWSARCHIVE_MAX_HEADER_BYTES is refused with the figure before they are kept; ordinary ones pass. And
every download failure has a non-empty, one-line reason."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import pytest
from scrapy import Request
from scrapy.core.downloader.handlers import http11
from scrapy.exceptions import DownloadCancelledError, DownloadFailedError, ResponseDataLossError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure
from twisted.web import _newclient
from twisted.web._newclient import HTTP11ClientProtocol, ResponseFailed

from crawler.safety import headers
from crawler.safety.headers import HeaderBoundMiddleware, HeadersRefused, ResponseHeadersTooLarge
from crawler.spiders.failures import failure_reason
from crawler.spiders.portal import PortalSpider


@pytest.fixture
def bound() -> Iterator[None]:
    yield
    headers.install(0)


def _parse(header_lines: int, limit: int, *, scrapy: bool = True) -> list[BaseException]:
    """Feed a response with ``header_lines`` 100-byte headers to the parser Scrapy's download handler
    uses (``scrapy``: Twisted's, its class then swapped for Scrapy's lenient one, as Scrapy does)."""
    headers.install(limit)
    errors: list[BaseException] = []
    request = _newclient.Request(b"GET", b"/", _newclient.Headers({}), None)
    parser = _newclient.HTTPClientParser(request, lambda rest: None)
    if scrapy:
        parser.__class__ = http11._LenientHTTPClientParser
    parser._responseDeferred.addErrback(lambda failure: errors.append(failure.value))
    parser.makeConnection(None)
    try:
        parser.dataReceived(b"HTTP/1.1 200 OK\r\n")
        for _ in range(header_lines):
            parser.dataReceived(b"X-Filler: " + b"a" * 88 + b"\r\n")
    except ResponseHeadersTooLarge as exc:
        errors.append(exc)
    return errors


def test_the_parsers_are_looked_up_where_install_replaces_them(bound: None) -> None:
    # Scrapy 2.19 swaps each parser's class for its module's _LenientHTTPClientParser; Twisted builds its
    # parser from its module-level HTTPClientParser. install() replaces both names.
    assert "HTTPClientParser(" in inspect.getsource(HTTP11ClientProtocol.request)
    lenient = inspect.getsource(http11._LenientHTTP11ClientProtocol.request)
    assert "__class__ = _LenientHTTPClientParser" in lenient
    headers.install(1000)
    assert http11._LenientHTTPClientParser is headers.BoundedLenientHTTPClientParser
    assert _newclient.HTTPClientParser is headers.BoundedHTTPClientParser


def test_headers_over_the_bound_are_refused_with_the_figure(bound: None) -> None:
    errors = _parse(header_lines=2000, limit=64 * 1024)
    assert len(errors) == 1 and isinstance(errors[0], ResponseHeadersTooLarge)
    assert str(errors[0]).startswith("response headers over 65,536 bytes (NEWSARCHIVE_MAX_HEADER_BYTES): 65,")
    assert _parse(header_lines=100, limit=64 * 1024) == []  # 10 KB of headers: an ordinary response
    assert len(_parse(header_lines=2000, limit=64 * 1024, scrapy=False)) == 1  # Twisted's own parser


def test_the_refusal_is_recorded_with_the_figure_and_not_retried(bound: None) -> None:
    crawler = get_crawler(PortalSpider, {"NEWSARCHIVE_MAX_HEADER_BYTES": 1000})
    crawler.stats.open_spider()
    middleware = HeaderBoundMiddleware.from_crawler(crawler)
    assert headers.BoundedLenientHTTPClientParser.limit == 1000
    # As Scrapy's download handler hands it over: a DownloadFailedError from Twisted's ResponseFailed.
    failed = ResponseFailed([Failure(ResponseHeadersTooLarge(1024, 1000))])
    wrapped = DownloadFailedError(str(failed))
    wrapped.__cause__ = failed
    with pytest.raises(HeadersRefused, match=r"^response headers over 1,000 bytes .*1,024 bytes received"):
        middleware.process_exception(Request("http://example.vn/"), wrapped)
    assert crawler.stats.get_value("bounds/header_bytes") == 1
    middleware.process_exception(Request("http://example.vn/"), DownloadFailedError("other"))  # passes


def test_every_download_failure_has_a_non_empty_one_line_reason() -> None:
    assert failure_reason(DownloadCancelledError()) == (
        "DownloadCancelledError: download cancelled (over DOWNLOAD_MAXSIZE, or the crawl was stopping)"
    )
    assert failure_reason(ResponseDataLossError()).startswith("ResponseDataLossError: the connection closed")
    failed = ResponseFailed([Failure(ConnectionResetError("reset by peer"))])
    wrapped = DownloadFailedError(str(failed))
    wrapped.__cause__ = failed
    assert failure_reason(wrapped) == "DownloadFailedError: reset by peer"
    assert failure_reason(ValueError("two\nlines")) == "ValueError: two lines"
