"""The spider's view of the frontier (storage.frontier): which discovered URLs to fetch, off the reactor.

Every call runs in one dedicated thread with its own short transaction, so the reactor never waits on
the database and the frontier's writes never race each other.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from crawler.portals import Portal
from storage import frontier, repository
from storage.db import open_archive

logger = logging.getLogger(__name__)
T = TypeVar("T")
TRANSACTION_ATTEMPTS = 4


class Frontier:
    """Plans article fetches for the spider: new, changed, due or retried URLs; the rest are skipped.

    Opened by the spider when the crawl starts (``open``), closed with it. Without an archive (a unit
    test's spider) every URL is planned as new.
    """

    def __init__(self, database_url: str | None) -> None:
        self.database_url = database_url
        self.engine: Engine | None = None
        self.factory: sessionmaker[Session] | None = None
        self.portal_ids: dict[str, int] = {}
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frontier")

    def open(self, portals: Sequence[Portal]) -> None:
        """Open the archive and register the portals. Raises ArchiveUnavailable."""
        if not self.database_url:
            return
        self.engine, self.factory = open_archive(self.database_url, create=True, writer=True)
        with self.factory.begin() as session:
            for portal in portals:
                self.portal_ids[portal.key] = repository.ensure_portal(
                    session, portal.key, portal.name, portal.home_url
                ).id

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        if self.engine is not None:
            self.engine.dispose()

    async def _run(self, work: Callable[[Session], T]) -> T:
        assert self.factory is not None
        factory = self.factory

        def transaction() -> T:
            # The archive writer updates the same rows from its own transactions: on PostgreSQL one
            # of two may be chosen as a deadlock victim; the frontier's short transaction is retried.
            for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
                try:
                    with factory.begin() as session:
                        return work(session)
                except OperationalError:
                    if attempt == TRANSACTION_ATTEMPTS:
                        raise
                    time.sleep(0.2 * attempt)
            raise AssertionError("unreachable")

        return await asyncio.get_running_loop().run_in_executor(self._thread, transaction)

    async def plan(
        self, portal: Portal, discoveries: Sequence[frontier.Discovery], since: datetime | None = None
    ) -> list[frontier.Plan]:
        """Return whether to fetch each discovered URL (see storage.frontier.plan)."""
        if self.factory is None or not discoveries:
            return [frontier.Plan(d.url, True, "new", False) for d in discoveries]
        portal_id = self.portal_ids[portal.key]
        return await self._run(lambda session: frontier.plan(session, portal_id, discoveries, since=since))

    async def due(self, portal: Portal, limit: int) -> list[tuple[str, str | None, str | None]]:
        """Return (url, etag, last_modified) of the portal's entries whose revisit or retry is due."""
        if self.factory is None:
            return []
        portal_id = self.portal_ids[portal.key]

        def work(session: Session) -> list[tuple[str, str | None, str | None]]:
            return [(e.url, e.etag, e.last_modified) for e in frontier.due(session, portal_id, limit=limit)]

        return await self._run(work)

    async def sitemap_changed(self, portal: Portal, url: str, lastmod: datetime | None) -> bool:
        if self.factory is None:
            return True
        portal_id = self.portal_ids[portal.key]
        return await self._run(lambda session: frontier.sitemap_changed(session, portal_id, url, lastmod))

    async def record_sitemap(self, portal: Portal, url: str, fetched_at: datetime) -> None:
        if self.factory is None:
            return
        portal_id = self.portal_ids[portal.key]
        await self._run(lambda session: frontier.record_sitemap(session, portal_id, url, fetched_at))

    async def listing_walked(
        self, portal: Portal, url: str, next_pages: Sequence[str], fetched_at: datetime
    ) -> set[str]:
        """Record that the listing page ``url`` was walked; return which of ``next_pages`` were walked
        by an earlier crawl."""
        if self.factory is None:
            return set()
        portal_id = self.portal_ids[portal.key]

        def work(session: Session) -> set[str]:
            frontier.record_listing(session, portal_id, url, fetched_at)
            return frontier.walked_listings(session, next_pages)

        return await self._run(work)

    def describe(self) -> dict[str, Any]:
        return {"archive": self.database_url, "portals": dict(self.portal_ids)}
