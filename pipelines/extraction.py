"""ExtractionPipeline: trafilatura extraction of each capture in a process pool, off the reactor thread."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from scrapy.exceptions import NotConfigured

from crawler.items import PageItem
from pipelines.article_extractor import ExtractionError, extract_article
from pipelines.workers import WorkerPool

logger = logging.getLogger(__name__)


class ExtractionPipeline:
    """Turns each PageItem's raw bytes into an ExtractedArticle, or marks it ``extraction_failed``.

    Settings: EXTRACTION_ENABLED (default True), EXTRACTION_WORKERS (processes; default one per core).
    """

    def __init__(self, pool: WorkerPool, stats: Any) -> None:
        self.pool = pool
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractionPipeline:
        if not crawler.settings.getbool("EXTRACTION_ENABLED", True):
            raise NotConfigured("EXTRACTION_ENABLED is off")
        return cls(WorkerPool.for_crawler(crawler), crawler.stats)

    def close_spider(self) -> None:
        self.pool.shutdown()

    async def process_item(self, item: PageItem) -> PageItem:
        if item.failure_status:
            return item
        try:
            future = self.pool.executor.submit(
                extract_article,
                item.body,
                item.final_url,
                content_type=item.content_type,
                feed_date=item.feed_date,
                prune_xpath=item.prune_xpath,
            )
            item.article = await asyncio.wrap_future(future)
            self.stats.inc_value("extraction/ok")
        except ExtractionError as exc:
            item.fail("extraction_failed", str(exc))
            self.stats.inc_value("extraction/failed")
        except BrokenProcessPool:
            # A worker died (out of memory on a pathological page, killed): record the page, start afresh.
            item.fail("extraction_failed", "extraction worker crashed on this page")
            self.stats.inc_value("extraction/crashed")
            self.pool.discard()
        except Exception as exc:  # noqa: BLE001 - any library bug on one page must not stop the crawl
            logger.exception("extraction error on %s", item.final_url)
            item.fail("extraction_failed", f"{type(exc).__name__}: {exc}")
            self.stats.inc_value("extraction/failed")
        return item
