"""The spider's view of the frontier (storage.frontier): which discovered URLs to fetch, off the reactor.

Decisions are read-only lookups in a thread of their own, so the spider never waits for the database's
write lock; what discovery learned (new URLs, when each was seen, sitemap and listing records) is
buffered and written by a second thread in one transaction about once a second. Both go through the
archive's retry policy with the crawl's ArchiveOutage (storage.db): a database that drops out is waited
for, the callbacks that asked simply wait too, and records that could not be written stay buffered.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from crawler.portals import Portal
from pipelines.outage import ArchiveOutage
from storage import frontier
from storage.db import is_retriable, open_archive, run_transaction
from storage.frontier import pages as frontier_pages
from storage.models import utcnow
from storage.runs import ensure_portal
from storage.safe_text import exception_line

logger = logging.getLogger(__name__)
T = TypeVar("T")
# Discovery records are written at most this often: one write transaction instead of one per page.
FLUSH_SECONDS = 1.0


@dataclass(frozen=True)
class _FetchRecord:
    """A buffered ``storage.frontier.record_fetch``, kept as data so that a flush locks the entries of all
    its fetch records in one query (``lock_entries``) instead of one locking SELECT each: a replica crawl
    records ~4,000 robots-forbidden article URLs, and one by one they were a third of the frontier
    writer thread's CPU."""

    portal_id: int
    outcome: frontier.FetchOutcome
    policy: frontier.RevisitPolicy


_Buffered = Callable[[Session], object] | _FetchRecord | frontier.DiscoveryRecord


def _apply(session: Session, pending: Sequence[_Buffered]) -> None:
    """Run the buffered writes in their order. The entries the fetch records name are locked first, all
    at once; the session's identity map gives every later read of those rows the same objects, so each
    record still sees what the writes before it left. An entry that does not exist yet (a discovery in
    this flush creates it) is looked up by its own record_fetch, as before. Consecutive discovery records
    are written together (record_discovery_records): a replica crawl's flush held ~70, in runs of ~5."""
    records = [work for work in pending if isinstance(work, _FetchRecord)]
    entries = frontier.lock_entries(session, [record.outcome.url for record in records]) if records else {}
    discoveries: list[frontier.DiscoveryRecord] = []
    for work in pending:
        if isinstance(work, frontier.DiscoveryRecord):
            discoveries.append(work)
            continue
        if discoveries:
            frontier.record_discovery_records(session, discoveries)
            discoveries = []
        if isinstance(work, _FetchRecord):
            entry = entries.get(work.outcome.url)
            frontier.record_fetch(session, work.portal_id, work.outcome, work.policy, entry)
        else:
            work(session)
    if discoveries:
        frontier.record_discovery_records(session, discoveries)


class FrontierPlanner:
    """Plans article fetches for the spider: new, changed, due or retried URLs; the rest are skipped.

    Opened by the spider when the crawl starts (``open``), flushed and closed with it. Without an
    archive (a unit test's spider) every URL is planned as new.
    """

    def __init__(self, database_url: str | None, outage: ArchiveOutage | None = None) -> None:
        self.database_url = database_url
        self.outage = outage or ArchiveOutage()
        self.engine: Engine | None = None
        self.factory: sessionmaker[Session] | None = None
        self.writer_engine: Engine | None = None
        self.writer: sessionmaker[Session] | None = None
        self.portal_ids: dict[str, int] = {}
        self._reads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frontier-read")
        self._pending: list[_Buffered] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None

    def open(self, portals: Sequence[Portal]) -> None:
        """Open the archive and register the portals. Raises ArchiveUnavailable."""
        if not self.database_url:
            return
        self.writer_engine, self.writer = open_archive(self.database_url, create=True, writer=True)
        self.engine, self.factory = open_archive(self.database_url)

        def register(session: Session) -> dict[str, int]:
            return {p.key: ensure_portal(session, p.key, p.name, p.home_url, p.lineage).id for p in portals}

        self.portal_ids = run_transaction(self.writer, register, outage=self.outage)
        self._flusher = threading.Thread(target=self._flush_loop, name="frontier-write", daemon=True)
        self._flusher.start()

    def close(self) -> None:
        self._reads.shutdown(wait=True)
        self._stop.set()
        if self._flusher is not None:
            self._flusher.join()
        self._flush()  # what the last second discovered
        for engine in (self.engine, self.writer_engine):
            if engine is not None:
                engine.dispose()

    # -- writes: buffered ------------------------------------------------------------------------

    def _later(self, work: _Buffered) -> None:
        if self.writer is not None:
            with self._lock:
                self._pending.append(work)

    def _flush_loop(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending or self.writer is None:
            return
        try:
            run_transaction(self.writer, lambda session: _apply(session, pending), outage=self.outage)
        except SQLAlchemyError as exc:
            if self._stop.is_set() or not is_retriable(exc):
                # Lost records cost a refetch or a re-walk next time, never an article.
                logger.warning(
                    "frontier: %d discovery records not written: %s", len(pending), exception_line(exc)
                )
                return
            with self._lock:  # kept for the last flush, at close
                self._pending[:0] = pending

    # -- reads: decisions ------------------------------------------------------------------------

    async def _read(self, work: Callable[[Session], T]) -> T:
        assert self.factory is not None
        factory = self.factory
        return await asyncio.get_running_loop().run_in_executor(
            self._reads, lambda: run_transaction(factory, work, outage=self.outage)
        )

    async def plan(
        self, portal: Portal, discoveries: Sequence[frontier.Discovery], since: datetime | None = None
    ) -> list[frontier.Plan]:
        """Return whether to fetch each discovered URL (storage.frontier.plan), and record the discovery."""
        if self.factory is None or not discoveries:
            return [frontier.Plan(d.url, True, "new", False) for d in discoveries]
        portal_id, now, found = self.portal_ids[portal.key], utcnow(), list(discoveries)
        plans = await self._read(lambda session: frontier.plan(session, found, now=now, since=since))
        self._later(frontier.DiscoveryRecord(portal_id, found, now))
        return plans

    async def due(
        self, portal: Portal, limit: int, since: datetime | None = None
    ) -> list[tuple[str, str | None, str | None]]:
        """Return (url, etag, last_modified) of the portal's entries the frontier owes a fetch: never
        fetched, or whose revisit, retry or changed lastmod is due (storage.frontier.due)."""
        if self.factory is None:
            return []
        portal_id = self.portal_ids[portal.key]

        def work(session: Session) -> list[tuple[str, str | None, str | None]]:
            entries = frontier.due(session, portal_id, limit=limit, since=since)
            return [(e.url, e.etag, e.last_modified) for e in entries]

        try:
            return await self._read(work)
        except SQLAlchemyError as exc:
            # Asked from the spider's start(), where an exception would stop the engine with a traceback:
            # the crawl stops with archive_unavailable instead (the backpressure extension sees the loss).
            self.outage.give_up(exc)
            return []

    async def sitemap_changed(self, portal: Portal, url: str, lastmod: datetime | None) -> bool:
        if self.factory is None:
            return True
        portal_id = self.portal_ids[portal.key]
        return await self._read(
            lambda session: frontier_pages.sitemap_changed(session, portal_id, url, lastmod)
        )

    async def record_sitemap(
        self, portal: Portal, url: str, fetched_at: datetime, lastmod: datetime | None = None
    ) -> None:
        """Record that a sitemap was read, with the lastmod its index gave it (storage.frontier)."""
        if self.factory is not None:
            portal_id = self.portal_ids[portal.key]
            self._later(
                lambda session: frontier_pages.record_sitemap(session, portal_id, url, fetched_at, lastmod)
            )

    async def walk_open(self, portal: Portal, series: str) -> bool:
        """Whether the last walk of the pagination series ``series`` did not end (storage.frontier)."""
        if self.factory is None:
            return False
        return bool(await self._read(lambda session: frontier_pages.open_walks(session, [series])))

    def record_walk(self, portal: Portal, series: str, *, walk_open: bool) -> None:
        """Record whether the walk of ``series`` goes on past the page just walked."""
        if self.factory is not None:
            portal_id, now = self.portal_ids[portal.key], utcnow()
            self._later(
                lambda session: frontier_pages.record_walk(
                    session, portal_id, series, now, walk_open=walk_open
                )
            )

    async def listing_walked(
        self, portal: Portal, url: str, next_pages: Sequence[str], fetched_at: datetime
    ) -> set[str]:
        """Record that the listing page ``url`` was walked; return which of ``next_pages`` an earlier
        crawl walked."""
        if self.factory is None:
            return set()
        portal_id, pages = self.portal_ids[portal.key], list(next_pages)
        self._later(lambda session: frontier_pages.record_listing(session, portal_id, url, fetched_at))
        return await self._read(lambda session: frontier_pages.walked_listings(session, pages))

    def record_fetch(self, portal: Portal, outcome: frontier.FetchOutcome) -> None:
        """Record the outcome of an article fetch that yields no capture (robots.txt forbids it, the page
        is no article), so the frontier stops owing it a fetch."""
        if self.factory is not None:
            portal_id, policy = self.portal_ids[portal.key], portal.revisit
            self._later(_FetchRecord(portal_id, outcome, policy))

    def describe(self) -> dict[str, Any]:
        return {"archive": self.database_url, "portals": dict(self.portal_ids)}
