"""DedupPipeline: canonical URL, content hash and MinHash signature of each article."""

from __future__ import annotations

from typing import Any

from crawler.items import PageItem
from pipelines.canonical import canonical_url
from pipelines.neardup import signature
from storage.text import content_hash


class DedupPipeline:
    """Gives each article the identity the archive deduplicates on.

    The canonical URL makes revisits and AMP/mobile/tracking variants one article; the hash of the
    NFC-normalised body makes NFD and NFC copies of one text equal; the MinHash signature finds
    near-copies. Matching happens where the archive is written (ArchivePipeline), against an index
    rebuilt from the archive, so it holds across runs and processes.
    """

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupPipeline:
        return cls(crawler.stats)

    def process_item(self, item: PageItem) -> PageItem:
        if item.failure_status or item.article is None:
            return item
        item.canonical_url = canonical_url(item.final_url, item.article.canonical_url)
        item.content_hash = content_hash(item.article.text)
        item.minhash = signature(item.article.text)
        return item
