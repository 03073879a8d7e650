"""PageItem: one fetched page (a raw capture) and what each pipeline stage learned about it."""

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
    request_headers: dict[str, list[str]] | None = None  # as sent, for the WARC request record
    protocol: str | None = None  # the response's HTTP version, e.g. "HTTP/1.1"
    # Set when the page cannot become an article: (status, reason), e.g. ("fetch_failed", "HTTP 404").
    failure_status: str | None = None
    failure_reason: str | None = None
    # Extraction stage.
    article: Any = None  # pipelines.article_extractor.ExtractedArticle
    # Language stage.
    language: str | None = None
    language_confidence: float | None = None
    language_reason: str | None = None
    off_language: bool = False
    # Dedup stage.
    canonical_url: str | None = None
    content_hash: str | None = None
    minhash: bytes | None = None  # near-duplicate signature (pipelines.neardup)

    def fail(self, status: str, reason: str) -> None:
        """Mark the page as not becoming an article; it is still archived as a capture with the reason."""
        self.failure_status, self.failure_reason = status, reason
