"""PortalSpider: robots.txt -> sitemaps -> feeds -> listing pages (paginated) -> article pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import lxml.etree
import lxml.html
import scrapy
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler import discovery
from crawler.items import PageItem
from crawler.portals import Portal, RegistryError, load_registry, select_portals

# Scheduling priorities: finish known articles before opening more listing pages, so items flow into
# the pipelines from the first seconds and memory holds few pending requests.
PRIORITY_DISCOVERY = 30
PRIORITY_ARTICLE = 10
PRIORITY_LISTING = 0
# Article redirects are followed by the spider itself, so that a loop or an endless chain is recorded
# as a failure with its reason instead of vanishing in Scrapy's duplicate filter.
REDIRECT_STATUSES = [301, 302, 303, 307, 308]
MAX_REDIRECTS = 5


class PortalSpider(scrapy.Spider):
    """One generic spider for every portal.

    Arguments (``-a``): ``portal`` (comma-separated registry keys; all when neither argument is given),
    ``start_urls`` (comma-separated home URLs of portals, registered or not), ``registry`` (path).
    Settings read: NEWSARCHIVE_MAX_LISTING_DEPTH (listing hops followed from the home page).
    """

    name = "portal"

    def __init__(
        self,
        portal: str | None = None,
        start_urls: str | None = None,
        registry: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        try:
            known = load_registry(registry)
            keys = [key.strip() for key in (portal or "").split(",") if key.strip()]
            urls = [url.strip() for url in (start_urls or "").split(",") if url.strip()]
            chosen = select_portals(keys, known) if keys or not urls else []
            by_host = {p.host.removeprefix("www."): p for p in known.values()}
            for url in urls:
                ad_hoc = Portal.from_start_url(url)
                chosen.append(by_host.get(ad_hoc.host.removeprefix("www."), ad_hoc))
        except RegistryError as exc:
            raise ValueError(str(exc)) from exc
        self.portals: dict[str, Portal] = {p.key: p for p in chosen}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PortalSpider:
        spider: PortalSpider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_listing_depth = crawler.settings.getint("NEWSARCHIVE_MAX_LISTING_DEPTH", 200)
        return spider

    max_listing_depth = 200

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for portal in self.portals.values():
            meta = {"portal": portal.key}
            yield scrapy.Request(
                urljoin(portal.home_url, "/robots.txt"),
                callback=self.parse_robots,
                errback=self.discovery_failed,
                priority=PRIORITY_DISCOVERY,
                meta=meta,
            )
            for url in portal.sitemaps:
                yield self._sitemap_request(url, portal)
            for url in portal.feeds:
                yield self._feed_request(url, portal)
            yield scrapy.Request(
                portal.home_url,
                callback=self.parse_listing,
                errback=self.discovery_failed,
                priority=PRIORITY_LISTING,
                meta={**meta, "listing_depth": 0, "via": "home"},
            )

    # -- discovery -------------------------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        portal = self._portal(response)
        text = response.text if isinstance(response, TextResponse) else response.body.decode("latin-1")
        sitemaps = discovery.sitemaps_from_robots(text, response.url)
        # Sitemaps are auto-discovered: robots.txt first, the conventional location when it names none.
        for url in sitemaps or [urljoin(portal.home_url, "/sitemap.xml")]:
            yield self._sitemap_request(url, portal)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        portal = self._portal(response)
        entries = discovery.parse_sitemap(response.body)
        self._inc("discovery/sitemaps")
        for entry in entries:
            if entry.is_index:
                yield self._sitemap_request(entry.url, portal)
            elif discovery.classify_url(entry.url, portal) == "article":
                self._inc("discovery/sitemap_urls")
                yield self._article_request(entry.url, portal, via="sitemap", feed_date=entry.lastmod)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        portal = self._portal(response)
        self._inc("discovery/feeds")
        for link, date in discovery.parse_feed(response.body):
            if discovery.classify_url(link, portal) != "skip":
                self._inc("discovery/feed_urls")
                yield self._article_request(link, portal, via="feed", feed_date=date)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        """Follow feeds, articles and further listing pages (pagination) of a listing page."""
        if not isinstance(response, TextResponse):
            return
        portal = self._portal(response)
        self._inc("discovery/listing_pages")
        tree = _tree(response)
        if tree is None:
            return
        for url in discovery.feed_links(tree, response.url):
            yield self._feed_request(url, portal)
        yield from self._follow_links(tree, response, portal)

    def _follow_links(
        self, tree: lxml.html.HtmlElement, response: Response, portal: Portal
    ) -> Iterator[scrapy.Request]:
        depth = response.meta.get("listing_depth", 0)
        for url in discovery.page_links(tree, response.url):
            kind = discovery.classify_url(url, portal)
            if kind == "article":
                yield self._article_request(url, portal, via="listing")
            elif kind == "listing" and depth < self.max_listing_depth:
                yield scrapy.Request(
                    url,
                    callback=self.parse_listing,
                    errback=self.discovery_failed,
                    priority=PRIORITY_LISTING,
                    meta={"portal": portal.key, "listing_depth": depth + 1, "via": "listing"},
                )

    # -- articles --------------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[PageItem | scrapy.Request]:
        """Yield the capture of an article page; a page that turns out to be a listing is followed instead.

        Anything that is not HTML at all (binary, garbage) is captured too: extraction records why it
        is no article.
        """
        portal = self._portal(response)
        if response.status in REDIRECT_STATUSES:
            yield from self._follow_redirect(response, portal)
            return
        if (
            isinstance(response, TextResponse)
            and _is_html(response)
            and discovery.looks_like_html(response.body)
        ):
            tree = _tree(response)
            if tree is not None:
                is_article, evidence = discovery.article_signals(tree)
                yield from self._follow_links(tree, response, portal)
                if not is_article:
                    self._inc("discovery/not_article")
                    self.logger.debug("not an article (%s): %s", evidence, response.url)
                    return
        yield self._page_item(response, portal)

    def _follow_redirect(self, response: Response, portal: Portal) -> Iterator[PageItem | scrapy.Request]:
        chain = [*response.meta.get("redirect_chain", []), response.url]
        location = response.headers.get(b"Location")
        problem = None
        if not location:
            problem = f"HTTP {response.status} without a Location header"
        else:
            target = response.urljoin(location.decode("latin-1"))
            if target in chain:
                problem = "redirect loop: " + " -> ".join([*chain, target])
            elif len(chain) > MAX_REDIRECTS:
                problem = f"more than {MAX_REDIRECTS} redirects: " + " -> ".join(chain)
        if problem:
            item = self._page_item(response, portal)
            item.fail("fetch_failed", problem)
            self._inc("fetch/failed")
            yield item
            return
        request = self._article_request(
            target, portal, via=response.meta.get("via", "?"), feed_date=response.meta.get("feed_date")
        )
        request.meta["redirect_chain"] = chain
        yield request.replace(dont_filter=True)

    def article_failed(self, failure: Failure) -> Iterator[PageItem]:
        """Record an article URL that could not be fetched, with why; robots refusals are not failures."""
        request = failure.request  # type: ignore[attr-defined]
        portal = self.portals[request.meta["portal"]]
        message = failure.getErrorMessage()
        if "robots.txt" in message:
            self._inc("discovery/robots_forbidden")
            return
        if failure.check(HttpError):
            response: Response = failure.value.response  # type: ignore[union-attr]
            item = self._page_item(response, portal)
            if response.status == 304:
                # The archived capture is still current (conditional GET by the frontier).
                item.fail("not_modified", "HTTP 304")
                yield item
                return
            item.fail("fetch_failed", f"HTTP {response.status}")
        else:
            item = PageItem(
                url=_first_url(request.meta, request.url),
                final_url=request.url,
                http_status=0,
                headers={},
                body=b"",
                fetched_at=datetime.now(UTC),
                discovered_via=request.meta.get("via", "?"),
                portal_key=portal.key,
                portal_name=portal.name,
                portal_home=portal.home_url,
                feed_date=request.meta.get("feed_date"),
            )
            item.fail("fetch_failed", f"{failure.type.__name__}: {message}" if failure.type else message)
        self._inc("fetch/failed")
        yield item

    def discovery_failed(self, failure: Failure) -> None:
        """Robots, sitemap, feed or listing fetches may fail (no sitemap, say): count, log, go on."""
        self._inc("discovery/failed")
        self.logger.info("discovery request failed: %s (%s)", failure.request.url, failure.getErrorMessage())  # type: ignore[attr-defined]

    # -- helpers ---------------------------------------------------------------------------------

    def _article_request(
        self, url: str, portal: Portal, *, via: str, feed_date: str | None = None
    ) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            priority=PRIORITY_ARTICLE,
            meta={
                "portal": portal.key,
                "via": via,
                "feed_date": feed_date,
                "listing_depth": 0,
                "dont_redirect": True,
                "handle_httpstatus_list": REDIRECT_STATUSES,
            },
        )

    def _sitemap_request(self, url: str, portal: Portal) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_sitemap,
            errback=self.discovery_failed,
            priority=PRIORITY_DISCOVERY,
            meta={"portal": portal.key},
        )

    def _feed_request(self, url: str, portal: Portal) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_feed,
            errback=self.discovery_failed,
            priority=PRIORITY_DISCOVERY,
            meta={"portal": portal.key},
        )

    def _page_item(self, response: Response, portal: Portal) -> PageItem:
        headers = {
            key.decode("latin-1"): [value.decode("latin-1") for value in values]
            for key, values in response.headers.items()
        }
        content_type = response.headers.get(b"Content-Type")
        return PageItem(
            url=_first_url(response.meta, response.url),
            final_url=response.url,
            http_status=response.status,
            headers=headers,
            body=response.body,
            fetched_at=datetime.now(UTC),
            discovered_via=response.meta.get("via", "?"),
            portal_key=portal.key,
            portal_name=portal.name,
            portal_home=portal.home_url,
            content_type=content_type.decode("latin-1") if content_type else None,
            feed_date=response.meta.get("feed_date"),
            prune_xpath=portal.prune_xpath,
            request_headers={
                key.decode("latin-1"): [value.decode("latin-1") for value in values]
                for key, values in response.request.headers.items()
            }
            if response.request is not None
            else None,
            protocol=response.protocol,
        )

    def _portal(self, response: Response) -> Portal:
        return self.portals[response.meta["portal"]]

    def _inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)


def _first_url(meta: dict[str, Any], url: str) -> str:
    """Return the URL a redirect chain started from: ours (articles) or Scrapy's (other requests)."""
    chain = meta.get("redirect_chain") or meta.get("redirect_urls") or [url]
    return str(chain[0])


def _is_html(response: TextResponse) -> bool:
    content_type = (response.headers.get(b"Content-Type") or b"text/html").decode("latin-1").lower()
    return "html" in content_type


def _tree(response: TextResponse) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.fromstring(response.body, base_url=response.url)
    except (lxml.etree.ParserError, ValueError):
        return None
