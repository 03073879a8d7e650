"""ArchiveErrorsMiddleware: a database error in a spider callback stops the crawl in one line."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from scrapy.http import Response
from sqlalchemy.exc import SQLAlchemyError

from pipelines.outage import ArchiveOutage, outage_of

logger = logging.getLogger(__name__)


class ArchiveErrorsMiddleware:
    """Spider middleware: a callback whose frontier call failed for good (the archive did not come back
    within ARCHIVE_RETRY_BUDGET, or refused the statement) would otherwise be logged by Scrapy as a
    spider error with a traceback, and the requests it was about to yield silently dropped. The archive
    is declared lost instead (the crawl stops with ``archive_unavailable``, see
    crawler.runtime.backpressure), the page is counted under ``archive/callback_errors``, and the next
    crawl, which finds the page's URL still due in the frontier, discovers what it would have."""

    def __init__(self, crawler: Any, outage: ArchiveOutage) -> None:
        self.crawler = crawler
        self.outage = outage

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchiveErrorsMiddleware:
        return cls(crawler, outage_of(crawler))

    def process_spider_exception(self, response: Response, exception: Exception) -> Iterable[Any] | None:
        if not isinstance(exception, SQLAlchemyError):
            return None
        self.outage.give_up(exception)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("archive/callback_errors")
        logger.debug("callback of %s stopped by the archive error", response.url[:300])
        return []
