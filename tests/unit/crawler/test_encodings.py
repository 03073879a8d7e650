"""br responses decode through Scrapy's own compression middleware with a brotli module that works, even
with pywb's brotlipy shadowing Google's brotli; with none, br is not asked for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from scrapy import Request, Spider
from scrapy.downloadermiddlewares import httpcompression
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.runtime import encodings

PAGE = "<html><body><p>Ủy ban nhân dân tỉnh tổ chức hội nghị.</p></body></html>".encode() * 50


@pytest.fixture
def accepted() -> Iterator[list[bytes]]:
    saved = list(httpcompression.ACCEPTED_ENCODINGS)
    yield httpcompression.ACCEPTED_ENCODINGS
    httpcompression.ACCEPTED_ENCODINGS[:] = saved
    encodings.install()


def test_a_br_body_is_decoded_by_a_streaming_module(accepted: list[bytes]) -> None:
    name = encodings.install()
    module = encodings.working_brotli()
    assert name in encodings.BROTLI_CANDIDATES and module is not None
    # Whatever `import brotli` gives in this environment, the module in use streams (Scrapy's API).
    assert hasattr(module.Decompressor, "process")
    compressor = module.Compressor()
    body = compressor.process(PAGE) + compressor.finish()
    crawler = get_crawler(Spider)
    middleware = HttpCompressionMiddleware.from_crawler(crawler)
    request = Request("https://example.vn/tin/a.html")
    assert middleware.process_request(request) is None
    assert b"br" in (request.headers.get(b"Accept-Encoding") or b"")
    response = HtmlResponse(request.url, body=body, headers={"Content-Encoding": "br"}, request=request)
    assert middleware.process_response(request, response).body == PAGE


def test_without_a_working_module_br_is_not_asked_for(
    accepted: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(encodings, "BROTLI_CANDIDATES", ("newsarchive_no_such_brotli",))
    assert encodings.install() is None
    request = Request("https://example.vn/tin/a.html")
    HttpCompressionMiddleware.from_crawler(get_crawler(Spider)).process_request(request)
    encodings_asked = (request.headers.get(b"Accept-Encoding") or b"").split(b", ")
    assert b"br" not in encodings_asked and b"gzip" in encodings_asked and b"zstd" in encodings_asked
