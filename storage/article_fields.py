"""An article's fields as extraction finds them and the archive stores them, defined once."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime


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
