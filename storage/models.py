"""Typed SQLAlchemy 2 models of the archive: portals, crawl runs, captures, articles, versions, clusters."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# One naming convention so Alembic revisions name constraints the same way on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware timestamps everywhere: SQLite keeps no offset, so values are stored in UTC and
    handed back tz-aware; naive values are refused rather than guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be archived; attach a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Return the current time, tz-aware in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


class CaptureStatus(enum.StrEnum):
    """What became of a fetched page; archivists filter on it."""

    ARCHIVED = "archived"
    DUPLICATE = "duplicate"
    OFF_LANGUAGE = "off_language"
    EXTRACTION_FAILED = "extraction_failed"
    FETCH_FAILED = "fetch_failed"


class Portal(Base):
    __tablename__ = "portals"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    home_url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    spider: Mapped[str] = mapped_column(String(100))
    portals: Mapped[list[str]] = mapped_column(default=list)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(30), default="running")
    finish_reason: Mapped[str | None] = mapped_column(String(200))
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Capture(Base):
    """One distinct response body fetched from one URL; a refetch with the same bytes is a revisit."""

    __tablename__ = "captures"
    __table_args__ = (UniqueConstraint("url", "body_sha256", name="uq_captures_url_body"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True)
    portal_id: Mapped[int | None] = mapped_column(ForeignKey("portals.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    final_url: Mapped[str] = mapped_column(String(2000))
    http_status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body_compressed: Mapped[bytes] = mapped_column(LargeBinary)
    body_sha256: Mapped[str] = mapped_column(String(64))
    body_size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    discovered_via: Mapped[str | None] = mapped_column(String(50))
    fetched_at: Mapped[datetime]
    last_fetched_at: Mapped[datetime]
    fetch_count: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(30), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"), index=True)
    # The request as sent and the HTTP version of the response (None for captures made before 0012).
    request_headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    protocol: Mapped[str | None] = mapped_column(String(16))

    portal: Mapped[Portal | None] = relationship()


class Cluster(Base):
    """A group of copies of one story across portals; the origin is the earliest published copy."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Not a foreign key: articles point at clusters, and a cycle of constraints would need ALTERs that
    # SQLite cannot do; the repository keeps it consistent.
    origin_article_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Article(Base):
    """The current version of one article, identified by its canonical URL."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int | None] = mapped_column(ForeignKey("portals.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    canonical_url: Mapped[str] = mapped_column(String(2000), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    sapo: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(500))
    categories: Mapped[list[str]] = mapped_column(default=list)
    tags: Mapped[list[str]] = mapped_column(default=list)
    image: Mapped[str | None] = mapped_column(String(2000))
    site_name: Mapped[str | None] = mapped_column(String(300))
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    updated_at: Mapped[datetime | None]
    date_raw: Mapped[str | None] = mapped_column(String(500))
    date_source: Mapped[str | None] = mapped_column(String(100))
    date_warnings: Mapped[list[str]] = mapped_column(default=list)
    language: Mapped[str] = mapped_column(String(10))
    language_confidence: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(30), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"), index=True)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("articles.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    first_captured_at: Mapped[datetime]
    captured_at: Mapped[datetime]
    # What full-text search indexes (storage.search.search_fields), written only by the repository.
    search_title: Mapped[str] = mapped_column(Text, default="")
    search_sapo: Mapped[str] = mapped_column(Text, default="")
    search_body: Mapped[str] = mapped_column(Text, default="")

    portal: Mapped[Portal | None] = relationship()
    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article", order_by="ArticleVersion.version", cascade="all, delete-orphan"
    )


class ArticleVersion(Base):
    """Every distinct text an article has had, so edits never overwrite what was cited."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version", name="uq_article_versions_article_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id", ondelete="SET NULL"))
    captured_at: Mapped[datetime]

    article: Mapped[Article] = relationship(back_populates="versions")


class ArticleFingerprint(Base):
    """An article's MinHash signature, so the near-duplicate index is rebuilt from the archive, not kept
    only in one crawl's memory."""

    __tablename__ = "article_fingerprints"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    minhash: Mapped[bytes] = mapped_column(LargeBinary)


Index("ix_articles_portal_published", Article.portal_id, Article.published_at)
