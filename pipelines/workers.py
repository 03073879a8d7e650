"""One process pool per crawl, shared by the CPU-bound stages (extraction, language), off the reactor."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

_ATTRIBUTE = "_newsarchive_worker_pool"


class WorkerPool:
    """A lazily started ProcessPoolExecutor that survives a crashed worker by starting afresh.

    Settings: EXTRACTION_WORKERS (processes; default one per core).
    """

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._executor: ProcessPoolExecutor | None = None

    @classmethod
    def for_crawler(cls, crawler: Any) -> WorkerPool:
        """Return the crawl's pool, creating it for the first stage that asks."""
        pool = getattr(crawler, _ATTRIBUTE, None)
        if pool is None:
            pool = cls(crawler.settings.getint("EXTRACTION_WORKERS", 2))
            setattr(crawler, _ATTRIBUTE, pool)
        return pool

    @property
    def executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # forkserver: forking the crawler itself would copy the reactor's threads and sockets.
            context = multiprocessing.get_context("forkserver")
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context)
        return self._executor

    def discard(self) -> None:
        """Forget a broken executor (a worker died); the next submit starts a new one."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = None

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
