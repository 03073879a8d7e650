"""What the extraction workers hand the archive, in the form it stores it, defined once: an article's
fields and a capture's compressed body.

No ORM here: the workers import this module, and SQLAlchemy (~0.25 s of imports in the workers'
forkserver, on every crawl's start) has no use there.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, fields
from datetime import datetime

# Raw captures are kept zlib-compressed at level 3: on the real pages of ../shared/data (449 pages, median
# ~180 KiB) it takes 3.4 ms a page against level 6's 7.6 ms, for 11% more bytes (4.7x vs 5.3x smaller
# than the page). Compression runs in the extraction workers, where it was 7% of a page's CPU time.
# Any level decompresses alike: captures written at level 6 read the same.
CAPTURE_ZLIB_LEVEL = 3


def compress_capture(body: bytes) -> bytes:
    """The stored form of a captured body (read back with storage.captures.capture_body)."""
    return zlib.compress(body, CAPTURE_ZLIB_LEVEL)


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
