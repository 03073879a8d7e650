"""The run-record and lease extensions' own connection to the archive."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.db import open_archive

T = TypeVar("T")


class ArchiveSessions:
    """A small engine of the extensions' own: ``run(work)`` runs ``work(session)`` in one transaction
    (the extensions call it from Twisted's thread pool)."""

    def __init__(self, database_url: str) -> None:
        self.engine: Engine
        self.factory: sessionmaker[Session]
        self.engine, self.factory = open_archive(database_url, create=True, writer=True)

    def run(self, work: Callable[[Session], T]) -> T:
        with self.factory.begin() as session:
            return work(session)

    def dispose(self) -> None:
        self.engine.dispose()
