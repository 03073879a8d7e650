"""ExtractionPipeline: each capture analysed (extraction, language, identity) in a worker process."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import NotConfigured

from pipelines import defaults
from pipelines.analysis.job import ANALYSIS_MODULE, PageJob, PageResult, analyse_page
from pipelines.analysis.pool import WorkerFailed, WorkerPool
from pipelines.items import PageItem

logger = logging.getLogger(__name__)


class ExtractionPipeline:
    """Turns each PageItem's raw bytes into an article (with its language and fingerprint), or marks it
    ``extraction_failed`` with the reason. One worker call per page does all of its CPU work.

    A page whose analysis exceeds EXTRACTION_TIMEOUT, or kills its worker, is ``extraction_failed``
    with that reason; its worker is replaced and the crawl goes on (pipelines.analysis.pool).
    Settings: EXTRACTION_ENABLED (default True), and WorkerPool's. Stats: extraction/ok,
    extraction/failed, extraction/worker_failed.
    """

    def __init__(self, pool: WorkerPool, stats: Any) -> None:
        self.pool = pool
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractionPipeline:
        if not crawler.settings.getbool("EXTRACTION_ENABLED", defaults.EXTRACTION_ENABLED):
            raise NotConfigured("EXTRACTION_ENABLED is off")
        return cls(WorkerPool.for_crawler(crawler, analyse_page, (ANALYSIS_MODULE,)), crawler.stats)

    def close_spider(self) -> None:
        self.pool.shutdown()

    async def process_item(self, item: PageItem) -> PageItem:
        if item.failure_status:
            return item
        if item.analysis is not None:  # the spider had the page analysed with its links: not twice
            apply_result(item, item.analysis)
            self.stats.inc_value("extraction/ok" if item.article is not None else "extraction/failed")
            return item
        job = PageJob(item.body, item.final_url, item.content_type, item.feed_date, item.prune_xpath)
        try:
            result: PageResult = await self.pool.run(job)
        except WorkerFailed as exc:
            item.fail("extraction_failed", str(exc))
            self.stats.inc_value("extraction/worker_failed")
            return item
        apply_result(item, result)
        self.stats.inc_value("extraction/ok" if result.article is not None else "extraction/failed")
        return item


def apply_result(item: PageItem, result: PageResult) -> None:
    """Copy a worker's analysis onto the item: the article, its language and its text identity."""
    item.analysis = None  # its parts are copied below; the item need not carry them twice
    item.digest = result.digest
    if result.article is None:
        item.fail("extraction_failed", result.error or "no article extracted")
        return
    item.article = result.article
    item.search = result.search
    if result.language is not None:
        item.language = result.language.language
        item.language_confidence = result.language.confidence
        item.language_reason = result.language.reason
    if result.fingerprint is not None:
        item.content_hash, item.minhash = result.fingerprint.content_hash, result.fingerprint.signature
