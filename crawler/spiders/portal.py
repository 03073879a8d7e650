"""PortalSpider: robots.txt -> sitemaps -> feeds -> listing pages (paginated) -> article pages."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
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
from crawler.guard import AddressRefused
from crawler.portals import Portal, RegistryError, load_registry, select_portals
from pipelines.items import PageItem
from storage.urls import site_key

# Scheduling priorities: finish known articles before opening more listing pages, so items flow into
# the pipelines from the first seconds and memory holds few pending requests.
PRIORITY_DISCOVERY = 30
PRIORITY_ARTICLE = 10
PRIORITY_LISTING = 0
# Article redirects are followed by the spider itself, so that a loop or an endless chain is recorded
# as a failure with its reason instead of vanishing in Scrapy's duplicate filter.
REDIRECT_STATUSES = [301, 302, 303, 307, 308]
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Bounds:
    """How far one crawl may go; each limit is a setting, counted under ``bounds/...`` when hit.

    article_hops: links on article pages are followed only this many article pages away from a
    listing, sitemap or feed (a trap of article-like pages linking to new ones ends there).
    listing_depth: listing pages followed from the home page (pagination included).
    sitemap_depth: sitemap indexes nested in sitemap indexes.
    page_budget: responses per portal per run.
    sitemap_bytes / sitemap_urls: per sitemap or feed, after decompression.
    """

    article_hops: int = 2
    listing_depth: int = 200
    sitemap_depth: int = 3
    page_budget: int = 100_000
    sitemap_bytes: int = discovery.SITEMAP_MAX_BYTES
    sitemap_urls: int = discovery.SITEMAP_MAX_URLS

    @classmethod
    def from_settings(cls, settings: Any) -> Bounds:
        return cls(
            article_hops=settings.getint("NEWSARCHIVE_ARTICLE_LINK_HOPS", cls.article_hops),
            listing_depth=settings.getint("NEWSARCHIVE_MAX_LISTING_DEPTH", cls.listing_depth),
            sitemap_depth=settings.getint("NEWSARCHIVE_SITEMAP_MAX_DEPTH", cls.sitemap_depth),
            page_budget=settings.getint("NEWSARCHIVE_PORTAL_PAGE_BUDGET", cls.page_budget),
            sitemap_bytes=settings.getint("NEWSARCHIVE_SITEMAP_MAX_BYTES", cls.sitemap_bytes),
            sitemap_urls=settings.getint("NEWSARCHIVE_SITEMAP_MAX_URLS", cls.sitemap_urls),
        )


class PortalSpider(scrapy.Spider):
    """One generic spider for every portal.

    Arguments (``-a``): ``portal`` (comma-separated registry keys; all when neither argument is given),
    ``start_urls`` (comma-separated home URLs of portals, registered or not), ``registry`` (path).
    Settings read: the Bounds settings, NEWSARCHIVE_DISCOVERY_EXTRA_HOSTS (hosts that may serve any
    portal's sitemaps and feeds), URLLENGTH_LIMIT. Stats: discovery/*, bounds/*, fetch/failed.
    """

    name = "portal"
    bounds = Bounds()
    url_limit = 2083
    extra_hosts: frozenset[str] = frozenset()

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
            by_site = {p.site: p for p in known.values()}
            for url in urls:
                ad_hoc = Portal.from_start_url(url)
                chosen.append(by_site.get(ad_hoc.site, ad_hoc))
        except RegistryError as exc:
            raise ValueError(str(exc)) from exc
        self.portals: dict[str, Portal] = {p.key: p for p in chosen}
        self.responses: Counter[str] = Counter()  # responses per portal, for the page budget

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PortalSpider:
        spider: PortalSpider = super().from_crawler(crawler, *args, **kwargs)
        spider.bounds = Bounds.from_settings(crawler.settings)
        spider.url_limit = crawler.settings.getint("URLLENGTH_LIMIT", 2083)
        hosts = crawler.settings.getlist("NEWSARCHIVE_DISCOVERY_EXTRA_HOSTS", [])
        spider.extra_hosts = frozenset(site_key(h if "://" in h else f"https://{h}/") for h in hosts)
        return spider

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
            configured = [
                *(self._sitemap_request(url, portal, depth=0) for url in portal.sitemaps),
                *(self._feed_request(url, portal) for url in portal.feeds),
            ]
            for request in configured:
                if request is not None and self._discovery_host_ok(request.url, portal):
                    yield request
            yield scrapy.Request(
                portal.home_url,
                callback=self.parse_listing,
                errback=self.discovery_failed,
                priority=PRIORITY_LISTING,
                meta={**meta, "listing_depth": 0, "hops": 0, "via": "home"},
            )

    # -- discovery -------------------------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        portal = self._portal(response)
        self._count_response(portal)
        text = response.text if isinstance(response, TextResponse) else response.body.decode("latin-1")
        sitemaps = discovery.sitemaps_from_robots(text, response.url)
        # Sitemaps are auto-discovered: robots.txt first, the conventional location when it names none.
        for url in sitemaps or [urljoin(portal.home_url, "/sitemap.xml")]:
            request = (
                self._sitemap_request(url, portal, depth=0) if self._discovery_host_ok(url, portal) else None
            )
            if request is not None:
                yield request

    async def parse_sitemap(self, response: Response) -> AsyncIterator[scrapy.Request]:
        portal = self._portal(response)
        self._count_response(portal)
        depth = response.meta.get("sitemap_depth", 0)
        bounds = self.bounds
        # Off the reactor thread: a large (or hostile) sitemap takes seconds and memory to parse.
        parsed = await asyncio.to_thread(
            discovery.parse_sitemap,
            response.body,
            max_bytes=bounds.sitemap_bytes,
            max_urls=bounds.sitemap_urls,
        )
        self._note_parse(parsed, response, "sitemap")
        self._inc("discovery/sitemaps")
        for entry in parsed.entries:
            if entry.is_index:
                if depth >= bounds.sitemap_depth:
                    self._bound("sitemap_depth", response.url)
                    continue
                if self._discovery_host_ok(entry.url, portal):
                    request = self._sitemap_request(entry.url, portal, depth=depth + 1)
                    if request is not None:
                        yield request
            elif discovery.classify_url(entry.url, portal) == "article":
                self._inc("discovery/sitemap_urls")
                request = self._article_request(
                    entry.url, portal, via="sitemap", hops=0, feed_date=entry.lastmod
                )
                if request is not None:
                    yield request

    async def parse_feed(self, response: Response) -> AsyncIterator[scrapy.Request]:
        portal = self._portal(response)
        self._count_response(portal)
        bounds = self.bounds
        parsed = await asyncio.to_thread(
            discovery.parse_feed, response.body, max_bytes=bounds.sitemap_bytes, max_items=bounds.sitemap_urls
        )
        self._note_parse(parsed, response, "feed")
        self._inc("discovery/feeds")
        for link, date in parsed.entries:
            if discovery.classify_url(link, portal) != "skip":
                self._inc("discovery/feed_urls")
                request = self._article_request(link, portal, via="feed", hops=0, feed_date=date)
                if request is not None:
                    yield request

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        """Follow feeds, articles and further listing pages (pagination) of a listing page."""
        portal = self._portal(response)
        self._count_response(portal)
        if not isinstance(response, TextResponse):
            return
        self._inc("discovery/listing_pages")
        tree = _tree(response)
        if tree is None:
            return
        for url in discovery.feed_links(tree, response.url):
            if self._discovery_host_ok(url, portal):
                request = self._feed_request(url, portal)
                if request is not None:
                    yield request
        yield from self._follow_links(tree, response, portal, hops=response.meta.get("hops", 0))

    def _follow_links(
        self, tree: lxml.html.HtmlElement, response: Response, portal: Portal, *, hops: int
    ) -> Iterator[scrapy.Request]:
        depth = response.meta.get("listing_depth", 0)
        for url in discovery.page_links(tree, response.url):
            kind = discovery.classify_url(url, portal)
            if kind == "article":
                request = self._article_request(url, portal, via="listing", hops=hops, listing_depth=depth)
            elif kind == "listing" and depth >= self.bounds.listing_depth:
                self._bound("listing_depth", response.url)
                continue
            elif kind == "listing":
                request = self._request(
                    url,
                    portal,
                    callback=self.parse_listing,
                    errback=self.discovery_failed,
                    priority=PRIORITY_LISTING,
                    meta={"listing_depth": depth + 1, "hops": hops, "via": "listing"},
                )
            else:
                continue
            if request is not None:
                yield request

    # -- articles --------------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[PageItem | scrapy.Request]:
        """Yield the capture of an article page; a page that turns out to be a listing is followed instead.

        Anything that is not HTML at all (binary, garbage) is captured too: extraction records why it
        is no article. Links on the page are followed only within the article_hops bound.
        """
        portal = self._portal(response)
        self._count_response(portal)
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
                hops = response.meta.get("hops", 0)
                if hops < self.bounds.article_hops:
                    yield from self._follow_links(tree, response, portal, hops=hops + 1)
                else:
                    self._bound("article_hops", response.url)
                if not is_article:
                    self._inc("discovery/not_article")
                    self.logger.debug("not an article (%s): %s", evidence, response.url)
                    return
        yield self._page_item(response, portal)

    def _follow_redirect(self, response: Response, portal: Portal) -> Iterator[PageItem | scrapy.Request]:
        chain = [*response.meta.get("redirect_chain", []), response.url]
        location = response.headers.get(b"Location")
        problem = None
        target = ""
        if not location:
            problem = f"HTTP {response.status} without a Location header"
        else:
            target = _join(response.url, location.decode("latin-1"))
            if not target:
                problem = f"redirect to a malformed URL: {location.decode('latin-1')[:200]!r}"
            elif len(target) > self.url_limit:
                problem = (
                    f"redirect to a URL of {len(target):,} characters (URLLENGTH_LIMIT {self.url_limit})"
                )
            elif target in chain:
                problem = "redirect loop: " + " -> ".join([*chain, target])
            elif len(chain) > MAX_REDIRECTS:
                problem = f"more than {MAX_REDIRECTS} redirects: " + " -> ".join(chain)
        if problem:
            item = self._page_item(response, portal)
            item.fail("fetch_failed", problem)
            self._inc("fetch/failed")
            yield item
            return
        # A fresh request (no validators of the old URL); not counted against the page budget: the
        # first URL was, and the chain is bounded. It passes the address guard like any other.
        keep = ("portal", "via", "feed_date", "hops", "listing_depth")
        meta = {name: response.meta[name] for name in keep if name in response.meta}
        meta.update(dont_redirect=True, handle_httpstatus_list=REDIRECT_STATUSES)
        yield scrapy.Request(
            target,
            callback=self.parse_article,
            errback=self.article_failed,
            priority=PRIORITY_ARTICLE,
            meta={**meta, "redirect_chain": chain},
            dont_filter=True,
        )

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
            if failure.check(AddressRefused):
                item.fail("refused", message)
                self._inc("fetch/refused")
                yield item
                return
            item.fail("fetch_failed", f"{failure.type.__name__}: {message}" if failure.type else message)
        self._inc("fetch/failed")
        yield item

    def discovery_failed(self, failure: Failure) -> None:
        """Robots, sitemap, feed or listing fetches may fail (no sitemap, say): counted, logged at DEBUG."""
        self._inc("discovery/failed")
        self._inc(f"discovery/failed/{failure.type.__name__ if failure.type else 'unknown'}")
        self.logger.debug("discovery request failed: %s (%s)", failure.request.url, failure.getErrorMessage())  # type: ignore[attr-defined]

    # -- helpers ---------------------------------------------------------------------------------

    def _request(self, url: str, portal: Portal, **kwargs: Any) -> scrapy.Request | None:
        """A request for ``portal``, or None once the portal's page budget for this run is spent."""
        if self.responses[portal.key] >= self.bounds.page_budget:
            self._bound("page_budget", portal.key)
            return None
        meta = {"portal": portal.key, **kwargs.pop("meta", {})}
        return scrapy.Request(url, meta=meta, **kwargs)

    def _article_request(
        self,
        url: str,
        portal: Portal,
        *,
        via: str,
        hops: int,
        feed_date: str | None = None,
        listing_depth: int = 0,
    ) -> scrapy.Request | None:
        return self._request(
            url,
            portal,
            callback=self.parse_article,
            errback=self.article_failed,
            priority=PRIORITY_ARTICLE,
            meta={
                "via": via,
                "feed_date": feed_date,
                "hops": hops,
                "listing_depth": listing_depth,
                "dont_redirect": True,
                "handle_httpstatus_list": REDIRECT_STATUSES,
            },
        )

    def _sitemap_request(self, url: str, portal: Portal, *, depth: int) -> scrapy.Request | None:
        return self._request(
            url,
            portal,
            callback=self.parse_sitemap,
            errback=self.discovery_failed,
            priority=PRIORITY_DISCOVERY,
            # The protocol allows 50 MB sitemaps; articles stay under DOWNLOAD_MAXSIZE.
            meta={"sitemap_depth": depth, "download_maxsize": self.bounds.sitemap_bytes},
        )

    def _feed_request(self, url: str, portal: Portal) -> scrapy.Request | None:
        return self._request(
            url,
            portal,
            callback=self.parse_feed,
            errback=self.discovery_failed,
            priority=PRIORITY_DISCOVERY,
            meta={"download_maxsize": self.bounds.sitemap_bytes},
        )

    def _discovery_host_ok(self, url: str, portal: Portal) -> bool:
        """Sitemaps and feeds are fetched only from the portal's own site or its configured extra hosts."""
        key = site_key(url)
        if key and (key == portal.site or key in portal.extra_hosts or key in self.extra_hosts):
            return True
        self._inc("discovery/offsite")
        self.logger.debug("discovery URL off the portal's site, skipped: %s", url[:300])
        return False

    def _note_parse(self, parsed: discovery.Parsed, response: Response, kind: str) -> None:
        if parsed.problem:
            self._inc(f"discovery/{kind}_unreadable")
            self.logger.warning("%s %s: %s", kind, response.url[:300], parsed.problem)
        if parsed.dropped:
            self._bound(f"{kind}_urls", response.url, parsed.dropped)

    def _bound(self, name: str, where: str, count: int = 1) -> None:
        """Count a bound that was hit; the first time per bound and run, say where."""
        if self.crawler.stats is None:
            return
        if not self.crawler.stats.get_value(f"bounds/{name}"):
            self.logger.warning(
                "bound %s reached (at %s); see the Safety section of the README", name, where[:300]
            )
        self.crawler.stats.inc_value(f"bounds/{name}", count)

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
        )

    def _portal(self, response: Response) -> Portal:
        return self.portals[response.meta["portal"]]

    def _count_response(self, portal: Portal) -> None:
        self.responses[portal.key] += 1

    def _inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)


def _first_url(meta: dict[str, Any], url: str) -> str:
    """Return the URL a redirect chain started from: ours (articles) or Scrapy's (other requests)."""
    chain = meta.get("redirect_chain") or meta.get("redirect_urls") or [url]
    return str(chain[0])


def _join(base: str, location: str) -> str:
    """Return the absolute redirect target, or "" when it is malformed."""
    try:
        return urljoin(base, location.strip())
    except ValueError:
        return ""


def _is_html(response: TextResponse) -> bool:
    content_type = (response.headers.get(b"Content-Type") or b"text/html").decode("latin-1").lower()
    return "html" in content_type


def _tree(response: TextResponse) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.fromstring(response.body, base_url=response.url)
    except (lxml.etree.ParserError, ValueError):
        return None
