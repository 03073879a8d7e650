"""Conditional GETs: archived pages are revalidated with their ETag/Last-Modified; a 304 is a revisit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from sqlalchemy import select
from twisted.python.failure import Failure

from crawler.middlewares import FrontierMiddleware
from crawler.spiders.portal import PortalSpider
from pipelines.archive import ArchivePipeline
from storage import repository
from storage.models import Capture
from storage.text import content_hash

URL = "https://baoninhthuan.com.vn/thoi-su/so-ket-cong-tac-phong-chong-ma-tuy-1234.html"
T0 = datetime(2024, 4, 12, 3, 0, tzinfo=UTC)


def _seed_archive(factory) -> None:  # type: ignore[no-untyped-def]
    capture = repository.CaptureData(
        url=URL,
        final_url=URL,
        http_status=200,
        body=b"<html>v1</html>",
        content_type="text/html",
        headers={"ETag": ['"abc123"'], "Last-Modified": ["Fri, 12 Apr 2024 01:30:00 GMT"]},
        discovered_via="listing",
        fetched_at=T0,
    )
    article = repository.ArticleData(
        url=URL,
        canonical_url=URL,
        text="Nội dung.",
        content_hash=content_hash("Nội dung."),
        language="vi",
        language_confidence=0.99,
    )
    with factory.begin() as session:
        repository.archive_article(session, capture, article, run_id=None, portal_id=None)


def test_archived_article_is_revalidated_and_304_counts_as_revisit(archive, archive_url: str) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    _seed_archive(factory)
    crawler = get_crawler(PortalSpider, {"ARCHIVE_DATABASE_URL": archive_url})
    crawler.stats.open_spider()
    frontier = FrontierMiddleware.from_crawler(crawler)
    frontier.spider_opened(None)

    request = Request(URL, meta={"portal": "ninhthuan", "via": "listing"})
    frontier.process_request(request)
    assert request.headers[b"If-None-Match"] == b'"abc123"'
    assert request.headers[b"If-Modified-Since"] == b"Fri, 12 Apr 2024 01:30:00 GMT"
    unknown = Request(URL.replace("1234", "9999"), meta={"portal": "ninhthuan", "via": "listing"})
    frontier.process_request(unknown)
    assert b"If-None-Match" not in unknown.headers

    response = HtmlResponse(URL, status=304, body=b"", request=request)
    assert frontier.process_response(request, response) is response
    assert crawler.stats.get_value("frontier/not_modified") == 1
    spider = PortalSpider.from_crawler(crawler, portal="ninhthuan")
    failure = Failure(HttpError(response))
    failure.request = request  # type: ignore[attr-defined]
    (item,) = list(spider.article_failed(failure))
    assert item.failure_status == "not_modified"

    archive_pipeline = ArchivePipeline.from_crawler(crawler)
    archive_pipeline.open_spider()
    asyncio.run(archive_pipeline.process_item(item))
    archive_pipeline.close_spider()
    assert crawler.stats.get_value("archive/revisit") == 1
    with factory() as session:
        capture = session.scalars(select(Capture)).one()
        assert capture.fetch_count == 2 and capture.last_fetched_at > T0
