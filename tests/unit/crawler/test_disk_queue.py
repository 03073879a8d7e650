"""The crawl's disk queue: the requests it stores are Scrapy's own, their callbacks found by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request
from scrapy.squeues import PickleLifoDiskQueue
from scrapy.utils.test import get_crawler

from crawler.runtime.disk_queue import CallbackNamesLifoDiskQueue, SpiderMethods, spider_methods
from crawler.spiders.portal import PortalSpider

HOME = "https://baoninhthuan.com.vn/"


@pytest.fixture
def spider() -> PortalSpider:
    crawler = get_crawler(PortalSpider, {"EXTRACTION_WORKERS": 1})
    crawler.stats.open_spider()
    spider = PortalSpider.from_crawler(crawler, start_urls=HOME)
    crawler.spider = spider
    return spider


def _requests(spider: PortalSpider) -> list[Request]:
    return [
        Request(f"{HOME}a-{n}.html", callback=spider.parse_article, errback=spider.article_failed, priority=n)
        for n in range(3)
    ] + [
        Request(f"{HOME}sitemap.xml", callback=spider.parse_sitemap, errback=spider.discovery_failed),
        Request(f"{HOME}robots.txt", callback=spider.parse_robots, meta={"portal": "ninhthuan"}),
        Request(f"{HOME}plain"),
    ]


def test_requests_are_stored_as_scrapy_stores_them(spider: PortalSpider) -> None:
    methods = spider_methods(spider)
    for request in _requests(spider):
        assert request.to_dict(spider=methods) == request.to_dict(spider=spider)


def test_methods_are_made_once_per_spider(spider: PortalSpider) -> None:
    assert spider_methods(spider) is spider_methods(spider)
    assert "parse_article" in dir(spider_methods(spider))
    assert "settings" not in dir(spider_methods(spider))  # not a method: never read for a callback


def test_a_callback_that_is_no_spider_method_is_refused_as_scrapy_refuses_it(spider: PortalSpider) -> None:
    request = Request(HOME, callback=SpiderMethods(spider).__dir__)
    with pytest.raises(ValueError, match="is not an instance method"):
        request.to_dict(spider=spider_methods(spider))


def test_queue_round_trip_gives_back_the_spiders_own_methods(spider: PortalSpider, tmp_path: Path) -> None:
    crawler = spider.crawler
    ours = CallbackNamesLifoDiskQueue.from_crawler(crawler, str(tmp_path / "ours"))
    scrapys = PickleLifoDiskQueue.from_crawler(crawler, str(tmp_path / "scrapy"))
    requests = _requests(spider)
    for request in requests:
        ours.push(request)
        scrapys.push(request)
    for expected in reversed(requests):  # last in, first out
        mine, theirs = ours.pop(), scrapys.pop()
        assert mine is not None and theirs is not None
        assert (mine.url, mine.priority, mine.meta) == (expected.url, expected.priority, expected.meta)
        assert mine.callback == expected.callback == theirs.callback
        assert mine.errback == expected.errback == theirs.errback
    assert ours.pop() is None
    ours.close()
    scrapys.close()
