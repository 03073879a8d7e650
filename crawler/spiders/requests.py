"""The spider's requests: their priorities, callbacks and meta, and the page budget of each portal."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin

import scrapy
from scrapy.http import Response

from crawler.portals import Portal
from crawler.spiders.redirects import REDIRECT_STATUSES
from pipelines.items import PageItem
from storage import frontier

if TYPE_CHECKING:
    from crawler.spiders.portal import PortalSpider

# Scheduling priorities: finish known articles before opening more listing pages, so items flow into
# the pipelines from the first seconds and memory holds few pending requests.
PRIORITY_DISCOVERY = 30
PRIORITY_ARTICLE = 10
PRIORITY_LISTING = 0
# What a redirected article request keeps of the first one's meta: not the old URL's validators.
_KEPT_BY_REDIRECTS = ("portal", "via", "feed_date", "hops", "listing_depth")
# Other spellings of an article kept while its request is out, each tried in turn if the one before fails.
MAX_SPELLINGS = 3


@dataclass
class _Spellings:
    """The spellings of one article (one frontier key) this run: the one requested, and the others seen
    since, waiting: robots.txt may refuse ``?utm_source=`` and allow the plain URL (``Disallow: /*?``),
    and a portal may answer 404 on one spelling only, so a failed request tries the next."""

    requested: str
    waiting: list[tuple[str, Portal, dict[str, Any]]] = field(default_factory=list)


class SpiderRequests:
    """Builds the requests of a PortalSpider, each with its callback, errback, priority and meta.

    The page budget: once a portal has had ``bounds.page_budget`` responses this run (count_response),
    no further request is built for it (None) and the spider counts the bound ``page_budget``. The
    first requests of a portal (robots.txt, home page) and redirect hops are never refused.
    """

    def __init__(self, spider: PortalSpider) -> None:
        self.spider = spider
        self.responses: Counter[str] = Counter()  # responses per portal, for the page budget
        # The spellings of each article requested this run, by frontier key (canonical URL): one request
        # per article however its links spell it (tracking parameters, a trailing slash, http or https,
        # www.), which Scrapy's duplicate filter keeps apart. A portal linking each article four such ways
        # was fetched 2,105 times for 900 articles. Bounded by the page budget.
        self.spellings: dict[str, _Spellings] = {}

    def count_response(self, portal: Portal) -> None:
        self.responses[portal.key] += 1

    def robots(self, portal: Portal) -> scrapy.Request:
        return scrapy.Request(
            urljoin(portal.home_url, "/robots.txt"),
            callback=self.spider.parse_robots,
            errback=self.spider.discovery_failed,
            priority=PRIORITY_DISCOVERY,
            meta={"portal": portal.key},
        )

    def home(self, portal: Portal) -> scrapy.Request:
        return scrapy.Request(
            portal.home_url,
            callback=self.spider.parse_listing,
            errback=self.spider.discovery_failed,
            priority=PRIORITY_LISTING,
            meta={"portal": portal.key, "listing_depth": 0, "hops": 0, "via": "home"},
            # Its redirects too: one to a URL robots.txt's redirect already asked for must still reach
            # the errback (the portal is unreachable), not vanish in the duplicate filter.
            dont_filter=True,
        )

    def article(
        self,
        url: str,
        portal: Portal,
        *,
        via: str,
        hops: int,
        feed_date: str | None = None,
        listing_depth: int = 0,
        validators: tuple[str | None, str | None] | None = None,
    ) -> scrapy.Request | None:
        """An article request, or None when the page budget is spent or this run requested the article
        already under another spelling of its URL (kept, to be tried if that request fails:
        ``next_spelling``); its redirects come back to the spider (parse_article) to be checked.
        ``validators`` (ETag, Last-Modified of the last capture) make it a conditional GET
        (crawler.frontier.conditional)."""
        options: dict[str, Any] = {
            "via": via, "hops": hops, "feed_date": feed_date, "listing_depth": listing_depth,
            "validators": validators,
        }  # fmt: skip
        key = frontier.frontier_key(url)
        seen = self.spellings.get(key)
        if seen is not None:
            self.spider.counters.inc("frontier/other_spelling")
            # A fragment is never sent: such a spelling is the same request.
            spelled = urldefrag(url).url
            known = spelled == urldefrag(seen.requested).url or any(
                urldefrag(waiting).url == spelled for waiting, _, _ in seen.waiting
            )
            if not known and len(seen.waiting) < MAX_SPELLINGS:
                seen.waiting.append((url, portal, options))
            return None
        request = self._article_request(url, portal, options)
        if request is not None:
            self.spellings[key] = _Spellings(url)
        return request

    def next_spelling(self, failed: scrapy.Request, item: PageItem | None) -> scrapy.Request | None:
        """The request for the next spelling this run saw of the article whose request ``failed`` (its
        failure recorded as ``item``, None for a robots.txt refusal), as long as the page budget lasts.

        Only when the failure may be the spelling's own: a refusal (robots.txt refusing
        ``?utm_source=``, the address guard) or a 4xx (a 404 on a trailing slash). Timeouts and 5xx
        would meet the next spelling too; a 304 is the archived capture still current.
        """
        if item is not None and item.failure_status != "refused" and not 400 <= (item.http_status or 0) < 500:
            return None
        chain = failed.meta.get("redirect_chain")
        seen = self.spellings.get(frontier.frontier_key(chain[0] if chain else failed.url))
        while seen is not None and seen.waiting:
            url, portal, options = seen.waiting.pop(0)
            # Past Scrapy's duplicate filter, which takes some spellings (a fragment) for the one that
            # failed and would drop the request without a word, ending the article's turn.
            request = self._article_request(url, portal, options, dont_filter=True)
            if request is not None:
                seen.requested = url
                self.spider.counters.inc("frontier/spelling_retried")
                return request
        return None

    def _article_request(
        self, url: str, portal: Portal, options: dict[str, Any], *, dont_filter: bool = False
    ) -> scrapy.Request | None:
        return self._budgeted(
            url,
            portal,
            dont_filter=dont_filter,
            callback=self.spider.parse_article,
            errback=self.spider.article_failed,
            priority=PRIORITY_ARTICLE,
            meta={
                **options,
                "dont_redirect": True,
                "handle_httpstatus_list": REDIRECT_STATUSES,
            },
        )

    def planned_articles(
        self,
        plans: list[frontier.Plan],
        discoveries: list[frontier.Discovery],
        portal: Portal,
        *,
        hops: int,
        listing_depth: int = 0,
    ) -> Iterator[scrapy.Request]:
        """Article requests for the discoveries the frontier planner's ``plans`` say to fetch, conditional
        when the frontier knew the URL (as long as the page budget lasts)."""
        by_url = {d.url: d for d in discoveries}
        for plan in plans:
            if not plan.fetch:
                continue
            found = by_url[plan.url]
            request = self.article(
                plan.url,
                portal,
                via=found.via,
                hops=hops,
                feed_date=found.raw_date,
                listing_depth=listing_depth,
                validators=(plan.etag, plan.last_modified) if plan.known else None,
            )
            if request is not None:
                yield request

    def redirected_article(self, target: str, response: Response, chain: list[str]) -> scrapy.Request:
        """The next hop of an article redirect: a fresh request (no validators of the old URL), not
        counted against the page budget (the first URL was, and the chain is bounded). It passes the
        address guard like any other."""
        meta = {name: response.meta[name] for name in _KEPT_BY_REDIRECTS if name in response.meta}
        meta.update(dont_redirect=True, handle_httpstatus_list=REDIRECT_STATUSES, redirect_chain=chain)
        return scrapy.Request(
            target,
            callback=self.spider.parse_article,
            errback=self.spider.article_failed,
            priority=PRIORITY_ARTICLE,
            meta=meta,
            dont_filter=True,
        )

    def sitemap(
        self, url: str, portal: Portal, *, depth: int, index_lastmod: datetime | None = None
    ) -> scrapy.Request | None:
        """A sitemap request; ``index_lastmod`` is the lastmod its sitemap index gave it (recorded with
        it once it is read, storage.frontier.pages.record_sitemap)."""
        return self._budgeted(
            url,
            portal,
            callback=self.spider.parse_sitemap,
            errback=self.spider.discovery_failed,
            priority=PRIORITY_DISCOVERY,
            # The protocol allows 50 MB sitemaps; articles stay under DOWNLOAD_MAXSIZE.
            meta={
                "sitemap_depth": depth,
                "download_maxsize": self.spider.bounds.sitemap_bytes,
                "index_lastmod": index_lastmod,
            },
        )

    def feed(self, url: str, portal: Portal) -> scrapy.Request | None:
        return self._budgeted(
            url,
            portal,
            callback=self.spider.parse_feed,
            errback=self.spider.discovery_failed,
            priority=PRIORITY_DISCOVERY,
            meta={"download_maxsize": self.spider.bounds.sitemap_bytes},
        )

    def listing(self, url: str, portal: Portal, *, depth: int, hops: int) -> scrapy.Request | None:
        return self._budgeted(
            url,
            portal,
            callback=self.spider.parse_listing,
            errback=self.spider.discovery_failed,
            priority=PRIORITY_LISTING,
            meta={"listing_depth": depth, "hops": hops, "via": "listing"},
        )

    def _budgeted(self, url: str, portal: Portal, **kwargs: Any) -> scrapy.Request | None:
        """A request for ``portal``, or None once the portal's page budget for this run is spent."""
        if self.responses[portal.key] >= self.spider.bounds.page_budget:
            self.spider.counters.bound_reached("page_budget", portal.key)
            return None
        meta = {"portal": portal.key, **kwargs.pop("meta", {})}
        return scrapy.Request(url, meta=meta, **kwargs)
