"""Language stage: label an article (in the worker, pipelines.analysis.job); other languages: off-language."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import NotConfigured

from pipelines import defaults
from pipelines.extract.article import ExtractedArticle
from pipelines.items import PageItem, stage_failed

logger = logging.getLogger(__name__)


def off_language_reason(language: str, confidence: float, evidence: str) -> str:
    """Return the reason an off-language article is archived with: its language, confidence and evidence."""
    return f"language {language} ({confidence:.2f}): {evidence}"


class LanguagePipeline:
    """Marks articles whose language is outside NEWSARCHIVE_LANGUAGES ``off_language`` (kept, never dropped).

    The label itself is computed with the extraction in the worker pool (pipelines.analysis.job); an item that
    arrives without one is labelled here. Settings: LANGUAGE_ENABLED (default True), NEWSARCHIVE_LANGUAGES
    (list; default ["vi"]). Stats: language/<code>.
    """

    def __init__(self, accepted: list[str], stats: Any) -> None:
        self.accepted = set(accepted)
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> LanguagePipeline:
        if not crawler.settings.getbool("LANGUAGE_ENABLED", defaults.LANGUAGE_ENABLED):
            raise NotConfigured("LANGUAGE_ENABLED is off")
        return cls(
            crawler.settings.getlist("NEWSARCHIVE_LANGUAGES", defaults.NEWSARCHIVE_LANGUAGES), crawler.stats
        )

    def process_item(self, item: PageItem) -> PageItem:
        article = item.article
        if item.failure_status or article is None:
            return item
        try:
            return self._label(item, article)
        except Exception as exc:  # noqa: BLE001 - recorded on the page, which is still archived
            logger.exception("language stage failed on %s", item.final_url)
            return stage_failed(item, "language", exc)

    def _label(self, item: PageItem, article: ExtractedArticle) -> PageItem:
        if item.language is None:
            # The detector is imported here, not with the module: the crawl's main process loads this
            # stage but labels nothing itself (the workers do), so it never pays for langdetect.
            from pipelines.detect.langid import label_language

            result = label_language(article)
            item.language, item.language_confidence, item.language_reason = (
                result.language,
                result.confidence,
                result.reason,
            )
        self.stats.inc_value(f"language/{item.language}")
        item.off_language = item.language not in self.accepted
        return item
