"""The worker pool: a page that hangs or kills its worker fails alone; the others go on."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.analysis.pool import WorkerFailed, WorkerPool


def work(job: tuple[str, int]) -> str:
    """Worker side: ``("sleep", seconds)``, ``("spin", seconds)`` (of CPU), ``("crash", code)``,
    ``("raise", _)`` or ``("echo", n)``."""
    kind, value = job
    if kind == "sleep":
        time.sleep(value)
    elif kind == "spin":
        until = time.process_time() + value
        while time.process_time() < until:
            pass
    elif kind == "crash":
        os._exit(value)
    elif kind == "raise":
        raise ValueError("a library bug on this page")
    return f"{kind}:{value}:{os.getpid()}"


# The hung jobs below would run for an hour: the test ends only if the pool cuts them. This bound only
# stops a test whose pool does not; it is no measure of how fast the pool is.
HUNG = 3600


@pytest.mark.timeout(120)
def test_a_hung_and_a_crashed_job_fail_alone_and_their_workers_are_replaced() -> None:
    pool = WorkerPool(2, work, timeout=1.0)
    jobs = [
        ("echo", 1),
        ("spin", HUNG),
        ("echo", 2),
        ("crash", 3),
        ("raise", 0),
        *(("echo", n) for n in range(3, 9)),
    ]
    results = list(pool.map(jobs))
    # Cut, not awaited: it would have answered "spin:3600:<pid>" an hour later. On its CPU time when the
    # machine is free; on a machine too loaded to give it 1 s of CPU, the wall-clock backstop cuts it.
    assert isinstance(results[1], WorkerFailed)
    assert str(results[1]) in {
        "extraction timed out after 1 s",
        "extraction timed out after 3 s on the clock without finishing",
    }
    assert (
        isinstance(results[3], WorkerFailed) and str(results[3]) == "extraction worker crashed on this page"
    )
    assert (
        isinstance(results[4], WorkerFailed) and str(results[4]) == "ValueError: a library bug on this page"
    )
    echoed = [r for r in results if isinstance(r, str)]
    assert [r.split(":")[1] for r in echoed] == ["1", "2", *map(str, range(3, 9))]
    assert (pool.timed_out, pool.crashed) == (1, 1)
    assert len({r.split(":")[2] for r in echoed}) >= 2  # replaced workers have new process ids


@pytest.mark.timeout(120)
def test_the_deadline_counts_cpu_time_and_a_stalled_worker_is_cut_on_the_clock() -> None:
    # Waiting (a busy machine, here a sleep) is not work: 1.5 s asleep passes a 1 s timeout, while a
    # worker that makes no progress at all is cut at three timeouts on the clock.
    pool = WorkerPool(1, work, timeout=1.0)
    results = list(pool.map([("sleep", 1.5), ("sleep", HUNG), ("echo", 1)]))
    assert results[0].startswith("sleep:1.5:")
    assert isinstance(results[1], WorkerFailed)
    assert str(results[1]) == "extraction timed out after 3 s on the clock without finishing"
    assert results[2].startswith("echo:1:")
    assert pool.timed_out == 1


@pytest.mark.timeout(120)
def test_a_worker_is_recycled_after_max_pages_and_no_job_is_lost() -> None:
    # Three pages per worker: the jobs already in a retiring worker's pipe go to its successor, in order,
    # and none fails.
    pool = WorkerPool(2, work, timeout=5.0, max_pages=3)
    results = [str(r) for r in pool.map([("echo", n) for n in range(14)])]
    assert [r.split(":")[:2] for r in results] == [["echo", str(n)] for n in range(14)], results
    pids = [r.split(":")[2] for r in results]
    assert all(pids.count(pid) <= 3 for pid in set(pids))
    assert len(set(pids)) >= 5 and pool.recycled >= 4
    assert (pool.timed_out, pool.crashed) == (0, 0)


def pid_of(_: bytes) -> int:
    return os.getpid()


@pytest.mark.timeout(120)
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_retiring_worker_leaves_its_sender_thread_no_closed_pipe() -> None:
    # Jobs larger than a pipe's buffer: the sender thread is blocked writing the next one when its worker
    # retires, and must end on the broken pipe, not on a connection closed under it.
    pool = WorkerPool(1, pid_of, timeout=5.0, max_pages=2)
    results = list(pool.map([b"x" * 1_000_000] * 7))
    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 4 and pool.recycled >= 3


def test_a_pool_used_from_a_new_event_loop_starts_afresh() -> None:
    pool = WorkerPool(1, work, timeout=5.0)
    try:
        assert asyncio.run(pool.run(("echo", 1))).startswith("echo:1:")
        assert asyncio.run(pool.run(("echo", 2))).startswith("echo:2:")
    finally:
        pool.shutdown()


def test_jobs_waiting_at_shutdown_fail() -> None:
    pool = WorkerPool(1, work, timeout=5.0)

    async def run() -> None:
        waiting = asyncio.ensure_future(pool.run(("sleep", 3)))
        queued = asyncio.ensure_future(pool.run(("echo", 1)))
        await asyncio.sleep(0.1)
        pool.shutdown()
        with pytest.raises(WorkerFailed):
            await queued
        with pytest.raises(WorkerFailed):
            await waiting

    asyncio.run(run())


def preloaded(_: object) -> tuple[bool, int]:
    """Worker side: whether the page analysis (the extractors, the MinHash permutations), langdetect's
    profiles and their matrix, and trafilatura's jusText stoplists came from the forkserver, and how many
    objects the worker inherited frozen (shared, never written by its garbage collector)."""
    import gc

    from pipelines.detect import neardup

    analysis = (
        "pipelines.analysis.analyse" in sys.modules and neardup._permutations.cache_info().currsize == 1
    )

    from justext.core import define_stoplist
    from trafilatura import external

    from pipelines.detect import langid

    stoplists = external.JT_STOPLIST is not None and define_stoplist.cache_info().currsize == 1
    return analysis and langid._LD_MODEL is not None and stoplists, gc.get_freeze_count()


# The worker's job for the next test, in a module of its own that imports nothing: a job function's
# module is preloaded by the forkserver too, and this test module's imports (asyncio, the pool) would
# hide what the pool's preload leaves out.
_PROBE = """
import sys


def imported_since_fork(_):
    from pipelines.analysis.preload import FORKSERVER_MODULES

    roots = ("pipelines", "storage", "crawler", "click", "scrapy", "twisted", "asyncio", "sqlalchemy")
    return sorted(m for m in sys.modules if m not in FORKSERVER_MODULES and m.split(".")[0] in roots)
"""
# The crawl's main module as the `newsarchive` console script makes it: a file that imports the CLI.
_ENTRY = """
from crawler.cli.main import main

if __name__ == "__main__":
    from pipelines.analysis.job import ANALYSIS_MODULE
    from pipelines.analysis.pool import WorkerPool
    from worker_probe import imported_since_fork

    pool = WorkerPool(1, imported_since_fork, preload=(ANALYSIS_MODULE,))
    print(list(pool.map([None]))[0])
"""


def test_a_worker_imports_nothing_the_forkserver_could_have_loaded_once(tmp_path: Path) -> None:
    # Workers are recycled every EXTRACTION_WORKER_MAX_PAGES pages: what each imports at its start is
    # paid again at every recycling. multiprocessing would have each run the crawl's main script (the
    # CLI, click, SQLAlchemy: 0.34 s), and the pool module's asyncio cost each ~50 ms.
    (tmp_path / "worker_probe.py").write_text(_PROBE)
    entry = tmp_path / "newsarchive_entry.py"
    entry.write_text(_ENTRY)
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(tmp_path), str(root)))}
    output = subprocess.run(
        [sys.executable, str(entry)], cwd=root, env=env, capture_output=True, text=True, timeout=120,
        check=True,
    ).stdout  # fmt: skip
    assert output.strip() == "[]"


def test_workers_share_the_preloaded_extractors_frozen() -> None:
    # A fresh interpreter: this process's forkserver may already run without the crawl's preload.
    script = (
        "from pipelines.analysis.job import ANALYSIS_MODULE\n"
        "from pipelines.analysis.pool import WorkerPool\n"
        "from tests.unit.pipelines.test_workers import preloaded\n"
        "pool = WorkerPool(1, preloaded, preload=(ANALYSIS_MODULE,))\n"
        "print(list(pool.map([None]))[0])\n"
    )
    root = Path(__file__).resolve().parents[3]
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120, check=True
    ).stdout
    loaded, frozen = eval(output.strip())  # noqa: S307 - our own tuple of a bool and an int
    assert loaded, "the page analysis, langdetect or the jusText stoplists were not loaded in the forkserver"
    assert frozen > 100_000, frozen  # the libraries' objects, frozen before the fork


def test_workers_load_neither_scrapy_nor_the_pipeline_stages() -> None:
    # The workers run the extractors; the Scrapy-facing stages, Scrapy and Twisted belong to the crawl's
    # main process, and every worker would carry them for nothing. datasketch and the scipy it imports
    # (~51 MB in the forkserver) are not needed for MinHash signatures (pipelines.detect.neardup), nor
    # SQLAlchemy and Alembic (~0.25 s of the forkserver's start; storage.stored_forms has no ORM).
    script = (
        "import sys\n"
        "import pipelines.analysis.analyse, pipelines.analysis.job, pipelines.analysis.preload\n"
        "stages = {'pipelines.' + name for name in ('archive', 'dedup', 'extraction', 'items', 'language')}\n"
        "print(sorted(m for m in sys.modules if m in stages or m.split('.')[0] in ('crawler', 'scrapy',"
        " 'twisted', 'datasketch', 'scipy', 'sqlalchemy', 'alembic')))\n"
    )
    root = Path(__file__).resolve().parents[3]
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert output.strip() == "[]"
