"""Archive writes and lookups: functions that take a Session and never commit (callers own transactions)."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import (
    Article,
    ArticleVersion,
    Capture,
    CaptureStatus,
    CrawlRun,
    Portal,
    RunStatus,
    utcnow,
)
from storage.search.fields import SearchForm, search_fields
from storage.urls import indexable_url

# Raw captures are kept zlib-compressed at level 3: on the real pages of ../shared/data (449 pages, median
# ~180 KiB) it takes 3.4 ms a page against level 6's 7.6 ms, for 11% more bytes (4.7x vs 5.3x smaller
# than the page). Compression runs in the extraction workers, where it was 7% of a page's CPU time.
# Any level decompresses alike: captures written at level 6 read the same.
CAPTURE_ZLIB_LEVEL = 3


def compress_capture(body: bytes) -> bytes:
    """The stored form of a captured body (read back with capture_body)."""
    return zlib.compress(body, CAPTURE_ZLIB_LEVEL)


def insert_ignoring_conflict(
    session: Session,
    model: type[Any],
    values: dict[str, Any] | list[dict[str, Any]],
    keys: list[str],
    *,
    returning: str | None = None,
) -> list[Any]:
    """INSERT ... ON CONFLICT (keys) DO NOTHING on SQLite and PostgreSQL: the one upsert helper.

    ``values`` is one row or several. Concurrent crawls may race to create the same row; whoever loses
    simply reads the winner's row. Returns the ``returning`` column of the rows inserted (none when
    not asked). One cached statement runs with the rows as parameter sets (SQLAlchemy batches them into
    multi-row INSERTs): a VALUES list built per call was compiled anew every time, which on the crawl's
    discovery writes cost more than the insert itself.
    """
    rows = values if isinstance(values, list) else [values]
    if not rows:
        return []
    table = cast(Table, model.__table__)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).on_conflict_do_nothing(index_elements=keys)
    if returning is None:
        session.execute(statement, rows)
        return []
    return list(session.scalars(statement.returning(table.c[returning]), rows))


def ensure_portal(session: Session, key: str, name: str, home_url: str) -> Portal:
    """Return the portal row for ``key``, creating it on first sight."""
    insert_ignoring_conflict(
        session, Portal, {"key": key, "name": name, "home_url": home_url, "created_at": utcnow()}, ["key"]
    )
    return session.scalars(select(Portal).where(Portal.key == key)).one()


def start_run(
    session: Session,
    spider: str,
    portals: list[str],
    *,
    host: str | None = None,
    pid: int | None = None,
    node: str | None = None,
    job_id: str | None = None,
) -> CrawlRun:
    """Create and return a crawl-run row in status ``running``, with its first heartbeat."""
    now = utcnow()
    run = CrawlRun(
        spider=spider, portals=portals, status=RunStatus.RUNNING.value, stats={}, outcomes={}, started_at=now,
        heartbeat_at=now, host=host, pid=pid, node=node, job_id=job_id,
    )  # fmt: skip
    session.add(run)
    session.flush()
    return run


def heartbeat_run(session: Session, run_id: int, stats: dict[str, Any] | None = None) -> None:
    """Say the run is alive (and, optionally, how far it got)."""
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if stats is not None:
        values["stats"] = stats
    session.execute(
        update(CrawlRun).where(CrawlRun.id == run_id, CrawlRun.status == "running").values(**values)
    )


def abandon_stale_runs(
    session: Session,
    stale_after: timedelta,
    *,
    now: datetime | None = None,
    is_dead: Callable[[str | None, int | None], bool] = lambda host, pid: False,
) -> list[int]:
    """Mark ``running`` runs whose heartbeat stopped more than ``stale_after`` ago, or whose process
    ``is_dead(host, pid)`` says is gone, as ``abandoned`` (the crawl was killed); return their ids."""
    now = now or utcnow()
    cutoff = now - stale_after
    running = session.execute(
        select(
            CrawlRun.id,
            CrawlRun.host,
            CrawlRun.pid,
            func.coalesce(CrawlRun.heartbeat_at, CrawlRun.started_at),
        ).where(CrawlRun.status == RunStatus.RUNNING.value)
    ).all()
    stale = [run_id for run_id, host, pid, seen in running if seen < cutoff or is_dead(host, pid)]
    if stale:
        session.execute(
            update(CrawlRun)
            .where(CrawlRun.id.in_(stale))
            .values(
                status=RunStatus.ABANDONED.value,
                finished_at=func.coalesce(CrawlRun.heartbeat_at, CrawlRun.started_at),
                finish_reason="its heartbeat stopped: the crawl was killed or lost its archive",
            )
        )
    return stale


def finish_run(
    session: Session,
    run_id: int,
    *,
    status: str,
    reason: str | None,
    stats: dict[str, Any],
    outcomes: dict[str, Any] | None = None,
) -> None:
    """Close a crawl run with its final status, finish reason, per-portal outcomes and JSON-able stats."""
    run = session.get(CrawlRun, run_id)
    if run is None:
        return
    run.status = status
    run.finish_reason = reason
    run.finished_at = utcnow()
    run.heartbeat_at = run.finished_at
    run.stats = stats
    if outcomes is not None:
        run.outcomes = outcomes


@dataclass
class CaptureData:
    """A fetched response as the spider saw it; the body is kept exactly as received."""

    url: str
    final_url: str
    http_status: int
    headers: dict[str, Any]
    body: bytes
    content_type: str | None
    discovered_via: str | None
    fetched_at: datetime
    # Computed off the writer thread when available (the extraction worker): sha256 hex and zlib bytes.
    sha256: str | None = None
    compressed: bytes | None = None
    # The request headers as sent and the response's HTTP version ("HTTP/1.1"), for the WARC export.
    request_headers: dict[str, Any] | None = None
    protocol: str | None = None


@dataclass
class ArticleData:
    """An extracted, language-checked article ready to archive."""

    url: str
    canonical_url: str
    text: str
    content_hash: str
    language: str
    language_confidence: float
    title: str | None = None
    sapo: str | None = None
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
    off_language_reason: str | None = None
    search: SearchForm | None = None  # the search fields, when already computed (by the worker)


@dataclass(frozen=True)
class ArchiveOutcome:
    """What the archive did with one capture: ``kind`` is new, version, revisit, duplicate or failed."""

    kind: str
    status: str
    article_id: int | None
    capture_id: int


def record_capture(
    session: Session,
    data: CaptureData,
    *,
    run_id: int | None,
    portal_id: int | None,
    status: str,
    reason: str | None = None,
) -> tuple[Capture, bool]:
    """Store the raw capture, or count a revisit when these exact bytes were captured from this URL before.

    Returns the capture row and whether it is new.
    """
    digest = _body_digest(data)
    url = indexable_url(data.url)
    existing = session.scalars(
        select(Capture).where(Capture.url == url, Capture.body_sha256 == digest)
    ).one_or_none()
    if existing is not None:
        existing.last_fetched_at = data.fetched_at
        existing.fetch_count += 1
        existing.run_id = run_id or existing.run_id
        return existing, False
    capture = Capture(**_capture_values(data, digest, url, run_id, portal_id, status, reason))
    session.add(capture)
    session.flush()
    return capture, True


def _body_digest(data: CaptureData) -> str:
    return data.sha256 or hashlib.sha256(data.body).hexdigest()


def _capture_values(
    data: CaptureData,
    digest: str,
    url: str,
    run_id: int | None,
    portal_id: int | None,
    status: str,
    reason: str | None,
) -> dict[str, Any]:
    """The columns of a new capture row."""
    return {
        "run_id": run_id,
        "portal_id": portal_id,
        "url": url,
        "final_url": data.final_url,
        "http_status": data.http_status,
        "headers": data.headers,
        "body_compressed": data.compressed if data.compressed is not None else compress_capture(data.body),
        "body_sha256": digest,
        "body_size": len(data.body),
        "content_type": data.content_type,
        "discovered_via": data.discovered_via,
        "fetched_at": data.fetched_at,
        "last_fetched_at": data.fetched_at,
        "fetch_count": 1,
        "status": status,
        "reason": reason,
        "request_headers": data.request_headers,
        "protocol": data.protocol,
    }


def capture_body(capture: Capture) -> bytes:
    """Return the raw body bytes of a capture exactly as fetched."""
    return zlib.decompress(capture.body_compressed)


def archive_failure(
    session: Session,
    data: CaptureData,
    *,
    run_id: int | None,
    portal_id: int | None,
    status: str,
    reason: str,
) -> ArchiveOutcome:
    """Keep a capture that produced no article (fetch or extraction failure) with its reason."""
    capture, _ = record_capture(
        session, data, run_id=run_id, portal_id=portal_id, status=status, reason=reason
    )
    capture.status, capture.reason = status, reason
    return ArchiveOutcome("failed", status, None, capture.id)


def archive_article(
    session: Session,
    capture_data: CaptureData,
    article: ArticleData,
    *,
    run_id: int | None,
    portal_id: int | None,
) -> ArchiveOutcome:
    """Archive one article idempotently.

    The same canonical URL with the same content hash is a revisit (no new rows beyond the capture's
    counters); a changed hash becomes a new version; a new canonical URL a new article. Whether it
    copies another article is decided by the dedup stage (pipelines.dedup), not here.
    """
    digest, url = _body_digest(capture_data), indexable_url(capture_data.url)
    article.canonical_url = indexable_url(article.canonical_url)
    if (
        session.scalar(select(Capture.id).where(Capture.url == url, Capture.body_sha256 == digest)) is None
        and session.scalar(select(Article.id).where(Article.canonical_url == article.canonical_url)) is None
    ):
        return _archive_new_article(session, capture_data, article, digest, url, run_id, portal_id)
    capture, _ = record_capture(
        session,
        capture_data,
        run_id=run_id,
        portal_id=portal_id,
        status=_status(article),
        reason=article.off_language_reason,
    )
    return archive_article_for_capture(session, capture, article, portal_id=portal_id)


def archive_article_for_capture(
    session: Session, capture: Capture, article: ArticleData, *, portal_id: int | None
) -> ArchiveOutcome:
    """Archive the article extracted from an already stored capture (see archive_article)."""
    status = _status(article)
    now = capture.last_fetched_at
    article.canonical_url = indexable_url(article.canonical_url)
    existing = session.scalars(
        select(Article).where(Article.canonical_url == article.canonical_url)
    ).one_or_none()
    if existing is not None:
        capture.article_id = existing.id
        capture.status = existing.status
        if existing.content_hash == article.content_hash:
            existing.captured_at = max(existing.captured_at, now)
            return ArchiveOutcome("revisit", existing.status, existing.id, capture.id)
        existing.captured_at = now
        _new_version(session, existing, article, capture.id, now)
        capture.status = existing.status
        return ArchiveOutcome("version", existing.status, existing.id, capture.id)

    row = Article(portal_id=portal_id, version=1, first_captured_at=now, captured_at=now, status=status)
    _apply_article_fields(row, article)
    row.reason = article.off_language_reason
    session.add(row)
    session.flush()
    session.add(_version_row(row, capture.id, now))
    capture.article_id = row.id
    capture.status = row.status
    capture.reason = row.reason
    return ArchiveOutcome("new", row.status, row.id, capture.id)


def _archive_new_article(
    session: Session,
    data: CaptureData,
    article: ArticleData,
    digest: str,
    url: str,
    run_id: int | None,
    portal_id: int | None,
) -> ArchiveOutcome:
    """Archive a capture and an article the archive holds neither of (most pages of a crawl) as three
    Core inserts: the same rows record_capture and archive_article_for_capture write, without the unit
    of work (three flushed objects and a later update of the capture). Measured on SQLite, 3,000 new
    articles in batches of 50: 3.4 ms an article before, 2.3 ms after, FTS triggers included."""
    status, reason, now = _status(article), article.off_language_reason, data.fetched_at
    article_values = _article_values(article)
    article_id = session.execute(
        _INSERT_ARTICLE,
        {
            **article_values,
            "portal_id": portal_id,
            "version": 1,
            "first_captured_at": now,
            "captured_at": now,
            "status": status,
            "reason": reason,
        },
    ).scalar_one()
    capture_values = _capture_values(data, digest, url, run_id, portal_id, status, reason)
    capture_id = session.execute(_INSERT_CAPTURE, {**capture_values, "article_id": article_id}).scalar_one()
    session.execute(_INSERT_VERSION, _version_values(article_id, 1, article_values, capture_id, now))
    return ArchiveOutcome("new", status, article_id, capture_id)


_ARTICLES = cast(Table, Article.__table__)
_CAPTURES = cast(Table, Capture.__table__)
_VERSIONS = cast(Table, ArticleVersion.__table__)
# Built once: SQLAlchemy's compiled cache then skips straight to the cached SQL.
_INSERT_ARTICLE = insert(_ARTICLES).returning(_ARTICLES.c.id)
_INSERT_CAPTURE = insert(_CAPTURES).returning(_CAPTURES.c.id)
_INSERT_VERSION = insert(_VERSIONS)


def _status(article: ArticleData) -> str:
    return CaptureStatus.OFF_LANGUAGE if article.off_language_reason else CaptureStatus.ARCHIVED


def _new_version(session: Session, row: Article, article: ArticleData, capture_id: int, at: datetime) -> None:
    """Make ``article`` the current version of ``row``; the earlier versions stay in article_versions.

    A copy keeps its duplicate status; otherwise the language check of the new text decides between
    archived and off_language.
    """
    _apply_article_fields(row, article)
    if row.status in (CaptureStatus.ARCHIVED, CaptureStatus.OFF_LANGUAGE):
        row.status, row.reason = _status(article), article.off_language_reason
    row.version += 1
    session.add(_version_row(row, capture_id, at))


# The article row's columns that come from the extraction (search fields aside).
_ARTICLE_FIELDS = (
    "url",
    "canonical_url",
    "title",
    "sapo",
    "text",
    "author",
    "categories",
    "tags",
    "image",
    "site_name",
    "published_at",
    "updated_at",
    "date_raw",
    "date_source",
    "date_warnings",
    "language",
    "language_confidence",
    "content_hash",
)


def _apply_article_fields(row: Article, article: ArticleData) -> None:
    for name, value in _article_values(article).items():
        setattr(row, name, value)


def _article_values(article: ArticleData) -> dict[str, Any]:
    """The article row's columns that come from the extraction, search fields included."""
    values = {name: getattr(article, name) for name in _ARTICLE_FIELDS}
    # What full-text search indexes: folded (lowercase, one tone placement) so "hoà" finds "hòa".
    if article.search is not None:
        values.update(article.search.fields_for(article.title, article.sapo, article.text))
    else:
        values.update(search_fields(article.title, article.sapo, article.text))
    return values


def _version_row(article: Article, capture_id: int, captured_at: datetime) -> ArticleVersion:
    fields = {name: getattr(article, name) for name in _VERSION_FIELDS}
    return ArticleVersion(**_version_values(article.id, article.version, fields, capture_id, captured_at))


# What a version keeps of the article's text and dates.
_VERSION_FIELDS = ("content_hash", "title", "text", "published_at", "updated_at")


def _version_values(
    article_id: int, version: int, fields: dict[str, Any], capture_id: int, captured_at: datetime
) -> dict[str, Any]:
    """The columns of an article_versions row: ``fields`` holds the article's _VERSION_FIELDS."""
    return {
        "article_id": article_id,
        "version": version,
        **{name: fields[name] for name in _VERSION_FIELDS},
        "capture_id": capture_id,
        "captured_at": captured_at,
    }


def apply_reextraction(session: Session, row: Article, article: ArticleData, capture: Capture) -> bool:
    """Update an article from a fresh extraction of its capture; return whether anything changed.

    A changed text, title or date becomes a new version; identical results leave the row untouched.
    The canonical URL (the article's identity) never changes here.
    """
    article.canonical_url = row.canonical_url
    compared = ("content_hash", "title", "sapo", "author", "published_at", "updated_at", "language")
    if all(getattr(row, name) == getattr(article, name) for name in compared):
        return False
    _new_version(session, row, article, capture.id, utcnow())
    return True


def record_not_modified(session: Session, urls: list[str], fetched_at: datetime) -> ArchiveOutcome | None:
    """Count a 304 answer as a revisit of the newest capture of ``urls`` (the requested URL and where a
    redirect led); None if the archive holds neither."""
    capture = session.scalars(
        select(Capture)
        .where(Capture.url.in_([indexable_url(url) for url in urls]), Capture.article_id.is_not(None))
        .order_by(Capture.id.desc())
        .limit(1)
    ).one_or_none()
    if capture is None:
        return None
    capture.last_fetched_at = max(capture.last_fetched_at, fetched_at)
    capture.fetch_count += 1
    article = session.get(Article, capture.article_id)
    if article is not None:
        article.captured_at = max(article.captured_at, fetched_at)
    return ArchiveOutcome("revisit", capture.status, capture.article_id, capture.id)
