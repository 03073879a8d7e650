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

    Settings: NEWSARCHIVE_ARTICLE_LINK_HOPS, NEWSARCHIVE_MAX_LISTING_DEPTH, NEWSARCHIVE_SITEMAP_MAX_DEPTH,
    NEWSARCHIVE_PORTAL_PAGE_BUDGET, NEWSARCHIVE_SITEMAP_MAX_BYTES, NEWSARCHIVE_SITEMAP_MAX_URLS; their
    defaults are crawler/defaults.py's.
    """

    article_hops: int = defaults.NEWSARCHIVE_ARTICLE_LINK_HOPS
    listing_depth: int = defaults.NEWSARCHIVE_MAX_LISTING_DEPTH
    sitemap_depth: int = defaults.NEWSARCHIVE_SITEMAP_MAX_DEPTH
    page_budget: int = defaults.NEWSARCHIVE_PORTAL_PAGE_BUDGET
    sitemap_bytes: int = defaults.NEWSARCHIVE_SITEMAP_MAX_BYTES
    sitemap_urls: int = defaults.NEWSARCHIVE_SITEMAP_MAX_URLS

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
        )


def backfill_start(day: str) -> datetime:
    """Return the instant a backfill day (YYYY-MM-DD or DD/MM/YYYY, as everywhere) starts in Vietnam.
    Raises ValueError with a message fit to show."""
    return day_start(parse_day(day))
