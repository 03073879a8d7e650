"""PageItem, the spider-to-pipelines contract: a raw capture and what each stage learned about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass
class PageItem:
    """A raw capture from the spider; pipelines fill the stage fields below it.

    ``body`` holds the bytes exactly as received (after transfer decoding) and is what gets archived.
    """

    url: str
    final_url: str
    http_status: int
    headers: dict[str, list[str]]
    body: bytes
    fetched_at: datetime
    discovered_via: str
    portal_key: str
    portal_name: str
    portal_home: str
    content_type: str | None = None
    feed_date: str | None = None
    prune_xpath: tuple[str, ...] = ()  # the portal's extraction hints (crawler/portals.toml)
    revisit: Any = None  # the portal's storage.frontier.RevisitPolicy (default policy when None)
    link_rules: Any = None  # the portal's pipelines.extract.links.LinkRules (a canonical claim's target)
    request_headers: dict[str, list[str]] | None = None  # as sent, for the WARC request record
    protocol: str | None = None  # the response's HTTP version, e.g. "HTTP/1.1"
    # Where a capture the archive did not fetch itself came from (crawler.imports: WARC record, CDX replay).
    provenance: dict[str, str] | None = None
    # Set when the page cannot become an article: (status, reason), e.g. ("fetch_failed", "HTTP 404").
    failure_status: str | None = None
    failure_reason: str | None = None
    # Extraction stage (pipelines.analysis.job.analyse_page, in a worker process; the spider may have run it).
    analysis: Any = None  # pipelines.analysis.job.PageResult, when the spider already had the page analysed
    article: Any = None  # pipelines.extract.article.ExtractedArticle
    digest: Any = None  # pipelines.analysis.job.Digest: the capture's sha256 and compressed bytes
    search: Any = None  # storage.search.fields.SearchForm of the article, computed by the worker
    # Language stage.
    language: str | None = None
    language_confidence: float | None = None
    language_reason: str | None = None
    off_language: bool = False
    # Dedup stage: identity computed in the worker (hash, signature) and by DedupPipeline (canonical URL).
    canonical_url: str | None = None
    content_hash: str | None = None
    minhash: bytes | None = None  # near-duplicate signature (pipelines.detect.neardup.signature)
    # Archive stage: what became of the page's canonical claim (pipelines.canonical), None if it made none.
    canonical_verdict: str | None = None

    def fail(self, status: str, reason: str) -> None:
        """Mark the page as not becoming an article; it is still archived as a capture with the reason."""
        self.failure_status, self.failure_reason = status, reason


def stage_failed(item: PageItem, stage: str, exc: Exception) -> PageItem:
    """Record an unexpected error of one stage on the item, which goes on to be archived as a capture
    with that reason: a stage never drops a page. Returns the item."""
    item.fail("extraction_failed", f"{stage} stage error: {type(exc).__name__}: {exc}")
    return item
