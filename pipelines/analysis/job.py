"""One page through every CPU-bound stage in one worker call: parse for discovery (links, article
signals), extraction, language, text identity, and the capture's hash and compression."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipelines.detect.language_result import LanguageResult
from pipelines.extract.article import ExtractedArticle
from pipelines.extract.links import LinkRules, PageLinks
from storage.stored_forms import compress_capture

if TYPE_CHECKING:
    from pipelines.detect.identity import Fingerprint
    from storage.search.fields import SearchForm

# What a worker pool running analyse_page preloads (pipelines.analysis.pool): the extractors and langdetect's
# profiles, loaded and frozen once in the forkserver and shared by the workers.
ANALYSIS_MODULE = "pipelines.analysis.preload"


@dataclass(frozen=True)
class PageJob:
    """What a worker needs to analyse one captured page."""

    body: bytes
    url: str
    content_type: str | None = None
    feed_date: str | None = None
    prune_xpath: Sequence[str] = field(default_factory=tuple)
    links: LinkRules | None = None  # read the page's links and article signals by these rules
    listing_dates: bool = False  # ... with the dates a listing shows beside its items (backfill)
    extract: bool = True  # extract the article (false for a listing page)


@dataclass(frozen=True)
class Digest:
    """The capture as the archive stores it: sha256 of the bytes, compressed bytes
    (storage.stored_forms.compress_capture), size."""

    sha256: str
    compressed: bytes
    size: int

    @classmethod
    def of(cls, body: bytes) -> Digest:
        return cls(hashlib.sha256(body).hexdigest(), compress_capture(body), len(body))


@dataclass(frozen=True)
class PageResult:
    """The analysis of one page: the article, or the reason there is none."""

    article: ExtractedArticle | None
    error: str | None = None
    language: LanguageResult | None = None
    fingerprint: Fingerprint | None = None
    links: PageLinks | None = None  # when the job asked for them and the page is HTML
    digest: Digest | None = None
    search: SearchForm | None = None  # the article's full-text search fields


def analyse_page(job: PageJob) -> PageResult:
    """Return the page's discovery view (when asked) and its extracted, language-labelled and
    fingerprinted article, or why there is none.

    The one entry point for page processing: the crawl's worker pool, ``newsarchive reextract`` and
    ``newsarchive extract`` all call it, so the three can never disagree. A page whose signals say it
    is no article is not extracted. Never raises for a bad page: an extractor failure, expected or
    not, is returned as ``error``.
    """
    from pipelines.analysis import (
        analyse as page_analysis,  # the extractors: loaded in the worker, never in the crawl's reactor
    )

    return page_analysis.analyse(job)
