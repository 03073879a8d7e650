"""What the extraction workers hand the archive, in the form it stores it, defined once: an article's
fields and a capture's compressed body.

No ORM here: the workers import this module, and SQLAlchemy (~0.25 s of imports in the workers'
forkserver, on every crawl's start) has no use there.
"""

from __future__ import annotations

import sys
import zlib
from dataclasses import dataclass, field, fields
from datetime import datetime

if sys.version_info >= (3, 14):
    from compression import zstd
else:  # the same module, backported (also Scrapy's zstd decoder)
    from backports import zstd

# Raw captures are kept Zstandard-compressed at level 3. On the real pages of ../shared/data (449 pages,
# 260 KB on average) it takes 0.8-1.1 ms a page where zlib at level 3, the form before, took 2.3-2.7 ms,
# and it keeps 18.0% of the bytes where zlib kept 21.4%; reading back is 0.4 ms against 0.9.
# Compression runs in the extraction workers, where zlib's was 5% of a page's CPU time.
CAPTURE_ZSTD_LEVEL = 3
# A Zstandard frame starts with these bytes; a zlib stream never does (its first byte is 0x?8).
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def compress_capture(body: bytes) -> bytes:
    """The stored form of a captured body (read back with decompress_capture)."""
    return zstd.compress(body, level=CAPTURE_ZSTD_LEVEL)


def decompress_capture(stored: bytes) -> bytes:
    """A captured body from its stored form: a Zstandard frame, or a zlib stream (captures stored before
    Zstandard, at any zlib level). Raises ValueError if it is neither or is damaged."""
    try:
        if stored.startswith(_ZSTD_MAGIC):
            return zstd.decompress(stored)
        return zlib.decompress(stored)
    except (zstd.ZstdError, zlib.error) as exc:
        raise ValueError(f"damaged capture body ({len(stored)} bytes stored): {exc}") from exc


@dataclass(kw_only=True)
class ArticleFields:
    """What extraction finds in an article page and the archive keeps of it: text NFC, datetimes tz-aware.

    pipelines.extract.article.ExtractedArticle and storage.articles.ArticleData extend it, and the
    archive writes each field to the articles column of its name: adding a field here needs only that
    column in storage.models.Article and its migration. ``canonical_url`` is the page's own claim in an
    extracted article (None when it makes none), and the URL the article is archived under in ArticleData.
    """

    url: str
    canonical_url: str | None
    title: str | None = None
    sapo: str | None = None
    text: str
    author: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    site_name: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    date_raw: str | None = None
    date_source: str | None = None
    date_warnings: list[str] = field(default_factory=list)


ARTICLE_FIELDS = tuple(f.name for f in fields(ArticleFields))
