"""PortalSpider: robots.txt -> sitemaps -> feeds -> listing pages (paginated) -> article pages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy import signals
from scrapy.http import Response, TextResponse
from sqlalchemy.exc import SQLAlchemyError
from twisted.python.failure import Failure

from crawler import defaults
from crawler.discovery import sitemaps
from crawler.discovery.feeds import parse_feed
from crawler.frontier.planner import FrontierPlanner
from crawler.portals import Portal, RegistryError, load_registry, resolve_portals
from crawler.spiders import listing
from crawler.spiders.bounds import Bounds, admit, backfill_start, distinct_links
from crawler.spiders.captures import failed_fetch_item, is_html, page_item
from crawler.spiders.counters import Counters
from crawler.spiders.failures import failure_reason
from crawler.spiders.redirects import REDIRECT_STATUSES, RedirectRefused, redirect_chain, redirect_target
from crawler.spiders.requests import SpiderRequests
from pipelines import defaults as pipelines_defaults
from pipelines.analysis.job import ANALYSIS_MODULE, PageJob, PageResult, analyse_page
from pipelines.analysis.pool import WorkerFailed, WorkerPool
from pipelines.extract.links import PageLinks
from pipelines.items import PageItem
from pipelines.outage import outage_of
from storage import frontier
from storage.db import ArchiveUnavailable
from storage.models import FrontierState
from storage.safe_text import exception_line
from storage.urls import site_key

# The stat counted for each status of a failed article fetch (a 304 is no failure).
_FAILURE_STATS = {"fetch_failed": "fetch/failed", "refused": "fetch/refused"}


class PortalSpider(scrapy.Spider):
    """One generic spider for every portal.

    Arguments (``-a``): ``portal`` (comma-separated registry keys; all when neither argument is given),
    ``start_urls`` (comma-separated home URLs of portals, registered or not), ``registry`` (path),
    ``since`` (YYYY-MM-DD: backfill, walking listings and sitemaps back to that day).

    Which discovered articles are fetched is the frontier planner's decision (crawler.frontier.planner):
    new ones, changed ones (a sitemap lastmod or feed date later than the one read last time), and those
    the frontier owes a fetch, requested at start (never fetched, a change seen, a revisit or retry
    due). Where a listing walk stops is crawler.spiders.listing; the requests, their priorities and the
    page budget are crawler.spiders.requests; article redirects are checked by crawler.spiders.redirects.

    Settings read: the Bounds settings (crawler.spiders.bounds), FRONTIER_ENABLED (default True),
    ARCHIVE_DATABASE_URL, NEWSARCHIVE_LISTING_STOP_WHEN_KNOWN (default True),
    NEWSARCHIVE_DISCOVERY_EXTRA_HOSTS (hosts that may serve any portal's sitemaps and feeds),
    URLLENGTH_LIMIT and REDIRECT_MAX_TIMES (for the article redirects it follows itself). Stats:
    discovery/*, frontier/*, bounds/*, fetch/*, portal/<key>/*.
    """

    name = "portal"
    # Set by from_crawler, from the settings.
    bounds: Bounds
    url_limit: int
    max_redirects: int
    stop_when_known: bool
    extra_hosts: frozenset[str]

    def __init__(
        self,
        portal: str | None = None,
        start_urls: str | None = None,
        registry: str | None = None,
        since: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.counters = Counters(self)
        try:
            keys = [key.strip() for key in (portal or "").split(",") if key.strip()]
            urls = [url.strip() for url in (start_urls or "").split(",") if url.strip()]
            chosen = resolve_portals(keys, urls, load_registry(registry))
        except RegistryError as exc:
            raise ValueError(str(exc)) from exc
        self.portals: dict[str, Portal] = {p.key: p for p in chosen}
        self.since = backfill_start(since) if since else None
        self.requests = SpiderRequests(self)
        self.planner = FrontierPlanner(None)
        # Article URLs planned this crawl (as many as the portal has articles), and how many per portal.
        self.planned: set[str] = set()
        self.walks = listing.ListingWalks(self)
        self._discovered: dict[str, int] = {}
        self._pool: WorkerPool | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PortalSpider:
        spider: PortalSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.bounds = Bounds.from_settings(settings)  # Scrapy's own settings next: Scrapy's defaults
        spider.url_limit = settings.getint("URLLENGTH_LIMIT")
        spider.max_redirects = settings.getint("REDIRECT_MAX_TIMES")
        spider.stop_when_known = settings.getbool(
            "NEWSARCHIVE_LISTING_STOP_WHEN_KNOWN", defaults.NEWSARCHIVE_LISTING_STOP_WHEN_KNOWN
        )
        hosts = settings.getlist(
            "NEWSARCHIVE_DISCOVERY_EXTRA_HOSTS", defaults.NEWSARCHIVE_DISCOVERY_EXTRA_HOSTS
        )
        spider.extra_hosts = frozenset(site_key(h if "://" in h else f"https://{h}/") for h in hosts)
        if settings.getbool("FRONTIER_ENABLED", pipelines_defaults.FRONTIER_ENABLED):
            spider.planner = FrontierPlanner(settings.get("ARCHIVE_DATABASE_URL"), outage_of(crawler))
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
            self.planner.open(list(self.portals.values()))
        except (ArchiveUnavailable, SQLAlchemyError) as exc:
            # The archive pipeline fails the crawl for the same reason (or, the archive lost, the crawl
            # stops as archive_unavailable); nothing is planned without it.
            self.logger.error("frontier unavailable: %s", exception_line(exc))
            self.planner = FrontierPlanner(None)

    def close_frontier(self, spider: Any) -> None:
        self.planner.close()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for portal in list(self.portals.values()):
            yield self.requests.robots(portal)
            configured = [
                *(self.requests.sitemap(url, portal, depth=0) for url in portal.sitemaps),
                *(self.requests.feed(url, portal) for url in portal.feeds),
            ]
            for request in configured:
                if request is not None and self._discovery_host_ok(request.url, portal):
                    yield request
            yield self.requests.home(portal)
        # Articles the frontier owes a fetch (never fetched: a crawl stopped first; or a revisit, retry or
        # changed lastmod due), whether or not discovery lists them again.
        for portal in list(self.portals.values()):
            owed = await self.planner.due(portal, self.bounds.page_budget, self.since)
            for url, etag, last_modified in owed:
                self.counters.inc("frontier/due")
                request = self.requests.article(
                    url,
                    portal,
                    via="frontier",
                    hops=self.bounds.article_hops,
                    validators=(etag, last_modified),
                )
                if request is not None:
                    yield request

    # -- discovery -------------------------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        portal = self._portal(response)
        self._count_response(portal)
        text = response.text if isinstance(response, TextResponse) else response.body.decode("latin-1")
        listed = sitemaps.sitemaps_from_robots(text, response.url)
        # Sitemaps are auto-discovered: robots.txt first, the conventional location when it names none.
        for url in listed or [urljoin(portal.home_url, "/sitemap.xml")]:
            request = (
                self.requests.sitemap(url, portal, depth=0) if self._discovery_host_ok(url, portal) else None
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
            sitemaps.parse_sitemap,
            response.body,
            max_bytes=bounds.sitemap_bytes,
            max_urls=bounds.sitemap_urls,
        )
        self.counters.note_parse(parsed, response.url, "sitemap")
        self.counters.inc("discovery/sitemaps")
        articles: list[frontier.Discovery] = []
        for entry in parsed.entries:
            lastmod = self._portal_date(entry.lastmod)
            if entry.is_index:
                if depth >= bounds.sitemap_depth:
                    self.counters.bound_reached("sitemap_depth", response.url)
                elif self._discovery_host_ok(entry.url, portal):
                    async for request in self._sub_sitemap(entry.url, portal, lastmod, depth + 1):
                        yield request
            elif portal.classify(entry.url) == "article":
                self.counters.inc("discovery/sitemap_urls")
                articles.append(frontier.Discovery(entry.url, "sitemap", lastmod, entry.lastmod))
        for request in self.requests.planned_articles(
            await self._plan(articles, portal), articles, portal, hops=0
        ):
            yield request
        await self.planner.record_sitemap(
            portal, response.url, datetime.now(UTC), response.meta.get("index_lastmod")
        )

    async def _sub_sitemap(
        self, url: str, portal: Portal, lastmod: datetime | None, depth: int
    ) -> AsyncIterator[scrapy.Request]:
        """A sitemap listed in an index: fetched unless its lastmod says it did not change since we last
        read it (or, in backfill, it is older than ``since``)."""
        if self.since is not None and lastmod is not None and lastmod < self.since:
            self.counters.inc("frontier/sitemaps_older_than_since")
            return
        if self.since is None and not await self.planner.sitemap_changed(portal, url, lastmod):
            self.counters.inc("frontier/sitemaps_unchanged")
            return
        request = self.requests.sitemap(url, portal, depth=depth, index_lastmod=lastmod)
        if request is not None:
            yield request

    async def parse_feed(self, response: Response) -> AsyncIterator[scrapy.Request]:
        portal = self._portal(response)
        self._count_response(portal)
        bounds = self.bounds
        parsed = await asyncio.to_thread(
            parse_feed, response.body, max_bytes=bounds.sitemap_bytes, max_items=bounds.sitemap_urls
        )
        self.counters.note_parse(parsed, response.url, "feed")
        self.counters.inc("discovery/feeds")
        articles = []
        for link, when in parsed.entries:
            if portal.classify(link) != "skip":
                self.counters.inc("discovery/feed_urls")
                articles.append(frontier.Discovery(link, "feed", self._portal_date(when), when))
        for request in self.requests.planned_articles(
            await self._plan(articles, portal), articles, portal, hops=0
        ):
            yield request

    async def parse_listing(self, response: Response) -> AsyncIterator[scrapy.Request]:
        """Follow feeds, articles and further listing pages (pagination) of a listing page."""
        portal = self._portal(response)
        self._count_response(portal)
        if response.meta.get("via") == "home" and not portal.on_site(response.url):  # aliases are on-site
            self.counters.home_failed(portal.key, f"home page redirected off the site, to {response.url}")
            return
        if not isinstance(response, TextResponse):
            return
        self.counters.inc("discovery/listing_pages")
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
            self.counters.inc("discovery/listing_unreadable")
            self.logger.warning("listing page %s not read: %s", response.url[:300], exc)
            return
        if result.links is None:
            return
        for url in result.links.feeds:
            if self._discovery_host_ok(url, portal):
                request = self.requests.feed(url, portal)
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
        articles = self._page_links(links.articles, response.url)
        # Each article URL is planned once per crawl (menus cost the frontier nothing after their first
        # sight). A dict, ordered with O(1) lookups: 150,000 links must cost linear time on the reactor.
        fresh = {url: None for url in articles if url not in self.planned}
        self.planned.update(fresh)
        found = [frontier.Discovery(url, via, dates.get(url)) for url in fresh]
        plans = await self._plan(found, portal)
        for request in self.requests.planned_articles(plans, found, portal, hops=hops, listing_depth=depth):
            yield request
        if from_article:
            return  # pagination is walked from listing pages only
        # The pagination decision weighs every article the page lists, planned before or not.
        weighed = plans + [
            frontier.Plan(url, False, "known", True, done=True) for url in articles if url not in fresh
        ]
        listings = self._page_links(links.listings, response.url)
        to_walk = await self.walks.next_pages(portal, response.url, listings, weighed, depth)
        for url in to_walk:
            if depth >= self.bounds.listing_depth:
                self.counters.bound_reached("listing_depth", response.url)
                return
            next_page = self.requests.listing(url, portal, depth=depth + 1, hops=hops)
            if next_page is not None:
                yield next_page

    def _page_links(self, urls: tuple[str, ...], where: str) -> list[str]:
        """The page's distinct links of one kind, in order, up to the page_links bound (counted)."""
        kept, dropped = distinct_links(urls, self.bounds.page_links)
        if dropped:
            self.counters.bound_reached("page_links", where, dropped)
        return kept

    async def _plan(self, discoveries: list[frontier.Discovery], portal: Portal) -> list[frontier.Plan]:
        """The frontier planner's decision on each discovered article admitted (bounds.admit), by why."""
        taken = self._discovered.get(portal.key, 0)
        discoveries, too_long, over = admit(discoveries, self.url_limit, self.bounds.discovered_urls - taken)
        self.counters.inc("discovery/url_too_long", too_long)  # none counted when none
        if over:
            self.counters.bound_reached("discovered_urls", portal.key, over)
        self._discovered[portal.key] = taken + len(discoveries)
        plans = await self.planner.plan(portal, discoveries, self.since)
        for plan in plans:
            self.counters.inc(f"frontier/{plan.why}")
        return plans

    # -- articles --------------------------------------------------------------------------------

    async def parse_article(self, response: Response) -> AsyncIterator[PageItem | scrapy.Request]:
        """Yield the capture of an article page; a page that turns out to be a listing is followed instead.

        Anything that is not HTML at all (binary, garbage) is captured too: extraction records why it
        is no article. Links on the page are followed only within the article_hops bound.
        """
        portal = self._portal(response)
        self._count_response(portal)
        if response.status in REDIRECT_STATUSES:
            yield self._follow_redirect(response, portal)
            return
        item = page_item(response, portal)
        if isinstance(response, TextResponse) and is_html(response):
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
                    self.counters.bound_reached("article_hops", response.url)
                if not result.links.is_article:
                    self.counters.inc("discovery/not_article")
                    self.logger.debug("not an article (%s): %s", result.links.evidence, response.url)
                    self._record_no_capture(
                        portal, item.url, response.status, FrontierState.FETCHED, frontier.NOT_AN_ARTICLE
                    )
                    return
            item.analysis = result
        yield item

    def _follow_redirect(self, response: Response, portal: Portal) -> PageItem | scrapy.Request:
        """The next hop of an article redirect, or the capture of why it is not followed."""
        chain = redirect_chain(response)
        try:
            target = redirect_target(response, chain, self.url_limit, self.max_redirects)
        except RedirectRefused as refused:
            item = page_item(response, portal)
            item.fail(refused.status, str(refused))
            self.counters.inc(_FAILURE_STATS[refused.status])
            return item
        return self.requests.redirected_article(target, response, chain)

    def article_failed(self, failure: Failure) -> Iterator[PageItem | scrapy.Request]:
        """Record an article URL that could not be fetched, with why (robots refusals are not failures);
        then the article's next spelling, when the failure may be this spelling's own (next_spelling)."""
        request = failure.request  # type: ignore[attr-defined]
        item = failed_fetch_item(failure, self.portals[request.meta["portal"]])
        if item is None:
            self.counters.inc("discovery/robots_forbidden")
            portal = self.portals[request.meta["portal"]]
            self._record_no_capture(portal, request.url, 0, FrontierState.FAILED, frontier.ROBOTS_FORBIDDEN)
        else:
            if item.failure_status in _FAILURE_STATS:
                self.counters.inc(_FAILURE_STATS[item.failure_status])
            yield item
        next_spelling = self.requests.next_spelling(request, item)
        if next_spelling is not None:
            yield next_spelling

    def discovery_failed(self, failure: Failure) -> None:
        """Robots, sitemap, feed or listing fetches may fail (no sitemap, say): counted, logged at DEBUG;
        the home failure is remembered (counters.home_failed): an unreachable or robots-refused portal."""
        request = failure.request  # type: ignore[attr-defined]
        if request.meta.get("via") == "home":
            self.counters.home_failed(request.meta["portal"], failure_reason(failure.value))
        self.counters.inc("discovery/failed")
        self.counters.inc(f"discovery/failed/{failure.type.__name__ if failure.type else 'unknown'}")
        self.logger.debug("discovery request failed: %s (%s)", failure.request.url, failure.getErrorMessage())  # type: ignore[attr-defined]

    # -- helpers ---------------------------------------------------------------------------------

    def _record_no_capture(self, portal: Portal, url: str, status: int, state: str, reason: str) -> None:
        """Tell the frontier an article URL was dealt with though no capture records it."""
        self.planner.record_fetch(
            portal, frontier.FetchOutcome(url, datetime.now(UTC), status, state, reason)
        )

    def _discovery_host_ok(self, url: str, portal: Portal) -> bool:
        """Sitemaps and feeds are fetched only from the portal's sites (home, aliases) or extra hosts."""
        key = site_key(url)
        if key and (key in portal.sites or key in portal.extra_hosts or key in self.extra_hosts):
            return True
        self.counters.inc("discovery/offsite")
        self.logger.debug("discovery URL off the portal's site, skipped: %s", url[:300])
        return False

    def _portal_date(self, written: str | None) -> datetime | None:
        """A sitemap lastmod or feed date, parsed (crawler.discovery.sitemaps.portal_date), counted when
        unparseable or in the future."""
        parsed, problem = sitemaps.portal_date(written, datetime.now(UTC))
        if problem:
            self.counters.inc(problem)
        return parsed

    def _portal(self, response: Response) -> Portal:
        return self.portals[response.meta["portal"]]

    def _count_response(self, portal: Portal) -> None:
        self.requests.count_response(portal)
        self.counters.inc(f"portal/{portal.key}/responses")
