"""LanguagePipeline: seeded langdetect + declared language + Vietnamese orthography, with confidence."""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy.exceptions import NotConfigured

from crawler.items import PageItem
from pipelines.langid import detect_language
from pipelines.workers import WorkerPool


class LanguagePipeline:
    """Labels each article's language; those outside NEWSARCHIVE_LANGUAGES become ``off_language``.

    Settings: LANGUAGE_ENABLED (default True), NEWSARCHIVE_LANGUAGES (list; default ["vi"]).
    """

    def __init__(self, accepted: list[str], pool: WorkerPool, stats: Any) -> None:
        self.accepted = set(accepted)
        self.pool = pool
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> LanguagePipeline:
        if not crawler.settings.getbool("LANGUAGE_ENABLED", True):
            raise NotConfigured("LANGUAGE_ENABLED is off")
        accepted = crawler.settings.getlist("NEWSARCHIVE_LANGUAGES", ["vi"])
        return cls(accepted, WorkerPool.for_crawler(crawler), crawler.stats)

    async def process_item(self, item: PageItem) -> PageItem:
        article = item.article
        if item.failure_status or article is None:
            return item
        sample = "\n".join(part for part in (article.title, article.sapo, article.text) if part)
        # In the worker processes: langdetect takes ~15 ms per article, too long for the reactor's thread.
        future = self.pool.executor.submit(detect_language, sample, article.declared_language)
        result = await asyncio.wrap_future(future)
        item.language, item.language_confidence, item.language_reason = (
            result.language,
            result.confidence,
            result.reason,
        )
        self.stats.inc_value(f"language/{result.language}")
        if result.language not in self.accepted:
            item.off_language = True
        return item
