"""One page through every CPU-bound stage in one worker call: extraction, language, text identity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pipelines.article_extractor import ExtractedArticle, ExtractionError, extract_article
from pipelines.dedup import Fingerprint, fingerprint
from pipelines.langid import LanguageResult
from pipelines.language import label_language


@dataclass(frozen=True)
class PageJob:
    """What a worker needs to analyse one captured page."""

    body: bytes
    url: str
    content_type: str | None = None
    feed_date: str | None = None
    prune_xpath: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class PageResult:
    """The analysis of one page: the article, or the reason there is none."""

    article: ExtractedArticle | None
    error: str | None = None
    language: LanguageResult | None = None
    fingerprint: Fingerprint | None = None


def analyse_page(job: PageJob) -> PageResult:
    """Return the extracted, language-labelled and fingerprinted article of ``job``, or why there is none.

    The one entry point for page processing: the crawl's worker pool, ``newsarchive reextract`` and
    ``newsarchive extract`` all call it, so the three can never disagree. Never raises for a bad page:
    an extractor failure, expected or not, is returned as ``error``.
    """
    try:
        article = extract_article(
            job.body,
            job.url,
            content_type=job.content_type,
            feed_date=job.feed_date,
            prune_xpath=tuple(job.prune_xpath),
        )
    except ExtractionError as exc:
        return PageResult(None, str(exc))
    except Exception as exc:  # noqa: BLE001 - a library bug on one page is that page's failure, not the crawl's
        return PageResult(None, f"extractor error: {type(exc).__name__}: {exc}")
    return PageResult(article, None, label_language(article), fingerprint(article.text))
