"""Where a listing walk stops: after a page whose articles are all known, past ``since``, or none."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from crawler.discovery.pagination import next_listing_pages, page_number
from crawler.portals import Portal
from storage import frontier

if TYPE_CHECKING:
    from crawler.spiders.portal import PortalSpider

# Why pagination stops after a page, and the stat counted each time.
EMPTY, SINCE, KNOWN = "empty", "since", "known"
STOP_STATS = {
    EMPTY: "frontier/listing_empty",
    SINCE: "frontier/backfill_reached_since",
    KNOWN: "frontier/listing_stopped",
}


def pagination_stop(
    plans: Sequence[frontier.Plan], depth: int, *, since: datetime | None, stop_when_known: bool
) -> str | None:
    """Return why the walk stops after a listing page whose articles were planned as ``plans``, or None
    when it goes on.

    The home page's links (``depth`` 0) are always followed. A deeper page stops its series when it
    lists no article (EMPTY: also ends pagination traps); in backfill (``since``) when all its dated
    articles are older than ``since`` (SINCE); otherwise, with ``stop_when_known``
    (NEWSARCHIVE_LISTING_STOP_WHEN_KNOWN), when all its articles are fetched for good (KNOWN: a recrawl):
    archived or a final failure, not merely discovered, so a page whose articles a stopped crawl only
    discovered is walked on.
    """
    if depth == 0:
        return None
    if not plans:
        return EMPTY
    if since is not None:
        # Undated links (a sidebar of most-read articles) say nothing about how far back the page is.
        dated = [plan for plan in plans if plan.why == "older_than_since" or plan.dated]
        if dated and all(plan.why == "older_than_since" for plan in dated):
            return SINCE
        return None
    if stop_when_known and all(plan.done for plan in plans):
        return KNOWN
    return None


def pages_to_walk(next_pages: list[str], stop: str | None, walked: set[str]) -> list[str]:
    """Return the listing pages to request after a page whose walk stops for ``stop``.

    After KNOWN ground, the pages an earlier crawl never reached (it was killed, or cut short by a
    bound) are still walked (``walked`` are those it reached), so nothing it missed stays missed.
    """
    if stop == KNOWN:
        return [url for url in next_pages if url not in walked]
    if stop is not None:
        return []
    return next_pages


class ListingWalks:
    """The listing walks of one crawl: which pages to request after a listing page, and what the frontier
    records of each pagination series (crawler.frontier.planner): the pages walked, and whether the
    series' walk is open (it requested a next page and was not seen to end), so a crawl stopped midway
    is walked on by the next one over the ground it already knows."""

    def __init__(self, spider: PortalSpider) -> None:
        self.spider = spider
        # Pagination series met this crawl -> whether their last walk (an earlier crawl's) did not end.
        self.open: dict[str, bool] = {}

    async def next_pages(
        self, portal: Portal, url: str, listings: list[str], plans: Sequence[frontier.Plan], depth: int
    ) -> list[str]:
        """Return the listing pages to request after the listing page ``url`` at ``depth``, whose
        listing links are ``listings`` and whose articles were planned as ``plans``."""
        spider, planner = self.spider, self.spider.planner
        candidates = next_listing_pages(url, listings)
        walked = await planner.listing_walked(portal, url, candidates, datetime.now(UTC))
        series = page_number(url)[0]
        if depth and series not in self.open:
            # Read once, at the series' first page this crawl: before this crawl records its own walk.
            self.open[series] = await planner.walk_open(portal, series)
        stop = None
        if candidates:
            stop = pagination_stop(plans, depth, since=spider.since, stop_when_known=spider.stop_when_known)
        if stop == KNOWN and self.open.get(series):
            # An earlier walk of this series never ended (killed, cut short): walk on over known ground
            # to where it stopped, instead of stopping at the first page that is all fetched.
            spider.counters.inc("frontier/listing_resumed")
            stop = None
        if stop is not None:
            spider.counters.inc(STOP_STATS[stop])
        to_walk = pages_to_walk(candidates, stop, walked)
        if depth:
            going_on = any(page_number(page)[0] == series for page in to_walk)
            planner.record_walk(portal, series, walk_open=going_on)
        return to_walk
