"""ArchivePipeline: batched, idempotent writes of captures and articles, then the dedup stage's decisions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from pipelines import canonical, dedup, defaults
from pipelines.items import PageItem
from pipelines.language import off_language_reason
from pipelines.outage import ArchiveOutage, outage_of
from storage import fingerprints, frontier
from storage.articles import ArticleData, archive_article, record_not_modified
from storage.captures import ArchiveOutcome, CaptureData, archive_failure
from storage.db import is_retriable, open_archive, retrying
from storage.models import FrontierEntry, FrontierState
from storage.runs import ensure_portal
from storage.safe_text import exception_line
from storage.urls import canonical_url

logger = logging.getLogger(__name__)

T = TypeVar("T")


class ArchivePipeline:
    """Writes every PageItem: a capture always, an article when extraction succeeded.

    Writes are batched (ARCHIVE_BATCH_SIZE items or ARCHIVE_BATCH_SECONDS, whichever comes first) in
    one transaction each: per-item commits cost more than the rest of the write on SQLite.

    New and changed articles are stored with their fingerprint and queued; once the batch is committed,
    the dedup stage decides the queue (pipelines.dedup.decide_pending) in a transaction of its own, so
    what it links is always committed and visible to every other writer.

    Each fetch's outcome goes to the frontier in the same transaction (storage.frontier.record_fetch):
    state, validators, next due fetch, removals. An archive that cannot be opened fails the crawl (an
    exception in open_spider: `scrapy crawl` exits non-zero). Settings: ARCHIVE_DATABASE_URL,
    ARCHIVE_BATCH_SIZE, ARCHIVE_BATCH_SECONDS, FRONTIER_ENABLED. Stats: portal/<key>/archive/<kind>,
    archive/stored, archive/version, archive/revisit, archive/duplicate, archive/near_duplicate,
    archive/off_language, archive/failed, archive/errors, archive/conflicts, archive/rejected, dedup/exact,
    dedup/near, dedup/near_rejected, dedup/detached, canonical/<verdict> (pipelines.canonical: a page's
    canonical claim, judged here, in the article's transaction).
    """

    def __init__(
        self,
        database_url: str,
        crawler: Any,
        batch_size: int = defaults.ARCHIVE_BATCH_SIZE,
        batch_seconds: float = defaults.ARCHIVE_BATCH_SECONDS,
        frontier_enabled: bool = defaults.FRONTIER_ENABLED,
        outage: ArchiveOutage | None = None,
    ) -> None:
        self.database_url = database_url
        # A database that drops out is waited for (ARCHIVE_RETRY_BUDGET); meanwhile the batches, and the
        # items awaiting them, are held.
        self.outage = outage or ArchiveOutage(defaults.ARCHIVE_RETRY_BUDGET)
        self.frontier_enabled = frontier_enabled
        self.crawler = crawler
        self.stats = crawler.stats
        self.engine: Engine | None = None
        self.factory: sessionmaker[Session] | None = None
        # One writer thread: writes stay ordered and SQLite never sees two writers from one crawl.
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-writer")
        self.portal_ids: dict[str, int] = {}
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.pending: list[tuple[PageItem, asyncio.Future[ArchiveOutcome | None]]] = []
        self.timer: asyncio.TimerHandle | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchivePipeline:
        return cls(
            crawler.settings.get("ARCHIVE_DATABASE_URL"),
            crawler,
            batch_size=crawler.settings.getint("ARCHIVE_BATCH_SIZE", defaults.ARCHIVE_BATCH_SIZE),
            batch_seconds=crawler.settings.getfloat("ARCHIVE_BATCH_SECONDS", defaults.ARCHIVE_BATCH_SECONDS),
            frontier_enabled=crawler.settings.getbool("FRONTIER_ENABLED", defaults.FRONTIER_ENABLED),
            outage=outage_of(crawler),
        )

    def open_spider(self) -> None:
        # ArchiveUnavailable propagates: Scrapy then fails the crawl instead of closing it cleanly.
        self.engine, self.factory = open_archive(self.database_url, create=True, writer=True)

    def close_spider(self) -> None:
        self.writer.shutdown(wait=True)
        if self.factory is not None:
            try:
                # Decisions another crawl left queued (killed before deciding) are made now.
                factory = self.factory
                self._count_decisions(self._retrying(lambda: dedup.drain(factory)))
            except SQLAlchemyError as exc:
                logger.error("dedup decisions left queued for the next crawl: %s", exception_line(exc))
        if self.engine is not None:
            self.engine.dispose()

    async def process_item(self, item: PageItem) -> PageItem:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[ArchiveOutcome | None] = loop.create_future()
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
        if item.canonical_verdict is not None:
            self.stats.inc_value(f"canonical/{item.canonical_verdict}")
        key = {"new": "stored"}.get(outcome.kind, outcome.kind)
        if outcome.status == "off_language":
            key = "off_language"
        self.stats.inc_value(f"archive/{key}")
        self.stats.inc_value(f"portal/{item.portal_key}/archive/{key}")
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

        def settle(result: asyncio.Future[list[ArchiveOutcome | None]]) -> None:
            error = result.exception()
            for index, (_, done) in enumerate(batch):
                if done.done():
                    continue
                if error is not None:
                    done.set_exception(error)
                else:
                    done.set_result(result.result()[index])

        written.add_done_callback(settle)

    def _write_with_retry(self, items: list[PageItem]) -> list[ArchiveOutcome | None]:
        """Write the batch, then let the dedup stage decide what it queued; outcomes per item."""
        try:
            outcomes = self._retrying(lambda: self._write_batch(items))
        except SQLAlchemyError as exc:
            # These pages are not archived, so the next crawl fetches them again: nothing is lost, but
            # this crawl cannot continue usefully without its archive.
            self.stats.inc_value("archive/errors", len(items))
            logger.error(
                "could not archive %d pages (%s ...): %s; closing the crawl",
                len(items),
                items[0].url,
                exception_line(exc),
            )
            return [None] * len(items)
        written = {o.article_id: i for i, o in enumerate(outcomes) if o is not None and o.kind == "new"}
        try:
            decisions, copies = self._retrying(lambda: self._decide(list(written)))
        except SQLAlchemyError as exc:
            # The articles are archived and stay queued: the next decider (this crawl's next batch, its
            # close, or another crawl) decides them.
            logger.error("dedup decisions postponed: %s", exception_line(exc))
            return outcomes
        self._count_decisions(decisions)
        for article_id, kind in copies.items():
            index = written[article_id]
            outcome = outcomes[index]
            assert outcome is not None
            outcomes[index] = ArchiveOutcome(kind, "duplicate", outcome.article_id, outcome.capture_id)
        return outcomes

    def _decide(self, written: list[int | None]) -> tuple[list[dedup.Decision], dict[int, str]]:
        """Decide the queue; return the decisions and which of the batch's new articles ended as copies.

        A new article's outcome is its status after the pass, not the decision about it: two copies in
        one batch were both decided copies of each other (one linked, one "already in one cluster"), and
        an article decided unique becomes the copy when a later, earlier-published one joins it.
        """
        assert self.factory is not None, "open_spider was not called"
        with self.factory.begin() as session:
            decisions = dedup.decide_pending(session)
            return decisions, dedup.copies_among(session, [i for i in written if i is not None])

    def _count_decisions(self, decisions: list[dedup.Decision]) -> None:
        for decision in decisions:
            if decision.linked:
                self.stats.inc_value("dedup/exact" if decision.kind == "duplicate" else "dedup/near")
            if decision.rejected:
                self.stats.inc_value("dedup/near_rejected", decision.rejected)
            if decision.detached:
                self.stats.inc_value("dedup/detached")

    def _retrying(self, work: Callable[[], T]) -> T:
        """Run ``work`` (one transaction) under the archive's retry policy (storage.db.retrying), with
        the crawl's outage budget.

        Raises the last retriable error once the budget is spent, any other SQLAlchemyError at once.
        """

        def attempt() -> T:
            try:
                return work()
            except DBAPIError as exc:
                if is_retriable(exc):
                    # The transaction was rolled back: portal rows it created may not exist.
                    self.portal_ids.clear()
                raise

        return retrying(attempt, on_retry=_log_retry, outage=self.outage)

    def _write_batch(self, items: list[PageItem]) -> list[ArchiveOutcome | None]:
        """Write a batch in one transaction, its items first without a savepoint each (a savepoint and its
        release cost 0.6 ms of the writer's CPU an article on SQLite, a quarter of the write); if the
        database refuses a row, that transaction is rolled back and the batch written again with each
        item in its own savepoint, so the refused item fails alone."""
        try:
            return self._write_items(items, isolated=False)
        except (IntegrityError, DataError) as exc:
            # The transaction was rolled back: portal rows it created do not exist.
            self.portal_ids.clear()
            logger.info("a row of the batch was refused (%s); writing each item alone", exception_line(exc))
            return self._write_items(items, isolated=True)

    def _write_items(self, items: list[PageItem], *, isolated: bool) -> list[ArchiveOutcome | None]:
        """Write ``items`` in one transaction; ``isolated``: each in its own savepoint, a refused row
        recorded as a conflict or a rejected article (_rejected) instead of raising."""
        assert self.factory is not None, "open_spider was not called"
        run_id = self.stats.get_value("archive/run_id")
        outcomes: list[ArchiveOutcome | None] = []
        with self.factory.begin() as session:
            # The frontier entries of the whole batch, locked in one query (outside the items' savepoints,
            # so the locks outlive a rolled-back item); a URL without one gets it in its own record_fetch.
            entries = frontier.lock_entries(session, [i.url for i in items]) if self.frontier_enabled else {}
            for item in items:
                # Outside the item's savepoint: a rolled-back item must not take the portal row with it.
                portal_id = self._portal_id(session, item)
                entry = entries.get(item.url)
                if not isolated:
                    outcomes.append(self._write(session, item, run_id, portal_id, entry))
                    continue
                try:
                    with session.begin_nested():
                        outcomes.append(self._write(session, item, run_id, portal_id, entry))
                except IntegrityError as exc:
                    # Another crawl wrote the same row between our read and write: it is archived.
                    logger.warning("concurrent write of %s: %s", item.url, exception_line(exc))
                    self.stats.inc_value("archive/conflicts")
                    outcomes.append(ArchiveOutcome("revisit", "archived", None, 0))
                except DataError as exc:
                    outcomes.append(self._rejected(session, item, run_id, portal_id, entry, exc))
        return outcomes

    def _rejected(
        self,
        session: Session,
        item: PageItem,
        run_id: int | None,
        portal_id: int,
        entry: FrontierEntry | None,
        exc: DataError,
    ) -> ArchiveOutcome:
        """Keep the raw capture of an article the database refused (a value too long for its column,
        say), so it can be re-extracted once the cause is fixed; the crawl goes on."""
        reason = f"archive rejected the article: {exception_line(exc)}"
        logger.error("%s: %s", item.url, reason)
        self.stats.inc_value("archive/rejected")
        item.fail("extraction_failed", reason)
        try:
            with session.begin_nested():
                return self._write(session, item, run_id, portal_id, entry)
        except DataError as again:
            logger.error("%s: the capture itself was refused too: %s", item.url, exception_line(again))
            return ArchiveOutcome("failed", "extraction_failed", None, 0)

    def _write(
        self,
        session: Session,
        item: PageItem,
        run_id: int | None,
        portal_id: int,
        entry: FrontierEntry | None = None,
    ) -> ArchiveOutcome:
        """Archive one item and record its fetch in the frontier; ``entry``: its frontier entry when the
        batch locked it already (storage.frontier.lock_entries)."""
        outcome = self._archive(session, item, run_id, portal_id)
        if self.frontier_enabled:
            policy = item.revisit or frontier.RevisitPolicy()
            frontier.record_fetch(session, portal_id, _fetch_outcome(item, outcome), policy, entry)
        return outcome

    def _archive(
        self, session: Session, item: PageItem, run_id: int | None, portal_id: int
    ) -> ArchiveOutcome:
        capture = CaptureData(
            url=item.url,
            final_url=item.final_url,
            http_status=item.http_status,
            headers=item.headers,
            body=item.body,
            content_type=item.content_type,
            discovered_via=item.discovered_via,
            fetched_at=item.fetched_at,
            sha256=item.digest.sha256 if item.digest else None,
            compressed=item.digest.compressed if item.digest else None,
            request_headers=item.request_headers,
            protocol=item.protocol,
            provenance=item.provenance,
        )
        if item.failure_status == "not_modified":
            revisit = record_not_modified(session, [item.url, item.final_url], item.fetched_at)
            if revisit is not None:
                return revisit
            item.fail("fetch_failed", "HTTP 304 for a page the archive does not hold")
        if item.failure_status or item.article is None:
            return archive_failure(
                session,
                capture,
                run_id=run_id,
                portal_id=portal_id,
                status=item.failure_status or "extraction_failed",
                reason=item.failure_reason or "no article extracted",
            )
        self._judge_canonical_claim(session, item, capture)
        outcome = archive_article(session, capture, _article_data(item), run_id=run_id, portal_id=portal_id)
        if item.minhash is not None and outcome.article_id is not None and outcome.kind in ("new", "version"):
            # Queued for the dedup stage, which decides once this batch is committed.
            fingerprints.store(session, outcome.article_id, item.minhash, new_article=outcome.kind == "new")
        return outcome

    @staticmethod
    def _judge_canonical_claim(session: Session, item: PageItem, capture: CaptureData) -> None:
        """Decide the URL the article is archived under: its own, or the one its canonical tag claims
        when the archive holds that article with the same text (pipelines.canonical); the claim and its
        verdict go on the capture."""
        assert item.content_hash, "DedupPipeline must run before ArchivePipeline"
        try:
            judgement = canonical.judge(
                session, item.final_url, item.article.canonical_url, home_url=item.portal_home,
                rules=item.link_rules, content_hash=item.content_hash, text=item.article.text,
            )  # fmt: skip
        except SQLAlchemyError:
            raise  # the batch's retry policy decides
        except Exception:  # noqa: BLE001 - a claim that cannot be judged is not trusted
            logger.exception("canonical claim of %s not judged; archived under its own URL", item.final_url)
            judgement = canonical.Judgement(canonical_url(item.final_url))
        item.canonical_url = judgement.canonical_url
        item.canonical_verdict = judgement.verdict
        capture.canonical_claim, capture.canonical_verdict = judgement.claim, judgement.verdict

    def _portal_id(self, session: Session, item: PageItem) -> int:
        if item.portal_key not in self.portal_ids:
            portal = ensure_portal(session, item.portal_key, item.portal_name, item.portal_home)
            self.portal_ids[item.portal_key] = portal.id
        return self.portal_ids[item.portal_key]


def _log_retry(exc: DBAPIError, attempt: int) -> None:
    logger.info("archive write failed (attempt %d): %s; retrying", attempt, exception_line(exc))


def _fetch_outcome(item: PageItem, outcome: ArchiveOutcome) -> frontier.FetchOutcome:
    """What the frontier learns from one fetch: archived (with its article), failed, or no article."""
    if outcome.article_id is not None:
        state = FrontierState.ARCHIVED
    elif item.failure_status in ("fetch_failed", "refused"):
        state = FrontierState.FAILED
    else:
        state = FrontierState.FETCHED  # fetched, but no article: extraction failed, not an article
    published = item.article.published_at if item.article is not None else None
    return frontier.FetchOutcome(
        url=item.url,
        fetched_at=item.fetched_at,
        http_status=item.http_status,
        state=state.value,
        reason=item.failure_reason,
        headers=item.headers,
        article_id=outcome.article_id,
        published_at=published,
        new_article=outcome.kind == "new",
    )


def _article_data(item: PageItem) -> ArticleData:
    assert item.canonical_url and item.content_hash, "DedupPipeline must run before ArchivePipeline"
    language, confidence = item.language or "und", item.language_confidence or 0.0
    reason = (
        off_language_reason(language, confidence, item.language_reason or "") if item.off_language else None
    )
    return ArticleData.of(
        item.article, canonical_url=item.canonical_url, content_hash=item.content_hash, language=language,
        language_confidence=confidence, off_language_reason=reason, search=item.search,
    )  # fmt: skip
