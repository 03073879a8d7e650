"""The run-record and lease extensions' own connection to the archive."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pipelines.outage import ArchiveOutage
from storage.db import open_archive, run_transaction

T = TypeVar("T")


class ArchiveSessions:
    """A small engine of the extensions' own: ``run(work)`` runs ``work(session)`` in one transaction,
    retried under the crawl's ArchiveOutage like every archive call of a crawl (the extensions call it
    from Twisted's thread pool, and at the crawl's start and end)."""

    def __init__(self, database_url: str, outage: ArchiveOutage | None = None) -> None:
        self.engine: Engine
        self.factory: sessionmaker[Session]
        self.outage = outage or ArchiveOutage()
        self.engine, self.factory = open_archive(database_url, create=True, writer=True)

    def run(self, work: Callable[[Session], T]) -> T:
        return run_transaction(self.factory, work, outage=self.outage)

    def dispose(self) -> None:
        self.engine.dispose()
