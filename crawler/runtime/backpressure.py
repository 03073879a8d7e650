"""Backpressure from extraction and the archive to the downloader: stop sending requests while enough
pages are in process.

Scrapy only backs out on the bytes of the responses its scraper holds (SCRAPER_SLOT_MAX_ACTIVE_SIZE,
which we raise to 50 MB so real 180 KiB pages keep both workers fed). Each page in process also holds
its request, its response, its item and about a hundred asyncio tasks and coroutines of the middleware
and pipeline chain, ~100 KB beyond its body. On the 5 x 1,000 replica the byte bound let ~2,000 small
pages wait for a worker or for the archive's writer, and the crawl's main process grew from 130 to
470 MB (PSS) over the crawl; bounded by count it stays at ~135 MB. A backlog a few dozen pages per
worker long keeps every worker and the writer busy; more only costs memory.
"""

from __future__ import annotations

from typing import Any

from scrapy import signals
from twisted.internet import task

from pipelines import defaults

# How often the backlog is looked at: a fraction of what two workers take for one real page.
CHECK_SECONDS = 0.05
# The default bound: 32 pages per worker keep them fed, and at least 64. Pages wait in process for their
# archive batch (ARCHIVE_BATCH_SIZE, 50) to commit, so the bound also stays a quarter above one batch:
# below it, every batch would wait for ARCHIVE_BATCH_SECONDS instead of filling. With 2 workers, 64
# pages against the former 128 took the 2,000-real-page crawl's peak PSS from 561-566 to 537 MB at the
# same rate, and the replica's from 479 to 472 MB (alternating runs).
PAGES_PER_WORKER = 32
MIN_PAGES = 64


def default_limit(workers: int, batch_size: int) -> int:
    """NEWSARCHIVE_MAX_PAGES_IN_PROCESS when it is not set (see PAGES_PER_WORKER)."""
    return max(MIN_PAGES, PAGES_PER_WORKER * workers, batch_size + batch_size // 4)


class ExtractionBackpressure:
    """Pause the engine's downloads while more than NEWSARCHIVE_MAX_PAGES_IN_PROCESS responses
    (default_limit) are in the scraper (waiting for a worker, in one, or in the item pipelines); resume
    once they are down to half of that. 0 turns it off."""

    def __init__(self, crawler: Any, limit: int) -> None:
        self.crawler = crawler
        self.limit = limit
        self.resume_at = limit // 2
        self.pauses = 0
        self._paused_by_us = False
        self._loop: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractionBackpressure:
        settings = crawler.settings
        workers = max(1, settings.getint("EXTRACTION_WORKERS", defaults.EXTRACTION_WORKERS))
        batch_size = settings.getint("ARCHIVE_BATCH_SIZE", defaults.ARCHIVE_BATCH_SIZE)
        limit = settings.getint("NEWSARCHIVE_MAX_PAGES_IN_PROCESS", default_limit(workers, batch_size))
        return cls(crawler, limit)

    def spider_opened(self, spider: Any) -> None:
        if self.limit > 0:
            self._loop = task.LoopingCall(self.check)
            self._loop.start(CHECK_SECONDS, now=False)

    def spider_closed(self, spider: Any) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.crawler.stats.set_value("backpressure/pauses", self.pauses)

    def check(self) -> None:
        engine = self.crawler.engine
        scraper_slot = getattr(getattr(engine, "scraper", None), "slot", None)
        if engine is None or scraper_slot is None:
            return
        waiting = len(scraper_slot.active)
        if not self._paused_by_us and waiting > self.limit:
            engine.pause()
            self._paused_by_us = True
            self.pauses += 1
        elif self._paused_by_us and waiting <= self.resume_at:
            self._paused_by_us = False
            engine.unpause()
            # Scrapy looks for the next request when something happens; nudge it now rather than at its
            # next heartbeat (5 s) in case nothing is in flight.
            engine_slot = getattr(engine, "_slot", None)
            if engine_slot is not None:
                engine_slot.nextcall.schedule()
