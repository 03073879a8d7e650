"""CrawlRunRecorder: one crawl-run row per crawl in the archive, with the final stats copied into it."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy.exc import SQLAlchemyError

from storage import repository
from storage.db import ArchiveUnavailable, open_archive

logger = logging.getLogger(__name__)


class CrawlRunRecorder:
    """Records crawl runs so operators can see what every crawl did (`newsarchive runs`).

    Settings: CRAWL_RUN_RECORDER_ENABLED (default True), ARCHIVE_DATABASE_URL. Puts the run id in the
    stats as ``archive/run_id`` for the archive pipeline.
    """

    def __init__(self, database_url: str, crawler: Any) -> None:
        self.database_url = database_url
        self.crawler = crawler
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlRunRecorder:
        if not crawler.settings.getbool("CRAWL_RUN_RECORDER_ENABLED", True):
            raise NotConfigured("CRAWL_RUN_RECORDER_ENABLED is off")
        recorder = cls(crawler.settings.get("ARCHIVE_DATABASE_URL"), crawler)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider: Any) -> None:
        portals = sorted(getattr(spider, "portals", {}))
        try:
            engine, factory = open_archive(self.database_url, create=False)
            with factory.begin() as session:
                self.run_id = repository.start_run(session, spider.name, portals).id
            engine.dispose()
        except (ArchiveUnavailable, SQLAlchemyError) as exc:
            logger.error("cannot record the crawl run: %s", exc)
            return
        self.crawler.stats.set_value("archive/run_id", self.run_id)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.run_id is None:
            return
        stats = _json_able(self.crawler.stats.get_stats())
        status = (
            "finished" if reason == "finished" else "failed" if reason == "archive_unavailable" else reason
        )
        try:
            engine, factory = open_archive(self.database_url, create=False)
            with factory.begin() as session:
                repository.finish_run(session, self.run_id, status=status, reason=reason, stats=stats)
            engine.dispose()
        except (ArchiveUnavailable, SQLAlchemyError) as exc:
            logger.error("cannot record the end of crawl run %s: %s", self.run_id, exc)


def _json_able(stats: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        else:
            try:
                json.dumps(value)
                out[key] = value
            except TypeError:
                out[key] = str(value)
    return out
