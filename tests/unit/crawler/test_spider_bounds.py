"""The spider's bounds on what one page and one run may add, and redirects to schemes never fetched."""

from __future__ import annotations

import time

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.spiders.portal import PortalSpider
from pipelines.items import PageItem
from tests.unit.crawler.test_spider import HOME, _meta, drain

ARTICLE = HOME + "thoi-su/tinh-uy-so-ket-cong-tac-phong-chong-ma-tuy-{}.html"


def _spider(**settings: object) -> PortalSpider:
    crawler = get_crawler(PortalSpider, {"EXTRACTION_WORKERS": 1, "FRONTIER_ENABLED": False, **settings})
    crawler.stats.open_spider()
    return PortalSpider.from_crawler(crawler, start_urls=HOME)


def _listing(count: int, start: int = 0) -> HtmlResponse:
    links = "".join(f'<a href="{ARTICLE.format(n)}">Bài</a>' for n in range(start, start + count))
    html = f"<html><body>{links}{links}</body></html>".encode()  # every link twice
    return HtmlResponse(HOME, body=html, request=Request(HOME, meta=_meta(listing_depth=0)), encoding="utf-8")


def test_links_read_per_page_are_bounded_and_counted() -> None:
    spider = _spider(NEWSARCHIVE_MAX_PAGE_LINKS=50)
    requests = drain(spider.parse_listing(_listing(80)))
    assert len(requests) == 50
    assert spider.crawler.stats.get_value("bounds/page_links") == 30  # distinct links dropped


def test_many_links_cost_linear_time() -> None:
    # 40,000 distinct links (each twice) took 11.6 s in the quadratic dedupe; a linear one takes far less.
    spider = _spider(NEWSARCHIVE_MAX_PAGE_LINKS=100_000, NEWSARCHIVE_PORTAL_PAGE_BUDGET=10**6)
    links = tuple(ARTICLE.format(n) for n in range(40_000)) * 2
    started = time.process_time()
    distinct = spider._page_links(links, HOME)
    assert len(distinct) == 40_000 and distinct[0] == ARTICLE.format(0)
    assert time.process_time() - started < 2


def test_discovered_urls_per_portal_per_run_are_bounded_and_counted() -> None:
    spider = _spider(NEWSARCHIVE_MAX_DISCOVERED_URLS=30)
    first = drain(spider.parse_listing(_listing(20)))
    second = drain(spider.parse_listing(_listing(20, start=100)))
    third = drain(spider.parse_listing(_listing(20, start=200)))
    assert (len(first), len(second), len(third)) == (20, 10, 0)
    assert spider.crawler.stats.get_value("bounds/discovered_urls") == 30


@pytest.mark.parametrize(
    "location",
    ["mailto:toasoan@example.vn", "tel:+842593822000", "javascript:void(0)", "urn:isbn:0451450523"],
)
def test_a_redirect_to_another_scheme_is_recorded_as_refused(location: str) -> None:
    spider = _spider()
    url = ARTICLE.format(7)
    request = Request(url, meta=_meta(via="listing"))
    moved = HtmlResponse(url, status=302, headers={"Location": location}, body=b"", request=request)
    (item,) = drain(spider.parse_article(moved))
    scheme = location.split(":")[0]
    assert isinstance(item, PageItem) and item.url == url and item.failure_status == "refused"
    assert item.failure_reason == (
        f"refused by the address guard: scheme {scheme!r} is not fetched (only http and https)"
    )


def test_a_home_page_redirected_off_the_site_makes_the_portal_unreachable() -> None:
    from crawler.runtime.run_record import portal_outcome

    spider = _spider()
    request = Request(HOME, meta=_meta(via="home", listing_depth=0))
    off_site = HtmlResponse("https://other.example/", body=b"<a href='/a'>a</a>", request=request)
    assert drain(spider.parse_listing(off_site)) == []
    stats = spider.crawler.stats.get_stats()
    assert (
        stats["portal/ninhthuan/home_failed"]
        == "home page redirected off the site, to https://other.example/"
    )
    # robots.txt answered (a response), but nothing came of the home page: unreachable, not nothing_new.
    stats["portal/ninhthuan/responses"] = 2
    assert portal_outcome(stats, "ninhthuan")["outcome"] == "unreachable"
    stats["portal/ninhthuan/archive/stored"] = 3  # its sitemaps gave articles: reached after all
    assert portal_outcome(stats, "ninhthuan")["outcome"] == "reached"


def test_nul_in_a_header_is_stored_escaped() -> None:
    from crawler.spiders.captures import page_item

    spider = _spider()
    url = ARTICLE.format(9)
    headers = {"ETag": b'W/"abc\x00def"', "Content-Type": b"text/html; charset=utf-8\x00"}
    response = HtmlResponse(url, headers=headers, body=b"<p>x</p>", request=Request(url, meta=_meta()))
    item = page_item(response, spider.portals["ninhthuan"])
    assert item.headers["Etag"] == ['W/"abc\\x00def"']
    assert item.content_type == "text/html; charset=utf-8\\x00"
    assert "\x00" not in repr(item.headers)


def test_a_url_too_long_to_fetch_never_enters_the_frontier() -> None:
    spider = _spider(URLLENGTH_LIMIT=200)
    long_article = HOME + "thoi-su/" + "bai-viet-rat-dai-" * 20 + "12.html"
    html = f'<html><body><a href="{long_article}">dài</a><a href="{ARTICLE.format(1)}">Bài</a></body></html>'
    response = HtmlResponse(
        HOME, body=html.encode(), request=Request(HOME, meta=_meta(listing_depth=0)), encoding="utf-8"
    )
    assert [r.url for r in drain(spider.parse_listing(response))] == [ARTICLE.format(1)]
    assert spider.crawler.stats.get_value("discovery/url_too_long") == 1
