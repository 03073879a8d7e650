"""Importer: captured pages (WARC records, CDX replays) through the crawl's own analysis and stages.

Each page goes where a crawled article page goes: one worker call (pipelines.analysis, with the portal's
link rules, so a page that is no article is recognised as the spider recognises it), then the item
pipelines in ITEM_PIPELINES order: ExtractionPipeline, LanguagePipeline, DedupPipeline, ArchivePipeline
(batched writes, then dedup decisions). Nothing here re-implements a stage: the pipelines are built
from the project's settings on a stand-in crawler (settings, stats, no engine).

The frontier is not written (FRONTIER_ENABLED off): an import fetches nothing, and a capture from 2024
must not schedule or retire today's fetches.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crawler.imports.pages import Failed, ImportedPage, Skipped
from crawler.portals import Portal, portal_for_url
from pipelines.analysis.job import ANALYSIS_MODULE, PageJob, PageResult, analyse_page
from pipelines.analysis.pool import WorkerFailed, WorkerPool
from pipelines.archive import ArchivePipeline
from pipelines.dedup import DedupPipeline
from pipelines.extraction import ExtractionPipeline
from pipelines.items import PageItem
from pipelines.language import LanguagePipeline
from storage.db import open_archive, run_transaction
from storage.models import Capture
from storage.runs import record_lineage
from storage.safe_text import exception_line
from storage.urls import indexable_url

logger = logging.getLogger(__name__)

# Keys of pages this run handed to the archive stage, so the same record twice in one run is one
# capture even before its batch is committed; cleared when it grows past this (long since written).
_RECENT_LIMIT = 100_000


@dataclass
class ImportSummary:
    """What one import did: records read, skipped (by reason), and what the archive stage made of the
    pages it got (from its stats: archive/stored, archive/version, ...)."""

    read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    pages_failed: int = 0  # analysis crashed or a stage raised
    unwritten: int = 0  # the archive could not write them (archive/errors, archive/rejected)
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """Pages that could not be imported as they should: the command exits 1 when there are any."""
        return self.pages_failed + self.unwritten

    @property
    def archived(self) -> int:
        """New articles and new versions (earlier ones included) the import added."""
        return sum(self.outcomes[key] for key in ("stored", "version", "earlier_version", "off_language"))

    @property
    def duplicate(self) -> int:
        """New articles the dedup stage found to copy another article (exactly or nearly)."""
        return self.outcomes["duplicate"] + self.outcomes["near_duplicate"]

    def fail(self, message: str) -> None:
        self.pages_failed += 1
        if len(self.errors) < 100:
            self.errors.append(message)

    def line(self) -> str:
        """The one-line summary the commands print."""
        skipped = sum(self.skipped.values())
        reasons = ", ".join(f"{reason} {count}" for reason, count in self.skipped.most_common())
        no_article = self.outcomes["failed"]
        return (
            f"read {self.read} records; skipped {skipped}{f' ({reasons})' if reasons else ''}; "
            f"archived {self.archived} (new articles {self.outcomes['stored']}, versions "
            f"{self.outcomes['version'] + self.outcomes['earlier_version']}, off-language "
            f"{self.outcomes['off_language']}); duplicate {self.duplicate}; same text again "
            f"{self.outcomes['revisit']}; kept without article {no_article}; failed {self.failed}"
        )


class _StandIn:
    """What the item pipelines' from_crawler reads of a crawler: its settings and stats; no engine."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stats = MemoryStatsCollector(self)  # type: ignore[arg-type]
        self.engine = None


class Importer:
    """Archives ImportedPages of ``portals`` into ``database_url``; use ``async with`` around ``run``.

    ``portals``: the registry's (or the operator's) portals whose URLs are imported; ``restricted``:
    only those (``--portal``/``--start-url``), else a record our own export names a portal for is
    imported under that portal. ``settings``: the project's (workers, batch size, languages).
    """

    def __init__(
        self,
        database_url: str,
        portals: Iterable[Portal],
        settings: Settings,
        *,
        restricted: bool = False,
        on_progress: Callable[[ImportSummary], Any] = lambda summary: None,
    ) -> None:
        self.portals = {portal.key: portal for portal in portals}
        self.restricted = restricted
        self.on_progress = on_progress
        settings = settings.copy()
        settings.set("ARCHIVE_DATABASE_URL", database_url, priority="cmdline")
        settings.set("FRONTIER_ENABLED", False, priority="cmdline")
        self.crawler = _StandIn(settings)
        self.summary = ImportSummary()
        self.pool = WorkerPool.for_crawler(self.crawler, analyse_page, (ANALYSIS_MODULE,))
        self.stages: list[Any] = [
            ExtractionPipeline.from_crawler(self.crawler),
            LanguagePipeline.from_crawler(self.crawler),
            DedupPipeline.from_crawler(self.crawler),
        ]
        self.archive = ArchivePipeline.from_crawler(self.crawler)
        # Pages in flight: enough to fill an archive batch while the workers stay busy.
        self.window = settings.getint("ARCHIVE_BATCH_SIZE", 50) + 4 * self.pool.workers
        self.recent: set[bytes] = set()
        self.reader: sessionmaker[Session] | None = None
        self._engine: Any = None

    async def __aenter__(self) -> Importer:
        self.archive.open_spider()  # ArchiveUnavailable propagates: nothing to import into
        self._engine, self.reader = open_archive(self.crawler.settings.get("ARCHIVE_DATABASE_URL"))
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            self.archive.close_spider()
            self._record_lineage()
        finally:
            self.pool.shutdown()
            if self._engine is not None:
                self._engine.dispose()
        self._count_outcomes()

    def _record_lineage(self) -> None:
        """Copy the registry's lineage of the chosen portals onto the archive's rows of them (the web's
        portal page shows it): the archive pipeline files pages under a portal without it."""
        engine, writer = open_archive(self.crawler.settings.get("ARCHIVE_DATABASE_URL"), writer=True)
        lineages = {key: portal.lineage for key, portal in self.portals.items()}
        try:
            run_transaction(writer, lambda session: record_lineage(session, lineages))
        finally:
            engine.dispose()

    async def run(self, pages: AsyncIterator[ImportedPage | Skipped | Failed]) -> ImportSummary:
        """Import every page of ``pages`` (skips are counted); returns the summary so far.

        When ``pages`` raises (a CDX server gone mid-way), the pages already handed out are archived
        first, then the exception propagates.
        """
        slots = asyncio.Semaphore(self.window)
        tasks: set[asyncio.Task[None]] = set()
        last_progress = time.monotonic()
        try:
            async for page in pages:
                self.summary.read += 1
                if isinstance(page, Skipped):
                    self.summary.skipped[page.reason] += 1
                elif isinstance(page, Failed):
                    self.summary.fail(f"{page.url}: {page.reason}")
                else:
                    await slots.acquire()
                    task = asyncio.create_task(self._import(page))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                    task.add_done_callback(lambda _: slots.release())
                if time.monotonic() - last_progress >= 2:
                    last_progress = time.monotonic()
                    self._count_outcomes()
                    self.on_progress(self.summary)
        finally:
            if tasks:
                await asyncio.gather(*tasks)
            self._count_outcomes()
        return self.summary

    async def _import(self, page: ImportedPage) -> None:
        try:
            reason = await self._archive(page)
        except Exception as exc:  # noqa: BLE001 - one page's failure is counted, the import goes on
            logger.exception("import of %s failed", page.url)
            self.summary.fail(f"{page.url}: {exception_line(exc)}")
            return
        if reason is not None:
            self.summary.skipped[reason] += 1

    async def _archive(self, page: ImportedPage) -> str | None:
        """Archive one page; return why it was skipped, or None."""
        portal = self.portal_of(page)
        if portal is None:
            return "not on the portals imported"
        if portal.classify(page.url) == "listing" and portal.article_url_pattern:
            return "listing page"
        key = _record_key(page)
        if key in self.recent or await asyncio.to_thread(self._held, page):
            return "already in the archive"
        if len(self.recent) >= _RECENT_LIMIT:
            self.recent.clear()
        self.recent.add(key)
        item = _item(page, portal)
        job = PageJob(
            page.body, page.url, page.content_type, None, portal.prune_xpath, links=portal.link_rules
        )
        try:
            result: PageResult = await self.pool.run(job)
        except WorkerFailed as exc:
            item.fail("extraction_failed", str(exc))
            self.summary.fail(f"{page.url}: {exc}")
        else:
            if result.links is not None and not result.links.is_article:
                self.recent.discard(key)
                return "not an article"
            item.analysis = result
        for stage in self.stages:
            outcome = stage.process_item(item)
            item = await outcome if asyncio.iscoroutine(outcome) else outcome
        await self.archive.process_item(item)
        return None

    def portal_of(self, page: ImportedPage) -> Portal | None:
        """The portal a page is archived under (see portal_for)."""
        return self.portal_for(page.url, page.portal_hint)

    def portal_for(self, url: str, hint: tuple[str, str] | None) -> Portal | None:
        """A chosen or registered portal whose site (or alias) ``url`` is on; else, unless restricted,
        the portal our own export named (``hint``: key, name)."""
        portal = portal_for_url(url, self.portals)
        if portal is not None or self.restricted or hint is None:
            return portal
        key, name = hint
        if key in self.portals:
            return None  # a registered portal, but the URL is on none of its hosts
        parts = urlsplit(url)
        return Portal(key=key, name=name, home_url=f"{parts.scheme}://{parts.netloc}/")

    def wants(self, url: str, hint: tuple[str, str] | None) -> bool:
        """Whether a record of ``url`` would be imported at all (WarcReader's ``wanted``)."""
        return self.portal_for(url, hint) is not None

    def _held(self, page: ImportedPage) -> bool:
        """Whether the archive holds this capture already: the same bytes from the same URL, captured
        over a span that includes this record's time (an import run twice is one capture)."""
        assert self.reader is not None
        digest = hashlib.sha256(page.body).hexdigest()
        with self.reader() as session:
            row = session.execute(
                select(Capture.fetched_at, Capture.last_fetched_at).where(
                    Capture.url == indexable_url(page.requested_url or page.url),
                    Capture.body_sha256 == digest,
                )
            ).first()
        # A second either side: a CDX timestamp has whole seconds, a WARC-Date may have fractions.
        slack = timedelta(seconds=1)
        return row is not None and row[0] - slack <= page.captured_at <= row[1] + slack

    def _count_outcomes(self) -> None:
        stats = self.crawler.stats.get_stats()
        for name in ("stored", "version", "earlier_version", "revisit", "duplicate", "near_duplicate",
                     "off_language", "failed"):  # fmt: skip
            self.summary.outcomes[name] = int(stats.get(f"archive/{name}", 0))
        self.summary.unwritten = int(stats.get("archive/errors", 0)) + int(stats.get("archive/rejected", 0))


def _record_key(page: ImportedPage) -> bytes:
    identity = f"{page.requested_url or page.url}\n{page.captured_at.isoformat()}\n".encode()
    return hashlib.blake2b(identity + page.body, digest_size=16).digest()


def _item(page: ImportedPage, portal: Portal) -> PageItem:
    return PageItem(
        url=page.requested_url or page.url,
        final_url=page.url,
        http_status=page.http_status,
        headers=page.headers,
        body=page.body,
        fetched_at=page.captured_at,
        discovered_via=page.via,
        portal_key=portal.key,
        portal_name=portal.name,
        portal_home=portal.home_url,
        content_type=page.content_type,
        prune_xpath=portal.prune_xpath,
        revisit=portal.revisit,
        request_headers=page.request_headers,
        protocol=page.protocol,
        provenance=page.provenance,
    )
