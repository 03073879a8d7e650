"""The bare extraction rate: a library alone on pages held in memory, in a process pool, no crawler around.

It is the ceiling the crawl is compared with: the crawl does this work plus fetching, link reading,
language, dedup and archiving, so crawl rate / bare rate says what the rest costs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

ROOT = Path(__file__).resolve().parents[2]
# A page in a pages file: its length (8 bytes, big-endian), then its bytes.
_LENGTH = struct.Struct(">Q")

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


# news-please pins its own versions of Scrapy, lxml and more, so it lives in an interpreter of its own
# (make bench installs it in .venv-newsplease) and runs this module there: the pages go to it through a
# file, its rate comes back as JSON. This module imports nothing of the project, so that interpreter
# needs only news-please.


def write_pages(pages: Iterable[bytes], out: BinaryIO) -> int:
    """Write ``pages`` to ``out`` as a pages file; return how many."""
    count = 0
    for page in pages:
        out.write(_LENGTH.pack(len(page)))
        out.write(page)
        count += 1
    return count


def read_pages(source: BinaryIO) -> list[bytes]:
    """The pages of a pages file written by write_pages. Raises ValueError if it is cut short."""
    pages = []
    while header := source.read(_LENGTH.size):
        if len(header) != _LENGTH.size:
            raise ValueError("pages file cut short in a length")
        (length,) = _LENGTH.unpack(header)
        page = source.read(length)
        if len(page) != length:
            raise ValueError("pages file cut short in a page")
        pages.append(page)
    return pages


def external_pool_run(python: str, pages: Sequence[bytes], workers: int, library: str) -> PoolRun:
    """pool_run of ``library`` in another interpreter ``python`` (its own venv). Raises RuntimeError
    with the end of its error output when it fails."""
    with tempfile.NamedTemporaryFile(prefix="newsarchive-pages-", suffix=".bin") as handle:
        write_pages(pages, handle)
        handle.flush()
        command = [python, "-m", "tests.benchmarks.barepool", "--library", library]
        command += ["--workers", str(workers), handle.name]
        # PYTHONPATH: this checkout first, for tests.benchmarks (nothing else of it is imported there).
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": path}
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{library} pool in {python} failed ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return PoolRun(float(result["pps"]), float(result["cpu_per_page"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one library's bare pool over a pages file.")
    parser.add_argument("--library", choices=("trafilatura", "newsplease"), default="trafilatura")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("pages", type=Path, help="a pages file (write_pages)")
    args = parser.parse_args(argv)
    if args.library == "newsplease" and not newsplease_available():
        print(f"news-please cannot be imported in {sys.executable}", file=sys.stderr)
        return 2
    with args.pages.open("rb") as source:
        pages = read_pages(source)
    run = pool_run(pages, args.workers, args.library)
    print(json.dumps({"pps": run.pps, "cpu_per_page": run.cpu_per_page, "pages": len(pages)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
