"""Downloads pause while too many pages are in process, and resume once half of them are done; they also
pause while the archive is down, and the crawl closes as archive_unavailable once it is lost."""

from __future__ import annotations

import asyncio
import sqlite3
from types import SimpleNamespace
from typing import Any

from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector
from sqlalchemy.exc import OperationalError

from crawler.runtime.backpressure import ExtractionBackpressure


class _Engine:
    def __init__(self) -> None:
        self.paused = False
        self.scraper = SimpleNamespace(slot=SimpleNamespace(active=set()))
        self.nudged = 0
        self.closed: list[str] = []
        self._slot = SimpleNamespace(nextcall=SimpleNamespace(schedule=self._nudge))

    def _nudge(self) -> None:
        self.nudged += 1

    def pause(self) -> None:
        self.paused = True

    def unpause(self) -> None:
        self.paused = False

    async def close_spider_async(self, reason: str) -> None:
        self.closed.append(reason)


def _crawler(**settings: Any) -> Any:
    crawler: Any = SimpleNamespace(
        settings=Settings({"EXTRACTION_WORKERS": 2, **settings}),
        signals=SimpleNamespace(connect=lambda *args, **kwargs: None),
        engine=_Engine(),
    )
    crawler.stats = MemoryStatsCollector(crawler)
    return crawler


def test_downloads_pause_over_the_limit_and_resume_at_half() -> None:
    crawler = _crawler(NEWSARCHIVE_MAX_PAGES_IN_PROCESS=10)
    guard = ExtractionBackpressure.from_crawler(crawler)
    active = crawler.engine.scraper.slot.active
    active.update(range(10))
    guard.check()
    assert not crawler.engine.paused  # at the limit: still downloading
    active.add(10)
    guard.check()
    assert crawler.engine.paused and guard.pauses == 1
    for page in range(10, 5, -1):  # down to 6 in process: still over half
        active.discard(page)
        guard.check()
    assert crawler.engine.paused and len(active) == 6
    active.discard(5)
    guard.check()
    assert not crawler.engine.paused and crawler.engine.nudged == 1
    guard.spider_closed(None)
    assert crawler.stats.get_value("backpressure/pauses") == 1


def test_the_default_limit_grows_with_the_workers_and_zero_turns_it_off() -> None:
    # at least 64, so a whole archive batch (50 items, waiting for its commit) fits under the bound
    assert ExtractionBackpressure.from_crawler(_crawler(EXTRACTION_WORKERS=1)).limit == 64
    assert ExtractionBackpressure.from_crawler(_crawler()).limit == 64
    assert ExtractionBackpressure.from_crawler(_crawler(EXTRACTION_WORKERS=4)).limit == 128
    # larger archive batches: the bound stays above one, or every batch would wait for its timer
    assert ExtractionBackpressure.from_crawler(_crawler(ARCHIVE_BATCH_SIZE=200)).limit == 250
    crawler = _crawler(NEWSARCHIVE_MAX_PAGES_IN_PROCESS=0)
    guard = ExtractionBackpressure.from_crawler(crawler)
    crawler.engine.scraper.slot.active.update(range(1000))
    guard.check()
    assert not crawler.engine.paused


def _lost_connection() -> OperationalError:
    return OperationalError("COMMIT", {}, sqlite3.OperationalError("disk I/O error"))


def test_downloads_pause_while_the_archive_is_down_and_the_crawl_closes_once_it_is_lost() -> None:
    crawler = _crawler(NEWSARCHIVE_MAX_PAGES_IN_PROCESS=0, ARCHIVE_RETRY_BUDGET=30)
    guard = ExtractionBackpressure.from_crawler(crawler)
    outage = guard.outage
    assert outage.budget == 30
    outage.failed(_lost_connection())
    guard.check()
    assert crawler.engine.paused
    outage.recovered()
    guard.check()
    assert not crawler.engine.paused and crawler.engine.nudged == 1

    async def lose() -> None:
        outage.failed(_lost_connection())
        outage.give_up(_lost_connection())
        guard.check()
        guard.check()  # closed once
        await asyncio.sleep(0)

    asyncio.run(lose())
    assert crawler.engine.closed == ["archive_unavailable"]
    guard.spider_closed(None)
    assert crawler.stats.get_value("archive/outages") == 2
    assert crawler.stats.get_value("archive/unavailable") == "(sqlite3.OperationalError) disk I/O error"
