"""LeaseKeeper: a portal is crawled only by the crawl that holds its lease (storage.leases)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from twisted.internet import task, threads

from crawler import defaults
from crawler.runtime.archive_sessions import ArchiveSessions
from pipelines.outage import ArchiveOutage, outage_of
from storage import leases
from storage.db import ArchiveUnavailable
from storage.safe_text import exception_line
from storage.timezone import local_iso

logger = logging.getLogger(__name__)


class LeaseKeeper:
    """Crawls a portal only while holding its lease (storage.leases): one crawl per portal at a time
    across processes and machines. Portals another live crawl holds are skipped with one line (and
    listed in the spider's ``leased_portals``); leases are renewed every third of their TTL and released at
    the end. NEWSARCHIVE_LEASE_FORCE takes leases regardless.

    Settings: LEASES_ENABLED (default True), ARCHIVE_DATABASE_URL, NEWSARCHIVE_LEASE_FORCE.
    """

    def __init__(self, database_url: str, force: bool, outage: ArchiveOutage | None = None) -> None:
        self.database_url = database_url
        self.outage = outage or ArchiveOutage()
        self.force = force
        self.holder = leases.new_holder()
        self.held: list[str] = []
        self.archive: ArchiveSessions | None = None
        self.renewal: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> LeaseKeeper:
        settings = crawler.settings
        if not settings.getbool("LEASES_ENABLED", defaults.LEASES_ENABLED):
            raise NotConfigured("LEASES_ENABLED is off")
        keeper = cls(
            settings.get("ARCHIVE_DATABASE_URL"),
            settings.getbool("NEWSARCHIVE_LEASE_FORCE", defaults.NEWSARCHIVE_LEASE_FORCE),
            outage_of(crawler),
        )
        crawler.signals.connect(keeper.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(keeper.spider_closed, signal=signals.spider_closed)
        return keeper

    def spider_opened(self, spider: Any) -> None:
        portals: dict[str, Any] = getattr(spider, "portals", {})
        spider.leased_portals = {}
        try:
            self.archive = ArchiveSessions(self.database_url, self.outage)
        except ArchiveUnavailable as exc:
            logger.error("leases unavailable: %s", exc)
            return
        try:
            self._acquire_all(spider, portals)
        except SQLAlchemyError as exc:
            # The archive did not come back within its budget: the crawl stops (archive_unavailable).
            self.outage.give_up(exc)
            return
        self.renewal = task.LoopingCall(self._renew)
        self.renewal.start(leases.LEASE_TTL.total_seconds() / 3, now=False)

    def _acquire_all(self, spider: Any, portals: dict[str, Any]) -> None:
        """Take each portal's lease; drop from ``portals`` those another live crawl holds."""
        assert self.archive is not None
        for key in list(portals):
            blocker = self.archive.run(self._acquirer(key))
            if blocker is not None and leases.dead_on_this_host(*leases.holder_process(blocker.holder)):
                # Its holder was killed on this machine: no need to wait for the lease to lapse.
                logger.warning(
                    "portal %s: the lease of a killed crawl (%s) is taken over", key, blocker.holder
                )
                blocker = self.archive.run(self._acquirer(key, force=True))
            if blocker is None:
                self.held.append(key)
                continue
            until = local_iso(blocker.expires_at.replace(microsecond=0))
            logger.warning(
                "portal %s is being crawled by %s (lease until %s): skipped", key, blocker.holder, until
            )
            spider.leased_portals[key] = blocker.holder
            del portals[key]

    def _renew(self) -> Any:
        if self.archive is None or not self.held:
            return None
        archive, held, holder = self.archive, list(self.held), self.holder
        deferred = threads.deferToThread(archive.run, lambda session: leases.renew(session, held, holder))

        def lost(keys: list[str]) -> None:
            for key in keys:
                logger.error("the lease on portal %s was taken by another crawl (--force)", key)
                self.held.remove(key)

        deferred.addCallback(lost)
        deferred.addErrback(
            lambda failure: logger.warning("leases not renewed: %s", failure.getErrorMessage())
        )
        return deferred

    def _acquirer(self, key: str, force: bool = False) -> Callable[[Session], leases.LeaseInfo | None]:
        return lambda session: leases.acquire(session, key, self.holder, force=force or self.force)

    def spider_closed(self, spider: Any) -> None:
        if self.renewal is not None and self.renewal.running:
            self.renewal.stop()
        if self.archive is None:
            return
        try:
            if self.held:
                held, holder = list(self.held), self.holder
                self.archive.run(lambda session: leases.release(session, held, holder))
        except SQLAlchemyError as exc:
            logger.warning("leases not released (they lapse on their own): %s", exception_line(exc))
        finally:
            self.archive.dispose()
