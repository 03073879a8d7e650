"""How far one crawl may go (Bounds, from the settings) and where a backfill starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crawler import defaults
from storage.timezone import day_start, parse_day


@dataclass(frozen=True)
class Bounds:
    """How far one crawl may go; each limit is a setting, counted under ``bounds/...`` when hit.

    article_hops: links on article pages are followed only this many article pages away from a
    listing, sitemap or feed (a trap of article-like pages linking to new ones ends there).
    listing_depth: listing pages followed from the home page (pagination included; it is walked one page
    at a time, so this is about the deepest page number reached).
    sitemap_depth: sitemap indexes nested in sitemap indexes.
    page_budget: responses per portal per run.
    sitemap_bytes / sitemap_urls: per sitemap or feed, after decompression.
    page_links: article links, and listing links, read from one page (the rest are dropped).
    discovered_urls: article URLs handed to the frontier per portal per run (the rest are left for
    the next run, whose sitemaps and listings name them again).

    Settings: NEWSARCHIVE_ARTICLE_LINK_HOPS, NEWSARCHIVE_MAX_LISTING_DEPTH, NEWSARCHIVE_SITEMAP_MAX_DEPTH,
    NEWSARCHIVE_PORTAL_PAGE_BUDGET, NEWSARCHIVE_SITEMAP_MAX_BYTES, NEWSARCHIVE_SITEMAP_MAX_URLS,
    NEWSARCHIVE_MAX_PAGE_LINKS, NEWSARCHIVE_MAX_DISCOVERED_URLS; their defaults are crawler/defaults.py's.
    """

    article_hops: int = defaults.NEWSARCHIVE_ARTICLE_LINK_HOPS
    listing_depth: int = defaults.NEWSARCHIVE_MAX_LISTING_DEPTH
    sitemap_depth: int = defaults.NEWSARCHIVE_SITEMAP_MAX_DEPTH
    page_budget: int = defaults.NEWSARCHIVE_PORTAL_PAGE_BUDGET
    sitemap_bytes: int = defaults.NEWSARCHIVE_SITEMAP_MAX_BYTES
    sitemap_urls: int = defaults.NEWSARCHIVE_SITEMAP_MAX_URLS
    page_links: int = defaults.NEWSARCHIVE_MAX_PAGE_LINKS
    discovered_urls: int = defaults.NEWSARCHIVE_MAX_DISCOVERED_URLS

    @classmethod
    def from_settings(cls, settings: Any) -> Bounds:
        """Return the bounds the settings give, each unset one at its default."""
        return cls(
            article_hops=settings.getint("NEWSARCHIVE_ARTICLE_LINK_HOPS", cls.article_hops),
            listing_depth=settings.getint("NEWSARCHIVE_MAX_LISTING_DEPTH", cls.listing_depth),
            sitemap_depth=settings.getint("NEWSARCHIVE_SITEMAP_MAX_DEPTH", cls.sitemap_depth),
            page_budget=settings.getint("NEWSARCHIVE_PORTAL_PAGE_BUDGET", cls.page_budget),
            sitemap_bytes=settings.getint("NEWSARCHIVE_SITEMAP_MAX_BYTES", cls.sitemap_bytes),
            sitemap_urls=settings.getint("NEWSARCHIVE_SITEMAP_MAX_URLS", cls.sitemap_urls),
            page_links=settings.getint("NEWSARCHIVE_MAX_PAGE_LINKS", cls.page_links),
            discovered_urls=settings.getint("NEWSARCHIVE_MAX_DISCOVERED_URLS", cls.discovered_urls),
        )


def distinct_links(urls: tuple[str, ...] | list[str], limit: int) -> tuple[list[str], int]:
    """Return the distinct ``urls`` in order, at most ``limit`` of them, and how many distinct ones were
    dropped. Linear: a page of 150,000 links must not stall the reactor."""
    distinct = list(dict.fromkeys(urls))
    return distinct[:limit], max(len(distinct) - limit, 0)


def admit(discoveries: list[Any], url_limit: int, room: int) -> tuple[list[Any], int, int]:
    """Return the discoveries the frontier takes: none longer than ``url_limit`` (URLLENGTH_LIMIT: Scrapy
    would drop its request with a log line and leave the frontier entry without a reason), at most
    ``room`` of the rest; and how many were too long and how many over the bound."""
    fetchable = [d for d in discoveries if len(d.url) <= url_limit] if url_limit else list(discoveries)
    room = max(room, 0)
    return fetchable[:room], len(discoveries) - len(fetchable), max(len(fetchable) - room, 0)


def backfill_start(day: str) -> datetime:
    """Return the instant a backfill day (YYYY-MM-DD or DD/MM/YYYY, as everywhere) starts in Vietnam.
    Raises ValueError with a message fit to show."""
    return day_start(parse_day(day))
