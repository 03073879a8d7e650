"""Language stage: label an article (in the worker, pipelines.analysis.job); other languages: off-language."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import NotConfigured

from pipelines.extract.article import ExtractedArticle, LanguageResult
from pipelines.items import PageItem, stage_failed

logger = logging.getLogger(__name__)


def label_language(article: ExtractedArticle) -> LanguageResult:
    """Return the language of an extracted article: its title, sapo and text, with the page's declared
    language as supporting evidence (seeded langdetect + Vietnamese orthography, pipelines.detect.langid).

    The detector is imported here, not with the module: the crawl's main process loads this stage but
    labels nothing itself (the workers do), so it never pays for langdetect's profiles.
    """
    from pipelines.detect.langid import detect_language

    sample = "\n".join(part for part in (article.title, article.sapo, article.text) if part)
    return detect_language(sample, article.declared_language)


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
        if not crawler.settings.getbool("LANGUAGE_ENABLED", True):
            raise NotConfigured("LANGUAGE_ENABLED is off")
        return cls(crawler.settings.getlist("NEWSARCHIVE_LANGUAGES", ["vi"]), crawler.stats)

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
            result = label_language(article)
            item.language, item.language_confidence, item.language_reason = (
                result.language,
                result.confidence,
                result.reason,
            )
        self.stats.inc_value(f"language/{item.language}")
        item.off_language = item.language not in self.accepted
        return item
