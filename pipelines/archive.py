"""ArchivePipeline: idempotent writes of captures and articles through storage.repository."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from scrapy.exceptions import CloseSpider
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from crawler.items import PageItem
from pipelines.article_extractor import ExtractedArticle
from pipelines.neardup import NearDuplicateIndex, compare
from storage import repository
from storage.db import ArchiveUnavailable, open_archive
from storage.models import Article, CaptureStatus

logger = logging.getLogger(__name__)

# A database that drops out mid-crawl (restart, failover) usually returns within seconds: retry with
# backoff 0.5+1+2+4 s before giving up on the crawl.
WRITE_ATTEMPTS = 5


class ArchivePipeline:
    """Writes every PageItem: a capture always, an article when extraction succeeded.

    Writes are batched (ARCHIVE_BATCH_SIZE items or ARCHIVE_BATCH_SECONDS, whichever comes first) in
    one transaction each: per-item commits cost more than the rest of the write on SQLite.

    New articles are checked against the near-duplicate index (rebuilt from the archive at start and
    refreshed before each batch) and linked to an earlier copy when the texts confirm it.

    Settings: ARCHIVE_DATABASE_URL, ARCHIVE_BATCH_SIZE, ARCHIVE_BATCH_SECONDS. Stats: archive/stored,
    archive/version, archive/revisit, archive/duplicate, archive/near_duplicate, archive/off_language,
    archive/failed, archive/errors, archive/conflicts, archive/rejected, dedup/near, dedup/near_rejected.
    """

    def __init__(
        self, database_url: str, crawler: Any, batch_size: int = 50, batch_seconds: float = 0.5
    ) -> None:
        self.database_url = database_url
        self.crawler = crawler
        self.stats = crawler.stats
        self.engine: Engine | None = None
        self.factory: sessionmaker[Session] | None = None
        # One writer thread: writes stay ordered and SQLite never sees two writers from one crawl.
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-writer")
        self.portal_ids: dict[str, int] = {}
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.pending: list[tuple[PageItem, asyncio.Future[repository.ArchiveOutcome | None]]] = []
        self.timer: asyncio.TimerHandle | None = None
        # Only the writer thread touches the index: lookups and inserts stay ordered with the writes.
        self.neardup = NearDuplicateIndex()

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchivePipeline:
        return cls(
            crawler.settings.get("ARCHIVE_DATABASE_URL"),
            crawler,
            batch_size=crawler.settings.getint("ARCHIVE_BATCH_SIZE", 50),
            batch_seconds=crawler.settings.getfloat("ARCHIVE_BATCH_SECONDS", 0.5),
        )

    def open_spider(self) -> None:
        try:
            self.engine, self.factory = open_archive(self.database_url, create=True)
        except ArchiveUnavailable as exc:
            raise CloseSpider(f"archive unavailable: {exc}") from exc
        started = time.monotonic()
        with self.factory() as session:
            self._refresh_index(session)
        logger.info(
            "near-duplicate index rebuilt from the archive: %d articles in %.1f s",
            len(self.neardup),
            time.monotonic() - started,
        )

    def close_spider(self) -> None:
        self.writer.shutdown(wait=True)
        if self.engine is not None:
            self.engine.dispose()

    async def process_item(self, item: PageItem) -> PageItem:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[repository.ArchiveOutcome | None] = loop.create_future()
        self.pending.append((item, done))
        if len(self.pending) >= self.batch_size:
            self._flush()
        elif self.timer is None:
            self.timer = loop.call_later(self.batch_seconds, self._flush)
        outcome = await done
        if outcome is None:
            engine = self.crawler.engine
            if engine is not None and engine.spider is not None:
                asyncio.ensure_future(engine.close_spider_async(reason="archive_unavailable"))
            return item
        key = {"new": "stored"}.get(outcome.kind, outcome.kind)
        if outcome.status == "off_language":
            key = "off_language"
        self.stats.inc_value(f"archive/{key}")
        return item

    def _flush(self) -> None:
        """Hand the pending items to the writer thread as one transaction."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.pending = self.pending, []
        if not batch:
            return
        loop = asyncio.get_running_loop()
        written = loop.run_in_executor(self.writer, self._write_with_retry, [item for item, _ in batch])

        def settle(result: asyncio.Future[list[repository.ArchiveOutcome | None]]) -> None:
            error = result.exception()
            for index, (_, done) in enumerate(batch):
                if done.done():
                    continue
                if error is not None:
                    done.set_exception(error)
                else:
                    done.set_result(result.result()[index])

        written.add_done_callback(settle)

    def _write_with_retry(self, items: list[PageItem]) -> list[repository.ArchiveOutcome | None]:
        delay = 0.5
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                return self._write_batch(items)
            except OperationalError as exc:
                # The batch was rolled back: portal rows it created may not exist.
                self.portal_ids.clear()
                if attempt == WRITE_ATTEMPTS:
                    self._give_up(items, exc)
                    break
                logger.warning("archive write failed (attempt %d): %s; retrying", attempt, _line(exc))
                time.sleep(delay)
                delay *= 2
            except SQLAlchemyError as exc:
                self._give_up(items, exc)
                break
        return [None] * len(items)

    def _give_up(self, items: list[PageItem], exc: Exception) -> None:
        # These pages are not archived, so the next crawl fetches them again: nothing is lost, but this
        # crawl cannot continue usefully without its archive.
        self.stats.inc_value("archive/errors", len(items))
        logger.error(
            "could not archive %d pages (%s ...): %s; closing the crawl", len(items), items[0].url, _line(exc)
        )

    def _write_batch(self, items: list[PageItem]) -> list[repository.ArchiveOutcome | None]:
        """Write a batch in one transaction; each item in its own savepoint, so one bad row fails alone."""
        assert self.factory is not None, "open_spider was not called"
        run_id = self.stats.get_value("archive/run_id")
        outcomes: list[repository.ArchiveOutcome | None] = []
        with self.factory.begin() as session:
            # Articles other crawls (other processes) archived since we last looked.
            self._refresh_index(session)
            for item in items:
                # Outside the item's savepoint: a rolled-back item must not take the portal row with it.
                portal_id = self._portal_id(session, item)
                try:
                    with session.begin_nested():
                        outcomes.append(self._write(session, item, run_id, portal_id))
                except IntegrityError as exc:
                    # Another crawl wrote the same row between our read and write: it is archived.
                    logger.warning("concurrent write of %s: %s", item.url, _line(exc))
                    self.stats.inc_value("archive/conflicts")
                    outcomes.append(repository.ArchiveOutcome("revisit", "archived", None, 0))
                except DataError as exc:
                    outcomes.append(self._rejected(session, item, run_id, portal_id, exc))
        return outcomes

    def _rejected(
        self, session: Session, item: PageItem, run_id: int | None, portal_id: int, exc: DataError
    ) -> repository.ArchiveOutcome:
        """Keep the raw capture of an article the database refused (a value too long for its column,
        say), so it can be re-extracted once the cause is fixed; the crawl goes on."""
        reason = f"archive rejected the article: {_line(exc)}"
        logger.error("%s: %s", item.url, reason)
        self.stats.inc_value("archive/rejected")
        item.fail("extraction_failed", reason)
        try:
            with session.begin_nested():
                return self._write(session, item, run_id, portal_id)
        except DataError as again:
            logger.error("%s: the capture itself was refused too: %s", item.url, _line(again))
            return repository.ArchiveOutcome("failed", "extraction_failed", None, 0)

    def _write(
        self, session: Session, item: PageItem, run_id: int | None, portal_id: int
    ) -> repository.ArchiveOutcome:
        capture = repository.CaptureData(
            url=item.url,
            final_url=item.final_url,
            http_status=item.http_status,
            headers=item.headers,
            body=item.body,
            content_type=item.content_type,
            discovered_via=item.discovered_via,
            fetched_at=item.fetched_at,
            request_headers=item.request_headers,
            protocol=item.protocol,
        )
        if item.failure_status == "not_modified":
            revisit = repository.record_not_modified(session, [item.url, item.final_url], item.fetched_at)
            if revisit is not None:
                return revisit
            item.fail("fetch_failed", "HTTP 304 for a page the archive does not hold")
        if item.failure_status or item.article is None:
            return repository.archive_failure(
                session,
                capture,
                run_id=run_id,
                portal_id=portal_id,
                status=item.failure_status or "extraction_failed",
                reason=item.failure_reason or "no article extracted",
            )
        outcome = repository.archive_article(
            session, capture, _article_data(item), run_id=run_id, portal_id=portal_id
        )
        if item.minhash is None or outcome.article_id is None or outcome.kind not in ("new", "version"):
            return outcome
        if outcome.kind == "new" and outcome.status == CaptureStatus.ARCHIVED:
            outcome = self._link_near_copies(session, outcome, item.minhash)
        assert outcome.article_id is not None
        repository.store_fingerprint(session, outcome.article_id, item.minhash)
        self.neardup.add(outcome.article_id, item.minhash)
        return outcome

    def _refresh_index(self, session: Session) -> None:
        for article_id, minhash in repository.fingerprints_after(session, self.neardup.last_id):
            self.neardup.add(article_id, minhash)

    def _link_near_copies(
        self, session: Session, outcome: repository.ArchiveOutcome, minhash: bytes
    ) -> repository.ArchiveOutcome:
        """Link a new article to an earlier near-copy on the index, once the texts confirm it."""
        row = session.get(Article, outcome.article_id)
        assert row is not None
        for candidate_id in self.neardup.candidates(minhash):
            other = session.get(Article, candidate_id)
            if other is None or other.id == row.id or other.status not in ("archived", "duplicate"):
                continue
            verdict = compare(other.text, row.text)
            if not verdict.same_story:
                self.stats.inc_value("dedup/near_rejected")
                logger.debug("not a copy of article %d: %s", other.id, verdict.reason)
                continue
            reason = f"near copy of article {other.id}: {verdict.reason}"
            repository.link_copies(session, other, row, reason=reason)
            self.stats.inc_value("dedup/near")
            return repository.ArchiveOutcome("near_duplicate", row.status, row.id, outcome.capture_id)
        return outcome

    def _portal_id(self, session: Session, item: PageItem) -> int:
        if item.portal_key not in self.portal_ids:
            portal = repository.ensure_portal(session, item.portal_key, item.portal_name, item.portal_home)
            self.portal_ids[item.portal_key] = portal.id
        return self.portal_ids[item.portal_key]


def _article_data(item: PageItem) -> repository.ArticleData:
    assert item.canonical_url and item.content_hash, "DedupPipeline must run before ArchivePipeline"
    return article_data(
        item.article,
        url=item.final_url,
        canonical_url=item.canonical_url,
        content_hash=item.content_hash,
        language=item.language or "und",
        confidence=item.language_confidence or 0.0,
        language_reason=item.language_reason or "",
        off_language=item.off_language,
    )


def article_data(
    article: ExtractedArticle,
    *,
    url: str,
    canonical_url: str,
    content_hash: str,
    language: str,
    confidence: float,
    language_reason: str,
    off_language: bool,
) -> repository.ArticleData:
    """Return what the archive stores of an extracted, language-checked article."""
    reason = f"language {language} ({confidence:.2f}): {language_reason}" if off_language else None
    return repository.ArticleData(
        url=url,
        canonical_url=canonical_url,
        text=article.text,
        content_hash=content_hash,
        language=language,
        language_confidence=confidence,
        title=article.title,
        sapo=article.sapo,
        author=article.author,
        categories=list(article.categories),
        tags=list(article.tags),
        image=article.image,
        site_name=article.site_name,
        published_at=article.published_at,
        updated_at=article.updated_at,
        date_raw=article.date_raw,
        date_source=article.date_source,
        date_warnings=list(article.date_warnings),
        off_language_reason=reason,
    )


def _line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
