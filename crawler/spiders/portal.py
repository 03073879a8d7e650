"""PortalSpider: robots.txt -> sitemaps -> feeds -> listing pages (paginated) -> article pages."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urljoin

import lxml.etree
import lxml.html
import scrapy
from scrapy import signals
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.discovery import sitemaps as discovery
from crawler.frontier.planner import Frontier
from crawler.portals import Portal, RegistryError, load_registry, resolve_portals
from crawler.safety.guard import AddressRefused
from pipelines.analysis.job import ANALYSIS_MODULE, PageJob, PageResult, analyse_page
from pipelines.analysis.pool import WorkerFailed, WorkerPool
from pipelines.extract.dates import parse_date
from pipelines.extract.links import PageLinks
from pipelines.items import PageItem
from storage import frontier
from storage.db import ArchiveUnavailable
from storage.timezone import VN_TZ
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
    # Pagination is walked one page at a time, so the depth is about the deepest page number reached.
    listing_depth: int = 1000
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
    ``start_urls`` (comma-separated home URLs of portals, registered or not), ``registry`` (path),
    ``since`` (YYYY-MM-DD: backfill, walking listings and sitemaps back to that day).

    Which discovered articles are fetched is the frontier's decision (crawler.frontier.planner): new ones,
    changed ones (a newer sitemap lastmod or feed date), and those whose revisit or retry is due.
    Listing pagination stops after a page on which every article is already known, except in
    backfill, which stops where the listed articles are older than ``since``.

    Settings read: the Bounds settings, FRONTIER_ENABLED (default True), ARCHIVE_DATABASE_URL,
    NEWSARCHIVE_LISTING_STOP_WHEN_KNOWN (default True), NEWSARCHIVE_DISCOVERY_EXTRA_HOSTS (hosts that
    may serve any portal's sitemaps and feeds), URLLENGTH_LIMIT. Stats: discovery/*, frontier/*,
    bounds/*, fetch/*, portal/<key>/*.
    """

    name = "portal"
    bounds = Bounds()
    url_limit = 2083
    extra_hosts: frozenset[str] = frozenset()
    stop_when_known = True

    def __init__(
        self,
        portal: str | None = None,
        start_urls: str | None = None,
        registry: str | None = None,
        since: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        try:
            keys = [key.strip() for key in (portal or "").split(",") if key.strip()]
            urls = [url.strip() for url in (start_urls or "").split(",") if url.strip()]
            chosen = resolve_portals(keys, urls, load_registry(registry))
        except RegistryError as exc:
            raise ValueError(str(exc)) from exc
        self.portals: dict[str, Portal] = {p.key: p for p in chosen}
        self.since = backfill_start(since) if since else None
        self.responses: Counter[str] = Counter()  # responses per portal, for the page budget
        self.frontier = Frontier(None)
        # Article URLs planned this crawl: as many as the portal has articles (the dupefilter holds as much).
        self.planned: set[str] = set()
        self._pool: WorkerPool | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PortalSpider:
        spider: PortalSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.bounds = Bounds.from_settings(settings)
        spider.url_limit = settings.getint("URLLENGTH_LIMIT", 2083)
        spider.stop_when_known = settings.getbool("NEWSARCHIVE_LISTING_STOP_WHEN_KNOWN", True)
        hosts = settings.getlist("NEWSARCHIVE_DISCOVERY_EXTRA_HOSTS", [])
        spider.extra_hosts = frozenset(site_key(h if "://" in h else f"https://{h}/") for h in hosts)
        if settings.getbool("FRONTIER_ENABLED", True):
            spider.frontier = Frontier(settings.get("ARCHIVE_DATABASE_URL"))
        crawler.signals.connect(spider.open_frontier, signal=signals.spider_opened)
        crawler.signals.connect(spider.close_frontier, signal=signals.spider_closed)
        return spider

    @property
    def pool(self) -> WorkerPool:
        """The crawl's worker pool (pipelines.analysis.pool), shared with the extraction pipeline."""
        if self._pool is None:
            self._pool = WorkerPool.for_crawler(self.crawler, analyse_page, (ANALYSIS_MODULE,))
        return self._pool

    def open_frontier(self, spider: Any) -> None:
        try:
            self.frontier.open(list(self.portals.values()))
        except ArchiveUnavailable as exc:
            # The archive pipeline fails the crawl for the same reason; nothing is planned without it.
            self.logger.error("frontier unavailable: %s", exc)
            self.frontier = Frontier(None)

    def close_frontier(self, spider: Any) -> None:
        self.frontier.close()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for portal in list(self.portals.values()):
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
        # Articles whose revisit or retry is due, whether or not discovery lists them any more.
        for portal in list(self.portals.values()):
            for url, etag, last_modified in await self.frontier.due(portal, self.bounds.page_budget):
                self._inc("frontier/due")
                request = self._article_request(url, portal, via="frontier", hops=self.bounds.article_hops)
                if request is not None:
                    request.meta["validators"] = (etag, last_modified)
                    yield request

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
        articles: list[frontier.Discovery] = []
        for entry in parsed.entries:
            lastmod = parse_date(entry.lastmod) if entry.lastmod else None
            if entry.is_index:
                if depth >= bounds.sitemap_depth:
                    self._bound("sitemap_depth", response.url)
                elif self._discovery_host_ok(entry.url, portal):
                    async for request in self._sub_sitemap(entry.url, portal, lastmod, depth + 1):
                        yield request
            elif discovery.classify_url(entry.url, portal) == "article":
                self._inc("discovery/sitemap_urls")
                articles.append(frontier.Discovery(entry.url, "sitemap", lastmod, entry.lastmod))
        async for request in self._planned(articles, portal, hops=0):
            yield request
        await self.frontier.record_sitemap(portal, response.url, datetime.now(UTC))

    async def _sub_sitemap(
        self, url: str, portal: Portal, lastmod: datetime | None, depth: int
    ) -> AsyncIterator[scrapy.Request]:
        """A sitemap listed in an index: fetched unless its lastmod says it did not change since we last
        read it (or, in backfill, it is older than ``since``)."""
        if self.since is not None and lastmod is not None and lastmod < self.since:
            self._inc("frontier/sitemaps_older_than_since")
            return
        if self.since is None and not await self.frontier.sitemap_changed(portal, url, lastmod):
            self._inc("frontier/sitemaps_unchanged")
            return
        request = self._sitemap_request(url, portal, depth=depth)
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
        articles = []
        for link, when in parsed.entries:
            if discovery.classify_url(link, portal) != "skip":
                self._inc("discovery/feed_urls")
                articles.append(frontier.Discovery(link, "feed", parse_date(when) if when else None, when))
        async for request in self._planned(articles, portal, hops=0):
            yield request

    async def parse_listing(self, response: Response) -> AsyncIterator[scrapy.Request]:
        """Follow feeds, articles and further listing pages (pagination) of a listing page."""
        portal = self._portal(response)
        self._count_response(portal)
        if not isinstance(response, TextResponse):
            return
        self._inc("discovery/listing_pages")
        job = PageJob(
            response.body,
            response.url,
            extract=False,
            links=portal.link_rules,
            listing_dates=self.since is not None,
        )
        try:
            result: PageResult = await self.pool.run(job)
        except WorkerFailed as exc:
            self._inc("discovery/listing_unreadable")
            self.logger.warning("listing page %s not read: %s", response.url[:300], exc)
            return
        if result.links is None:
            return
        for url in result.links.feeds:
            if self._discovery_host_ok(url, portal):
                request = self._feed_request(url, portal)
                if request is not None:
                    yield request
        async for request in self._follow_links(
            result.links, response, portal, hops=response.meta.get("hops", 0)
        ):
            yield request

    async def _follow_links(
        self, links: PageLinks, response: Response, portal: Portal, *, hops: int
    ) -> AsyncIterator[scrapy.Request]:
        depth = response.meta.get("listing_depth", 0)
        from_article = response.meta.get("callback_kind") == "article"
        via = "article" if from_article else "listing"
        dates = dict(links.dates)
        fresh = [url for url in links.articles if url not in self.planned]
        # Each article URL is planned once per crawl: the links a page shares with every other page
        # (menus, most-read boxes) cost the frontier nothing after their first sight.
        self.planned.update(fresh)
        plans = [
            plan
            async for plan in self._plans([frontier.Discovery(u, via, dates.get(u)) for u in fresh], portal)
        ]
        for plan in plans:
            if plan.fetch:
                request = self._article_request(plan.url, portal, via=via, hops=hops, listing_depth=depth)
                if request is not None:
                    request.meta["validators"] = (plan.etag, plan.last_modified) if plan.known else None
                    yield request
        if from_article:
            return  # pagination is walked from listing pages only
        listings = list(links.listings)
        # The pagination decision weighs every article the page lists, planned before or not.
        plans += [frontier.Plan(url, False, "known", True) for url in links.articles if url not in fresh]
        next_pages = discovery.next_listing_pages(response.url, listings)
        walked = await self.frontier.listing_walked(portal, response.url, next_pages, datetime.now(UTC))
        stop = self._pagination_stop(response, plans, depth) if next_pages else None
        if stop == "known":
            # Known ground; but pages an earlier crawl never reached (it was killed, or cut short by
            # a bound) are walked anyway, so nothing it missed stays missed.
            next_pages = [url for url in next_pages if url not in walked]
        elif stop is not None:
            next_pages = []
        for url in next_pages:
            if depth >= self.bounds.listing_depth:
                self._bound("listing_depth", response.url)
                return
            request = self._request(
                url,
                portal,
                callback=self.parse_listing,
                errback=self.discovery_failed,
                priority=PRIORITY_LISTING,
                meta={"listing_depth": depth + 1, "hops": hops, "via": "listing"},
            )
            if request is not None:
                yield request

    def _pagination_stop(self, response: Response, plans: list[frontier.Plan], depth: int) -> str | None:
        """Why the walk stops after this listing page, or None when it goes on. The home page's links
        are always followed. A deeper page stops its series when it lists no article ("empty": also
        ends pagination traps), in backfill when all its dated articles are older than ``since``
        ("since"), otherwise when all its articles are already known ("known": a recrawl)."""
        if depth == 0:
            return None
        if not plans:
            self._inc("frontier/listing_empty")
            return "empty"
        if self.since is not None:
            # Undated links (a sidebar of most-read articles) say nothing about how far back the page is.
            dated = [plan for plan in plans if plan.why == "older_than_since" or plan.dated]
            if dated and all(plan.why == "older_than_since" for plan in dated):
                self._inc("frontier/backfill_reached_since")
                return "since"
            return None
        if self.stop_when_known and all(plan.known for plan in plans):
            self._inc("frontier/listing_stopped")
            return "known"
        return None

    async def _plans(
        self, discoveries: list[frontier.Discovery], portal: Portal
    ) -> AsyncIterator[frontier.Plan]:
        for plan in await self.frontier.plan(portal, discoveries, self.since):
            self._inc(f"frontier/{plan.why}")
            yield plan

    async def _planned(
        self, discoveries: list[frontier.Discovery], portal: Portal, *, hops: int
    ) -> AsyncIterator[scrapy.Request]:
        """Requests for the discovered articles the frontier says to fetch."""
        by_url = {d.url: d for d in discoveries}
        async for plan in self._plans(discoveries, portal):
            if not plan.fetch:
                continue
            found = by_url[plan.url]
            request = self._article_request(
                plan.url, portal, via=found.via, hops=hops, feed_date=found.raw_date
            )
            if request is not None:
                request.meta["validators"] = (plan.etag, plan.last_modified) if plan.known else None
                yield request

    # -- articles --------------------------------------------------------------------------------

    async def parse_article(self, response: Response) -> AsyncIterator[PageItem | scrapy.Request]:
        """Yield the capture of an article page; a page that turns out to be a listing is followed instead.

        Anything that is not HTML at all (binary, garbage) is captured too: extraction records why it
        is no article. Links on the page are followed only within the article_hops bound.
        """
        portal = self._portal(response)
        self._count_response(portal)
        if response.status in REDIRECT_STATUSES:
            for redirected in self._follow_redirect(response, portal):
                yield redirected
            return
        item = self._page_item(response, portal)
        if isinstance(response, TextResponse) and _is_html(response):
            # One worker call reads the page's links and signals and extracts the article: the reactor
            # never parses a page.
            hops = response.meta.get("hops", 0)
            follow = self.since is None and hops < self.bounds.article_hops
            job = PageJob(
                response.body, response.url, item.content_type, item.feed_date, portal.prune_xpath,
                links=portal.link_rules,
            )  # fmt: skip
            try:
                result: PageResult = await self.pool.run(job)
            except WorkerFailed as exc:
                item.fail("extraction_failed", str(exc))
                yield item
                return
            if result.links is not None:
                if follow:
                    response.meta["callback_kind"] = "article"
                    async for request in self._follow_links(result.links, response, portal, hops=hops + 1):
                        yield request
                elif self.since is None:
                    self._bound("article_hops", response.url)
                if not result.links.is_article:
                    self._inc("discovery/not_article")
                    self.logger.debug("not an article (%s): %s", result.links.evidence, response.url)
                    return
            item.analysis = result
        yield item

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
        keep = ("portal", "via", "feed_date", "hops", "listing_depth")  # not the old URL's validators
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
        """Robots, sitemap, feed or listing fetches may fail (no sitemap, say): counted, logged at DEBUG.

        The home page's failure is remembered per portal: it tells an unreachable portal (DNS, refused
        connection) or one whose robots.txt forbids it from one that merely has no sitemap.
        """
        request = failure.request  # type: ignore[attr-defined]
        if request.meta.get("via") == "home" and self.crawler.stats is not None:
            why = f"{failure.type.__name__ if failure.type else 'error'}: {failure.getErrorMessage()}"
            self.crawler.stats.set_value(f"portal/{request.meta['portal']}/home_failed", why[:300])
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
            revisit=portal.revisit,
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

    def _count_response(self, portal: Portal) -> None:
        self.responses[portal.key] += 1
        self._inc(f"portal/{portal.key}/responses")

    def _inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)


def backfill_start(day: str) -> datetime:
    """Return the instant a backfill day (YYYY-MM-DD) starts in Vietnam. Raises ValueError."""
    return datetime.combine(date.fromisoformat(day.strip()), time(), VN_TZ)


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
