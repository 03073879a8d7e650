"""An article's fields are defined once (storage.stored_forms): every one is a column of the archive."""

from __future__ import annotations

import types
from datetime import UTC, datetime
from typing import get_args, get_type_hints

from pipelines.extract.article import ExtractedArticle
from storage.articles import ARTICLE_COLUMNS, ArticleData
from storage.models import Article
from storage.stored_forms import ARTICLE_FIELDS


def test_every_stored_field_is_a_column_of_articles_that_admits_none_when_the_field_does() -> None:
    columns = Article.__table__.columns
    hints = get_type_hints(ArticleData)
    assert set(ARTICLE_FIELDS) <= set(ARTICLE_COLUMNS)
    for name in ARTICLE_COLUMNS:
        assert name in columns, f"ArticleData.{name} has no column in storage.models.Article"
        optional = isinstance(hints[name], types.UnionType) and type(None) in get_args(hints[name])
        assert columns[name].nullable == optional, f"articles.{name} and ArticleData.{name} disagree on None"


def test_article_data_of_an_extracted_article_takes_its_fields_under_the_decided_url() -> None:
    extracted = ExtractedArticle(
        url="https://p.vn/tin/bai-1.html", canonical_url=None, title="Tiêu đề", text="Nội dung.",
        categories=["Thời sự"], published_at=datetime(2024, 4, 12, 1, 30, tzinfo=UTC), encoding="cp1258",
    )  # fmt: skip
    decided = "https://p.vn/bai-1"
    data = ArticleData.of(
        extracted, canonical_url=decided, content_hash="h", language="vi", language_confidence=1.0
    )
    assert {name: getattr(data, name) for name in ARTICLE_FIELDS} == {
        **{name: getattr(extracted, name) for name in ARTICLE_FIELDS},
        "canonical_url": decided,
    }
    assert data.categories is not extracted.categories  # the archived record shares no list with the item
    assert (data.content_hash, data.language, data.off_language_reason) == ("h", "vi", None)
