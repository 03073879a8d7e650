"""PortalSpider callbacks on fake responses: discovery order, classification, failures recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.spiders.portal import PortalSpider
from pipelines.items import PageItem

HOME = "https://baoninhthuan.com.vn/"


@pytest.fixture
def spider() -> PortalSpider:
    crawler = get_crawler(PortalSpider, {"EXTRACTION_WORKERS": 1})
    crawler.stats.open_spider()
    return PortalSpider.from_crawler(crawler, start_urls=HOME)


def _meta(**extra: object) -> dict[str, object]:
    return {"portal": "ninhthuan", **extra}


def drain(results: AsyncIterator[Any]) -> list[Any]:
    """Collect what an async callback yields."""

    async def collect() -> list[Any]:
        return [result async for result in results]

    return asyncio.run(collect())


def _response(url: str, body: bytes, **meta: object) -> Response:
    return Response(url, body=body, request=Request(url, meta=_meta(**meta)))


def test_start_requests_robots_then_home(spider: PortalSpider) -> None:
    async def collect() -> list[scrapy.Request]:
        return [request async for request in spider.start()]

    requests = asyncio.run(collect())
    assert [r.url for r in requests] == [HOME + "robots.txt", HOME]


def test_registered_portal_is_used_for_its_start_url() -> None:
    crawler = get_crawler(PortalSpider)
    spider = PortalSpider.from_crawler(crawler, start_urls="https://www.baokhanhhoa.vn/")
    assert list(spider.portals) == ["khanhhoa"]


def test_unknown_portal_key_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown portal nowhere"):
        PortalSpider.from_crawler(get_crawler(PortalSpider), portal="nowhere")


def test_robots_sitemaps_and_fallback(spider: PortalSpider) -> None:
    robots = TextResponse(
        HOME + "robots.txt",
        body=b"User-agent: *\nDisallow: /tim-kiem/\n",
        request=Request(HOME + "robots.txt", meta=_meta()),
        encoding="utf-8",
    )
    assert [r.url for r in spider.parse_robots(robots)] == [HOME + "sitemap.xml"]


def test_sitemap_yields_article_requests_with_lastmod(spider: PortalSpider) -> None:
    body = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url>'
        b"<loc>https://baoninhthuan.com.vn/thoi-su/tinh-uy-so-ket-cong-tac-phong-chong-ma-tuy-12.html</loc>"
        b"<lastmod>2024-04-12T08:30:00+07:00</lastmod></url>"
        b"<url><loc>https://baoninhthuan.com.vn/thoi-su/</loc></url></urlset>"
    )
    response = Response(HOME + "sitemap.xml", body=body, request=Request(HOME + "sitemap.xml", meta=_meta()))
    requests = drain(spider.parse_sitemap(response))
    assert len(requests) == 1
    assert requests[0].meta["feed_date"] == "2024-04-12T08:30:00+07:00"
    assert requests[0].meta["via"] == "sitemap"


def test_listing_follows_articles_pagination_and_feeds(spider: PortalSpider) -> None:
    html = (
        '<html><head><link rel="alternate" type="application/rss+xml" href="/rss/home.rss"></head><body>'
        '<a href="/thoi-su/tinh-uy-so-ket-cong-tac-phong-chong-ma-tuy-12.html">Bài</a>'
        '<a href="/thoi-su/trang-2.html">Trang sau</a><a href="https://facebook.com/share">FB</a>'
        '<a href="/uploads/logo.png">logo</a></body></html>'
    ).encode()
    response = HtmlResponse(
        HOME, body=html, request=Request(HOME, meta=_meta(listing_depth=0)), encoding="utf-8"
    )
    requests = {r.url: r for r in drain(spider.parse_listing(response))}
    assert set(requests) == {
        HOME + "rss/home.rss",
        HOME + "thoi-su/tinh-uy-so-ket-cong-tac-phong-chong-ma-tuy-12.html",
        HOME + "thoi-su/trang-2.html",
    }
    assert requests[HOME + "thoi-su/trang-2.html"].meta["listing_depth"] == 1


def test_article_page_yields_capture_with_raw_bytes(spider: PortalSpider) -> None:
    body = b'<html><head><meta property="og:type" content="article"></head><body><h1>Tin</h1></body></html>'
    url = HOME + "thoi-su/tinh-uy-so-ket-cong-tac-phong-chong-ma-tuy-12.html"
    response = HtmlResponse(
        url, body=body, headers={"Content-Type": "text/html"}, request=Request(url, meta=_meta(via="sitemap"))
    )
    items = [x for x in drain(spider.parse_article(response)) if isinstance(x, PageItem)]
    assert len(items) == 1 and items[0].body == body and items[0].discovered_via == "sitemap"
    assert items[0].headers["Content-Type"] == ["text/html"]


def test_listing_that_looks_like_an_article_url_is_not_captured(spider: PortalSpider) -> None:
    body = (
        '<html><head><meta property="og:type" content="website"></head>'
        "<body><h1>Chuyên mục</h1></body></html>"
    )
    url = HOME + "chuyen-muc/tin-tuc-trong-tinh-moi-nhat.html"
    response = HtmlResponse(url, body=body.encode(), request=Request(url, meta=_meta()), encoding="utf-8")
    assert not [x for x in drain(spider.parse_article(response)) if isinstance(x, PageItem)]
    assert spider.crawler.stats.get_value("discovery/not_article") == 1


def test_http_error_is_recorded_with_reason(spider: PortalSpider) -> None:
    url = HOME + "thoi-su/bai-viet-da-bi-go-bo-khoi-trang-99.html"
    request = Request(url, meta=_meta(via="listing"))
    response = HtmlResponse(url, status=404, body=b"Not found", request=request)
    failure = Failure(HttpError(response))
    failure.request = request  # type: ignore[attr-defined]
    (item,) = list(spider.article_failed(failure))
    assert (
        item.failure_status == "fetch_failed"
        and item.failure_reason == "HTTP 404"
        and item.http_status == 404
    )


def test_article_redirects_are_followed_and_loops_recorded(spider: PortalSpider) -> None:
    url = HOME + "thoi-su/duong-dan-cu-cua-bai-viet-ve-tinh-12.html"
    target = HOME + "thoi-su/duong-dan-moi-cua-bai-viet-ve-tinh-12.html"
    request = Request(url, meta=_meta(via="listing"))
    moved = HtmlResponse(url, status=301, headers={"Location": target}, body=b"", request=request)
    (follow,) = drain(spider.parse_article(moved))
    assert isinstance(follow, Request) and follow.url == target and follow.dont_filter
    assert follow.meta["redirect_chain"] == [url] and follow.meta["dont_redirect"]

    back = HtmlResponse(target, status=302, headers={"Location": url}, body=b"", request=follow)
    (item,) = drain(spider.parse_article(back))
    assert isinstance(item, PageItem) and item.url == url and item.failure_status == "fetch_failed"
    assert item.failure_reason == f"redirect loop: {url} -> {target} -> {url}"


def _sitemap(*locs: str, index: bool = False) -> bytes:
    tag, item = ("sitemapindex", "sitemap") if index else ("urlset", "url")
    entries = "".join(f"<{item}><loc>{loc}</loc></{item}>" for loc in locs)
    return f'<{tag} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</{tag}>'.encode()


ARTICLE = HOME + "thoi-su/tinh-uy-so-ket-cong-tac-phong-chong-ma-tuy-12.html"


def test_discovery_stays_on_the_portals_site(spider: PortalSpider) -> None:
    robots = TextResponse(
        HOME + "robots.txt",
        body=b"Sitemap: http://127.0.0.9/internal.xml\nSitemap: https://m.baoninhthuan.com.vn/s.xml\n",
        request=Request(HOME + "robots.txt", meta=_meta()),
        encoding="utf-8",
    )
    assert [r.url for r in spider.parse_robots(robots)] == ["https://m.baoninhthuan.com.vn/s.xml"]
    index = _response(
        HOME + "sitemap.xml", _sitemap("https://evil.example/s.xml", HOME + "s2.xml", index=True)
    )
    assert [r.url for r in drain(spider.parse_sitemap(index))] == [HOME + "s2.xml"]
    assert spider.crawler.stats.get_value("discovery/offsite") == 2


def test_sitemap_indexes_nest_only_so_deep(spider: PortalSpider) -> None:
    deep = _response(HOME + "s.xml", _sitemap(HOME + "deeper.xml", index=True), sitemap_depth=3)
    assert drain(spider.parse_sitemap(deep)) == []
    assert spider.crawler.stats.get_value("bounds/sitemap_depth") == 1
    shallow = _response(HOME + "s.xml", _sitemap(HOME + "deeper.xml", index=True), sitemap_depth=2)
    (request,) = drain(spider.parse_sitemap(shallow))
    assert request.meta["sitemap_depth"] == 3


def test_sitemap_gzip_bomb_and_url_count_are_bounded() -> None:
    import gzip

    crawler = get_crawler(
        PortalSpider, {"NEWSARCHIVE_SITEMAP_MAX_BYTES": 1_000_000, "NEWSARCHIVE_SITEMAP_MAX_URLS": 2}
    )
    crawler.stats.open_spider()
    spider = PortalSpider.from_crawler(crawler, start_urls=HOME)
    bomb = gzip.compress(b"<urlset>" + b" " * 50_000_000 + b"</urlset>")
    assert len(bomb) < 100_000 and drain(spider.parse_sitemap(_response(HOME + "s.xml.gz", bomb))) == []
    assert crawler.stats.get_value("discovery/sitemap_unreadable") == 1
    many = _sitemap(*(ARTICLE.replace("12", str(n)) for n in range(100, 105)))
    assert len(drain(spider.parse_sitemap(_response(HOME + "s.xml", many)))) == 2
    assert crawler.stats.get_value("bounds/sitemap_urls") == 3


def test_links_on_article_pages_are_followed_only_so_many_hops(spider: PortalSpider) -> None:
    page = (
        '<html><head><meta property="og:type" content="article"></head><body><h1>Tin</h1>'
        f'<a href="{ARTICLE.replace("12", "77")}">Tin khác</a></body></html>'
    ).encode()

    def followed(hops: int) -> list[Request]:
        response = HtmlResponse(
            ARTICLE, body=page, request=Request(ARTICLE, meta=_meta(via="listing", hops=hops))
        )
        return [r for r in drain(spider.parse_article(response)) if isinstance(r, Request)]

    (link,) = followed(1)
    assert link.meta["hops"] == 2
    assert followed(2) == []  # NEWSARCHIVE_ARTICLE_LINK_HOPS = 2
    assert spider.crawler.stats.get_value("bounds/article_hops") == 1


def test_listing_depth_is_carried_by_article_requests(spider: PortalSpider) -> None:
    html = f'<html><body><a href="{ARTICLE}">Bài</a></body></html>'.encode()
    response = HtmlResponse(
        HOME + "trang-7.html", body=html, request=Request(HOME, meta=_meta(listing_depth=7, hops=0))
    )
    (request,) = drain(spider.parse_listing(response))
    assert request.meta["listing_depth"] == 7 and request.meta["hops"] == 0


def test_page_budget_stops_new_requests_for_the_portal() -> None:
    crawler = get_crawler(PortalSpider, {"NEWSARCHIVE_PORTAL_PAGE_BUDGET": 2})
    crawler.stats.open_spider()
    spider = PortalSpider.from_crawler(crawler, start_urls=HOME)
    pages = []
    for number in range(3):
        html = f'<html><body><a href="{ARTICLE.replace("12", str(40 + number))}">Bài</a></body></html>'
        response = HtmlResponse(HOME, body=html.encode(), request=Request(HOME, meta=_meta()))
        pages.append(drain(spider.parse_listing(response)))
    assert [len(p) for p in pages] == [1, 0, 0]
    assert crawler.stats.get_value("bounds/page_budget") == 2


def test_redirect_to_an_overlong_or_malformed_url_is_recorded(spider: PortalSpider) -> None:
    for location, reason in (
        (HOME + "a" * 3000, "redirect to a URL of 3,"),
        ("http://[bad/", "redirect to a malformed URL"),
    ):
        request = Request(ARTICLE, meta=_meta(via="listing"))
        moved = HtmlResponse(ARTICLE, status=302, headers={"Location": location}, body=b"", request=request)
        (item,) = drain(spider.parse_article(moved))
        assert isinstance(item, PageItem) and item.failure_status == "fetch_failed"
        assert item.failure_reason is not None and item.failure_reason.startswith(reason)


def test_a_refused_article_url_is_recorded_as_refused(spider: PortalSpider) -> None:
    from crawler.safety.guard import AddressRefused

    request = Request("file:///etc/passwd", meta=_meta(via="listing", redirect_chain=[ARTICLE]))
    failure = Failure(AddressRefused("refused by the address guard: scheme 'file' is not fetched"))
    failure.request = request  # type: ignore[attr-defined]
    (item,) = list(spider.article_failed(failure))
    assert (item.url, item.failure_status) == (ARTICLE, "refused")
    assert item.failure_reason == "refused by the address guard: scheme 'file' is not fetched"


def _other_spellings() -> list[str]:
    """An article's URL written five other ways the archive takes for the same article."""
    return [
        ARTICLE + "?utm_source=facebook&utm_medium=share", ARTICLE + "#binh-luan", ARTICLE + "/",
        ARTICLE.replace("https://", "http://"), ARTICLE.replace("https://", "https://www."),
    ]  # fmt: skip


def _listing(spider: PortalSpider, urls: list[str]) -> list[scrapy.Request]:
    html = "".join(f'<a href="{url}">Bài</a>' for url in urls)
    page = f"<html><body>{html}</body></html>".encode()
    return drain(spider.parse_listing(HtmlResponse(HOME, body=page, request=Request(HOME, meta=_meta()))))


def test_an_article_is_requested_once_a_run_however_its_links_spell_it(spider: PortalSpider) -> None:
    """Tracking parameters, a fragment, a trailing slash, http and www. are one article (its frontier
    key); Scrapy's duplicate filter tells most of them apart, so the spider asks for each key once."""
    spellings = [*_other_spellings(), ARTICLE]
    other = ARTICLE.replace("-12.html", "-13.html")
    requests = _listing(spider, [*spellings, other])
    assert [request.url for request in requests] == [spellings[0], other]
    # A sitemap of the same run naming it again, another way: not asked for again.
    body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{ARTICLE}?fbclid=1</loc></url></urlset>'
    sitemap = Response(
        HOME + "sitemap.xml", body=body.encode(), request=Request(HOME + "sitemap.xml", meta=_meta())
    )
    assert drain(spider.parse_sitemap(sitemap)) == []
    # Counted: four of the page's spellings (the fragment's link is the plain one's) and the sitemap's.
    assert spider.crawler.stats.get_value("frontier/other_spelling") == 5


def test_a_spelling_that_fails_hands_over_to_the_next_one(spider: PortalSpider) -> None:
    """robots.txt may refuse the ?utm_ link and allow the plain URL, a portal answer 404 on one spelling:
    a failed request is followed by the next spelling the run saw, up to MAX_SPELLINGS of them."""
    tracked, plain, slash = ARTICLE + "?utm_source=zalo", ARTICLE, ARTICLE + "/"
    (first,) = _listing(spider, [tracked, plain, slash])
    assert first.url == tracked
    refused = Failure(IgnoreRequest("Forbidden by robots.txt"))
    refused.request = first  # type: ignore[attr-defined]
    (second,) = list(spider.article_failed(refused))  # a refusal records no item
    assert isinstance(second, scrapy.Request) and second.url == plain and second.dont_filter
    assert second.meta["via"] == "listing" and second.callback == spider.parse_article
    missing = Failure(HttpError(HtmlResponse(plain, status=404, body=b"", request=second)))
    missing.request = second  # type: ignore[attr-defined]
    item, third = list(spider.article_failed(missing))
    assert isinstance(item, PageItem) and item.http_status == 404
    assert isinstance(third, scrapy.Request) and third.url == slash
    gone = Failure(HttpError(HtmlResponse(slash, status=404, body=b"", request=third)))
    gone.request = third  # type: ignore[attr-defined]
    assert [type(x) for x in spider.article_failed(gone)] == [PageItem]  # no spelling left
    assert spider.crawler.stats.get_value("frontier/spelling_retried") == 2


def test_a_server_error_or_a_304_does_not_try_another_spelling(spider: PortalSpider) -> None:
    """A 5xx (after Scrapy's retries) or a timeout would meet the next spelling too; a 304 is the
    archived capture still current."""
    for number, status in ((21, 503), (22, 304)):
        url = ARTICLE.replace("-12.html", f"-{number}.html")
        (first,) = _listing(spider, [url, url + "/"])
        failure = Failure(HttpError(HtmlResponse(url, status=status, body=b"", request=first)))
        failure.request = first  # type: ignore[attr-defined]
        assert [type(x) for x in spider.article_failed(failure)] == [PageItem]
