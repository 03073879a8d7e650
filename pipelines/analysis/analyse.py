"""The work analyse_page (pipelines.analysis.job) does for one page, in an extraction worker: this module
imports the extractors (trafilatura, langdetect, numpy), which the crawl's main process never loads."""

from __future__ import annotations

from pipelines.analysis.job import Digest, PageJob, PageResult
from pipelines.detect.identity import identify
from pipelines.detect.langid import label_language
from pipelines.detect.neardup import signature
from pipelines.extract.article import ExtractionError
from pipelines.extract.core import PreparedPage, extract_article, prepare_page
from pipelines.extract.links import read_links

signature("")  # draws the MinHash permutations once in the forkserver, shared by the workers


def analyse(job: PageJob) -> PageResult:
    """pipelines.analysis.job.analyse_page: the page's links and signals, then its article, language and
    fingerprint, or why there is none. Never raises for a bad page.

    An article page is parsed once: discovery reads the links of the tree extraction then prunes.
    """
    prepared: PreparedPage | None = None
    failure: str | None = None
    if job.extract:
        try:
            prepared = prepare_page(job.body, job.content_type)
        except Exception as exc:  # noqa: BLE001 - a library bug on one page is that page's failure
            failure = _failure(exc)
    tree = prepared.tree if prepared is not None else None
    links = (
        read_links(job.body, job.url, job.links, dates=job.listing_dates, tree=tree) if job.links else None
    )
    if not job.extract or (links is not None and not links.is_article):
        return PageResult(None, links=links)
    digest = Digest.of(job.body)
    if failure is not None:
        return PageResult(None, failure, links=links, digest=digest)
    try:
        article = extract_article(
            job.body,
            job.url,
            content_type=job.content_type,
            feed_date=job.feed_date,
            prune_xpath=tuple(job.prune_xpath),
            prepared=prepared,
        )
    except Exception as exc:  # noqa: BLE001 - a library bug on one page is that page's failure, not the crawl's
        return PageResult(None, _failure(exc), links=links, digest=digest)
    identity, search = identify(article.title, article.sapo, article.text)
    language = label_language(article)
    return PageResult(article, None, language, identity, links, digest, search)


def _failure(exc: Exception) -> str:
    """Why a page yields no article: an ExtractionError's reason, or the library error extraction hit."""
    if isinstance(exc, ExtractionError):
        return str(exc)
    return f"extractor error: {type(exc).__name__}: {exc}"
