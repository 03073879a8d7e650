"""The bare extraction rate: a library alone on pages held in memory, in a process pool, no crawler around.

It is the ceiling the crawl is compared with: the crawl does this work plus fetching, link reading,
language, dedup and archiving, so crawl rate / bare rate says what the rest costs.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Pages handed to a worker at a time: large enough that the pool's pipe is no cost next to an extraction
# (milliseconds per page), small enough that both workers finish together at the end of the run.
CHUNK = 4

# The pages and the function of the running measurement. Set before the pool forks, so each worker
# reads them from its copy of the parent's memory and only page numbers cross the pipes.
_pages: Sequence[bytes] = ()
_library = "trafilatura"


def newsplease_available() -> bool:
    """Whether news-please can be imported (it is no dependency of the project)."""
    try:
        import newsplease  # noqa: F401
    except Exception:  # noqa: BLE001 - missing, or broken by its own dependencies: either way, not measured
        return False
    return True


def _extract(html: bytes) -> Any:
    if _library == "newsplease":
        from newsplease import NewsPlease

        # news-please wants text; its own crawler decodes with the response's encoding first.
        return NewsPlease.from_html(html.decode("utf-8", "replace"), url=None, fetch_images=False)
    import trafilatura

    return trafilatura.bare_extraction(html, with_metadata=True)


def _work(number: int) -> float:
    """Extract one page; return the CPU seconds it took in this worker (process_time: user + system)."""
    started = time.process_time()
    # A page the library fails on still took its time; go on.
    with contextlib.suppress(Exception):
        _extract(_pages[number])
    return time.process_time() - started


def _default_signals() -> None:
    """Pool initializer: the default SIGTERM and SIGINT handling, whatever the parent had installed."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _warm(_: int) -> int:
    # Imports and the library's first-call set-up (tokenisers, caches) are paid before the clock runs.
    _extract(_pages[0])
    time.sleep(0.2)  # so each worker takes one warm-up job, not one worker all of them
    return 0


@dataclass(frozen=True)
class PoolRun:
    """One bare pool run: pages per second of wall time, and CPU seconds per page counted inside the
    workers around each extraction (so a machine shared with other work does not change it much)."""

    pps: float
    cpu_per_page: float


def pool_rate(pages: Sequence[bytes], workers: int, library: str) -> float:
    """Return pages per second of ``library`` ("trafilatura" or "newsplease") over ``pages`` with
    ``workers`` processes, start-up and warm-up excluded. Raises ValueError on an empty page list."""
    return pool_run(pages, workers, library).pps


def pool_run(pages: Sequence[bytes], workers: int, library: str) -> PoolRun:
    """Run ``library`` over ``pages`` with ``workers`` processes: its rate and CPU per page (PoolRun),
    start-up and warm-up excluded. Raises ValueError on an empty page list."""
    global _pages, _library
    if not pages:
        raise ValueError("no pages")
    _pages, _library = pages, library
    try:
        # fork: the workers share the parent's pages instead of receiving them through pipes.
        # Default signal handlers in the workers, and close + join rather than the context manager's
        # terminate(): a fork inherits the parent's Python SIGTERM handler (a test process that ran a
        # crawl in-process has Scrapy's), which turns terminate() into a wait for ever.
        with multiprocessing.get_context("fork").Pool(workers, initializer=_default_signals) as pool:
            pool.map(_warm, range(workers), chunksize=1)
            started = time.perf_counter()
            cpu = sum(pool.imap_unordered(_work, range(len(pages)), chunksize=CHUNK))
            elapsed = time.perf_counter() - started
            pool.close()
            pool.join()
    finally:
        _pages = ()
    return PoolRun(len(pages) / elapsed, cpu / len(pages))
