"""Backpressure from extraction and the archive to the downloader: stop sending requests while enough
pages are in process, or while the archive is unreachable (storage.db.ArchiveOutage), and stop the crawl
with ``archive_unavailable`` once the archive is lost.

Scrapy only backs out on the bytes of the responses its scraper holds (SCRAPER_SLOT_MAX_ACTIVE_SIZE,
which we raise to 50 MB so real 180 KiB pages keep both workers fed). Each page in process also holds
its request, its response, its item and about a hundred asyncio tasks and coroutines of the middleware
and pipeline chain, ~100 KB beyond its body. On the 5 x 1,000 replica the byte bound let ~2,000 small
pages wait for a worker or for the archive's writer, and the crawl's main process grew from 130 to
470 MB (PSS) over the crawl; bounded by count it stays at ~135 MB. A backlog a few dozen pages per
worker long keeps every worker and the writer busy; more only costs memory.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import CloseSpider
from twisted.internet import task

from crawler.runtime.scrapy_internals import ScrapyInternalsMissing, internal, missing
from pipelines import defaults
from pipelines.outage import ArchiveOutage, outage_of

logger = logging.getLogger(__name__)

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
    once they are down to half of that (0: no bound on pages). Also pause while the archive is down: the
    pages already fetched wait for it in the pipelines and callbacks, and fetching more would only pile
    them up. Once the archive is lost (ArchiveOutage.lost), close the crawl as ``archive_unavailable``.
    Stats: backpressure/pauses, archive/outages, archive/longest_outage (seconds)."""

    def __init__(self, crawler: Any, limit: int, outage: ArchiveOutage | None = None) -> None:
        self.crawler = crawler
        self.limit = limit
        self.outage = outage or ArchiveOutage()
        self._closing = False
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
        return cls(crawler, limit, outage_of(crawler))

    def spider_opened(self, spider: Any) -> None:
        require_engine_internals(self.crawler.engine)
        self._loop = task.LoopingCall(self.check)
        self._loop.start(CHECK_SECONDS, now=False)

    def spider_closed(self, spider: Any) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        stats = self.crawler.stats
        stats.set_value("backpressure/pauses", self.pauses)
        if self.outage.outages:
            stats.set_value("archive/outages", self.outage.outages)
            stats.set_value("archive/longest_outage", round(self.outage.longest, 1))
        if self.outage.lost is not None:
            stats.set_value("archive/unavailable", self.outage.lost)

    def check(self) -> None:
        engine = self.crawler.engine
        in_process = pages_in_process(engine) if engine is not None else None
        if in_process is None:
            return
        if self.outage.lost is not None and not self._closing:
            self._closing = True
            asyncio.ensure_future(engine.close_spider_async(reason="archive_unavailable"))
            return
        waiting = len(in_process)
        too_many = 0 < self.limit < waiting
        if not self._paused_by_us and (too_many or self.outage.down):
            engine.pause()
            self._paused_by_us = True
            self.pauses += 1
        elif self._paused_by_us and not self.outage.down and (self.limit <= 0 or waiting <= self.resume_at):
            self._paused_by_us = False
            engine.unpause()
            # Scrapy looks for the next request when something happens; nudge it now rather than at its
            # next heartbeat (5 s) in case nothing is in flight.
            next_request = next_request_call(engine)
            if next_request is not None:
                next_request.schedule()


# What this module reads inside Scrapy's engine: its scraper's responses in process and its "look for the
# next request now" call. Neither is public; a Scrapy that moved them would silently turn backpressure off.
_USER = "crawler/runtime/backpressure.py"


def pages_in_process(engine: Any) -> set[Any] | None:
    """Return the responses the engine's scraper holds (Scrapy's ``Scraper.slot.active``), None while no
    spider is open; raises ScrapyInternalsMissing when the installed Scrapy keeps them elsewhere."""
    scraper_slot = internal(internal(engine, "scraper", _USER), "slot", _USER)
    return None if scraper_slot is None else internal(scraper_slot, "active", _USER)


def next_request_call(engine: Any) -> Any:
    """Return the engine's "look for the next request now" call (Scrapy's ``ExecutionEngine._slot.nextcall``,
    with a ``schedule()`` method), None while no spider is open; raises ScrapyInternalsMissing when the
    installed Scrapy has no such call."""
    engine_slot = internal(engine, "_slot", _USER)
    return None if engine_slot is None else internal(engine_slot, "nextcall", _USER)


def require_engine_internals(engine: Any) -> None:
    """Check, once the spider is open, that the engine has what the backpressure reads.

    Raises CloseSpider with the reason (the crawl then ends as failed, see crawler.runtime.run_record)
    when the installed Scrapy lacks it: a crawl without its memory bound must not pass for a good one.
    """
    try:
        in_process, next_request = pages_in_process(engine), next_request_call(engine)
        if not isinstance(in_process, set):
            raise missing("set of responses in process at ExecutionEngine.scraper.slot.active", _USER)
        if not callable(getattr(next_request, "schedule", None)):
            raise missing("ExecutionEngine._slot.nextcall.schedule()", _USER)
    except ScrapyInternalsMissing as exc:
        logger.error("%s", exc)
        raise CloseSpider(str(exc)) from exc
