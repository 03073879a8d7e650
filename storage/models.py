"""Typed SQLAlchemy 2 models of the archive: portals, crawl runs, captures, articles, versions, clusters."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
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

# Article ids are INTEGER columns: 32-bit on PostgreSQL (64-bit on SQLite); a larger number is not an id
# (and would overflow the database's integer instead of finding nothing).
MAX_ID = 2**31 - 1


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
    REFUSED = "refused"  # the address guard would not fetch it (crawler/safety/guard.py)


class Portal(Base):
    __tablename__ = "portals"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    home_url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Lineage, copied from the registry (crawler/portals.toml) each time a crawl or import registers the
    # portal, so the web's portal page can show it without importing the crawler. None: never
    # registered by a lineage-aware crawl. aliases: the other hosts it served from, as site keys;
    # successor: the key of the portal that took it over; active_until: the last day it published.
    aliases: Mapped[list[str] | None] = mapped_column(JSON)
    successor: Mapped[str | None] = mapped_column(String(100))
    active_until: Mapped[date | None] = mapped_column(Date)


class RunStatus(enum.StrEnum):
    """How a crawl run ended (or that it is still going)."""

    RUNNING = "running"
    FINISHED = "finished"  # every portal reached, every discovered article URL dealt with
    INCOMPLETE = "incomplete"  # finished, but article URLs it discovered are left for the next crawl
    FAILED = "failed"  # a portal unreachable or yielding no page, or the archive lost
    INTERRUPTED = "interrupted"  # SIGINT or SIGTERM: in-flight pages written, then stopped
    ABANDONED = "abandoned"  # its heartbeat stopped (killed): marked so by a later crawl


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    spider: Mapped[str] = mapped_column(String(100))
    portals: Mapped[list[str]] = mapped_column(default=list)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(30), default="running")
    finish_reason: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Per portal key: {"outcome": reached|unreachable|robots_refused|nothing_new|errors, figures...}.
    outcomes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    heartbeat_at: Mapped[datetime | None]
    host: Mapped[str | None] = mapped_column(Text)  # where it ran: host name, process id
    pid: Mapped[int | None]
    node: Mapped[str | None] = mapped_column(Text)  # a Scrapyd node it was dispatched to, and its job id
    job_id: Mapped[str | None] = mapped_column(Text)


class Lease(Base):
    """One crawl of a portal at a time, across processes and machines: the holder renews ``expires_at``;
    a holder that dies stops renewing and its lease lapses."""

    __tablename__ = "leases"

    portal_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(Text)
    run_id: Mapped[int | None]
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class Schedule(Base):
    """A portal's recurring crawl: its rule, when it is next due, and how its last run went. Held in the
    archive, so it survives restarts and every scheduler host shares it."""

    __tablename__ = "schedules"

    portal_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    every_seconds: Mapped[int | None]  # "every 2h" ...
    cron: Mapped[str | None] = mapped_column(Text)  # ... or a cron expression (Asia/Ho_Chi_Minh)
    source: Mapped[str] = mapped_column(String(20), default="cli")  # cli | registry
    next_run_at: Mapped[datetime]
    # Claimed by a scheduler (host:pid or a Scrapyd node and job) while its crawl runs.
    running_since: Mapped[datetime | None]
    running_on: Mapped[str | None] = mapped_column(Text)
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_run_id: Mapped[int | None]
    last_status: Mapped[str | None] = mapped_column(String(30))
    last_outcome: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FrontierState(enum.StrEnum):
    """Where a discovered article URL stands."""

    DISCOVERED = "discovered"  # seen in a sitemap, feed or listing; not fetched yet
    FETCHED = "fetched"  # fetched; no article (yet): not an article page, extraction failed
    ARCHIVED = "archived"  # fetched and archived as an article
    FAILED = "failed"  # the fetch failed (reason); retried with backoff
    REMOVED = "removed"  # an archived article that now answers 404/410


class FrontierEntry(Base):
    """Every discovered article URL (and sitemap) of a portal, keyed by its canonical URL: what the crawl
    knows of it, so a recrawl fetches only what is new, changed or due."""

    __tablename__ = "frontier"

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int | None] = mapped_column(ForeignKey("portals.id"), index=True)
    url_key: Mapped[str] = mapped_column(Text, unique=True)  # storage.urls canonical (indexable)
    url: Mapped[str] = mapped_column(Text)  # the URL to request (the form last discovered)
    kind: Mapped[str] = mapped_column(String(10), default="article")  # article | sitemap
    state: Mapped[str] = mapped_column(String(20), default=FrontierState.DISCOVERED.value)
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    http_status: Mapped[int | None]
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    sitemap_lastmod: Mapped[datetime | None]
    feed_date: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_fetched_at: Mapped[datetime | None]
    next_fetch_at: Mapped[datetime | None] = mapped_column(index=True)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))


class Capture(Base):
    """One distinct response body fetched from one URL; a refetch with the same bytes is a revisit."""

    __tablename__ = "captures"
    __table_args__ = (UniqueConstraint("url", "body_sha256", name="uq_captures_url_body"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True)
    portal_id: Mapped[int | None] = mapped_column(ForeignKey("portals.id"), index=True)
    # Page-controlled values are Text (unbounded); URLs in unique indexes are kept indexable by
    # storage.urls.indexable_url.
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text)
    http_status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body_compressed: Mapped[bytes] = mapped_column(LargeBinary)
    body_sha256: Mapped[str] = mapped_column(String(64))
    body_size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(Text)
    discovered_via: Mapped[str | None] = mapped_column(String(50))
    fetched_at: Mapped[datetime]
    last_fetched_at: Mapped[datetime]
    fetch_count: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(30), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"), index=True)
    # The request as sent and the HTTP version of the response (None for captures made before 0007).
    request_headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    protocol: Mapped[str | None] = mapped_column(String(16))
    # The page's rel=canonical or og:url when it named another URL (as the page gave it, untrusted) and
    # what the archive made of the claim (pipelines.canonical: accepted, rejected_different_text, ...);
    # None when the page claimed nothing or was archived before 0011.
    canonical_claim: Mapped[str | None] = mapped_column(Text)
    canonical_verdict: Mapped[str | None] = mapped_column(String(40))
    # Where a capture the archive did not fetch itself came from (`newsarchive import`, `backfill`):
    # {"source": ..., "file": ..., "record_id": ...} or {"source": ..., "cdx": ..., "replay": ...};
    # None for the archive's own crawls (migration 0014).
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    portal: Mapped[Portal | None] = relationship()


class Cluster(Base):
    """A group of copies of one story across portals; the origin is the earliest published copy."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Not a foreign key: articles point at clusters, and a cycle of constraints would need ALTERs that
    # SQLite cannot do; the dedup stage (pipelines.dedup) keeps it consistent.
    origin_article_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Article(Base):
    """The current version of one article, identified by its canonical URL."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int | None] = mapped_column(ForeignKey("portals.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    sapo: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(default=list)
    tags: Mapped[list[str]] = mapped_column(default=list)
    image: Mapped[str | None] = mapped_column(Text)
    site_name: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    updated_at: Mapped[datetime | None]
    date_raw: Mapped[str | None] = mapped_column(Text)
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
    # Set when the portal took the article down (404/410): kept, never deleted, and said so.
    removed_at: Mapped[datetime | None]
    removed_http_status: Mapped[int | None]
    # What full-text search indexes (storage.search.fields.search_fields), written only by storage.articles.
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
    """An article's MinHash signature (storage.fingerprints): near-duplicate candidates are scored on it."""

    __tablename__ = "article_fingerprints"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    minhash: Mapped[bytes] = mapped_column(LargeBinary)


class ArticleBand(Base):
    """One LSH band key of an article's signature: articles sharing a key are near-duplicate candidates.

    The index lives in the archive, so a crawl looks candidates up per batch instead of loading every
    signature, and every process writing the archive sees the same index.
    """

    __tablename__ = "article_bands"

    band_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class DedupQueue(Base):
    """Articles whose duplicate decision is pending: written with the article, cleared by the dedup stage
    after it linked (or did not link) the article, so a crawl killed in between loses no decision."""

    __tablename__ = "dedup_queue"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)


class DedupLock(Base):
    """A single row that serialises duplicate decisions across processes and machines: the dedup stage
    updates it first in its transaction (a row lock on PostgreSQL, the write lock on SQLite)."""

    __tablename__ = "dedup_lock"

    id: Mapped[int] = mapped_column(primary_key=True)
    taken_at: Mapped[datetime | None]


Index("ix_articles_portal_published", Article.portal_id, Article.published_at)
