"""The spider's counters: each decision it takes is counted in the crawl's stats, which the run record,
the summary and `runs show` read; a bound that is hit is also said once per run, with where."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import scrapy

    from crawler.discovery.sitemaps import Parsed


class Counters:
    """Counts for one spider; a spider without a crawler's stats (a unit test's) counts nothing."""

    def __init__(self, spider: scrapy.Spider) -> None:
        self.spider = spider

    def inc(self, key: str, count: int = 1) -> None:
        """Add ``count`` to ``key`` (nothing when 0)."""
        stats = self.spider.crawler.stats
        if stats is not None and count:
            stats.inc_value(key, count)

    def bound_reached(self, name: str, where: str, count: int = 1) -> None:
        """Count a bound that was hit under ``bounds/<name>``; the first time per bound and run, say where."""
        stats = self.spider.crawler.stats
        if stats is None:
            return
        if not stats.get_value(f"bounds/{name}"):
            self.spider.logger.warning("bound %s reached (at %s); see docs/safety.md", name, where[:300])
        stats.inc_value(f"bounds/{name}", count)

    def home_failed(self, key: str, why: str) -> None:
        """Why the portal's home page gave nothing (DNS, refused, off-site): the run's outcome reads it."""
        stats = self.spider.crawler.stats
        if stats is not None:
            stats.set_value(f"portal/{key}/home_failed", why[:300])

    def note_parse(self, parsed: Parsed, url: str, kind: str) -> None:
        """Count a sitemap or feed that could not be read, or whose entries were cut at the bound."""
        if parsed.problem:
            self.inc(f"discovery/{kind}_unreadable")
            self.spider.logger.warning("%s %s: %s", kind, url[:300], parsed.problem)
        if parsed.dropped:
            self.bound_reached(f"{kind}_urls", url, parsed.dropped)
