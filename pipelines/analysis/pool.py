"""Worker processes for per-page CPU work, with a per-page deadline: a page that hangs or kills its worker
fails alone, its worker is replaced, and every other page goes on."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import os
import queue
import resource
import signal
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from pipelines import defaults
from pipelines.analysis.heap import heap_trimmer

logger = logging.getLogger(__name__)

_ATTRIBUTE = "_newsarchive_worker_pool"
# How often deadlines are checked; a page over its timeout is cut within this much more.
_TICK = 0.25
# The timeout counts the worker's CPU time, so a busy machine (other crawls, a CI neighbour) does not
# fail ordinary pages that merely waited for a core; a worker that makes no progress at all (blocked,
# starved, swapping) is still cut once this many timeouts have passed on the clock.
WALL_CLOCK_FACTOR = 3.0
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# Jobs handed to a worker ahead of its answers: the next page is already in its pipe when it finishes
# one, so it never waits for the reactor to notice the answer and send more. Two was enough to keep
# both workers busy on the crawl benchmark; more only lengthens what a crashed worker takes down.
DEPTH = 2
# A page over this many bytes parses into a tree of ~20x its size, and trafilatura copies that tree: only
# one such page is analysed at a time across the pool, so two workers never peak together (the crawl's
# memory bound holds with 10 MiB pages), and the worker returns its freed heap to the system after it.
LARGE_JOB_BYTES = 2 * 1024 * 1024

_Job = tuple[int, Any, "asyncio.Future[Any]"]


class WorkerFailed(Exception):
    """A page's work did not finish: str() is the reason (timed out, worker crashed)."""


def job_size(job: Any) -> int:
    """The bytes a job carries (its ``body``), 0 when it has none."""
    body = getattr(job, "body", None)
    return len(body) if isinstance(body, bytes | bytearray | str) else 0


def _serve(
    connection: Connection, function: Callable[[Any], Any], memory_limit_mb: int, max_pages: int = 0
) -> None:
    """Worker process: answer each job on ``connection`` with (job id, result), in order, until EOF, or
    until ``max_pages`` jobs are answered: then it says it retires and exits (the pool starts another)."""
    # Ctrl-C reaches the whole process group: the crawl decides when its workers stop, not the terminal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # glibc's mmap threshold is left to grow here: page buffers are reused from the heap without page
    # faults, and the fragments they leave go when the worker retires (max_pages). Pinned, the threshold
    # cost 4 ms of CPU a page (53.1 -> 49.0 ms per page in the workers on the real pages).
    # What the forkserver holds stays shared while no collection here writes to it (see
    # pipelines.analysis.preload); objects made there after its own freeze are frozen now.
    gc.freeze()
    if memory_limit_mb:
        limit = memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    trim_heap = heap_trimmer()
    answered = 0
    try:
        # Ready: the parent starts a page's clock only from here, not while this process starts up.
        connection.send((0, ("ready", None)))
        while not max_pages or answered < max_pages:
            job_id, job = connection.recv()
            try:
                result: tuple[str, Any] = ("ok", function(job))
            except MemoryError:
                result = ("error", "worker ran out of memory on this page")
            except Exception as exc:  # noqa: BLE001 - reported for this job; the worker goes on
                result = ("error", f"{type(exc).__name__}: {exc}")
            large = job_size(job) > LARGE_JOB_BYTES
            del job
            connection.send((job_id, result))
            answered += 1
            del result
            if large:
                # A large page's tree is freed now; without a trim glibc keeps the pages mapped and
                # the worker stays at its peak for the rest of the crawl.
                trim_heap()
        # Jobs sent after the last one answered stay unread in the pipe: the pool gives them to another.
        connection.send((0, ("retire", None)))
    except (EOFError, OSError, ValueError):
        return  # the pool closed its end


def _send_all(connection: Connection, outbox: queue.SimpleQueue[tuple[int, Any] | None]) -> None:
    """Sender thread: write queued jobs to the worker's pipe, so a large page never blocks the reactor
    while the worker is still busy with the page before it."""
    while True:
        message = outbox.get()
        if message is None:
            return
        try:
            connection.send(message)
        except (OSError, ValueError):
            return  # the worker is gone: the reader sees EOF and requeues what it held


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Start a worker without the crawl's main module.

    multiprocessing sends a new process the path or name of the parent's ``__main__`` and the child
    runs it as ``__mp_main__``: for the ``newsarchive`` script that is ``crawler.cli.main`` with the CLI,
    click and SQLAlchemy, 0.34 s of CPU in every worker (0.11 s while the forkserver held SQLAlchemy), at
    every recycling (every EXTRACTION_WORKER_MAX_PAGES pages), and modules each worker held on its own.
    A worker needs nothing from ``__main__`` (its target and job function live in importable modules), so
    while the process starts (its preparation data is read and pickled synchronously in ``start()``)
    ``__main__`` is a bare module with neither a path nor a name to run. No other thread of the crawl
    reads ``__main__``.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


@dataclass
class _Worker:
    process: BaseProcess
    connection: Connection
    outbox: queue.SimpleQueue[tuple[int, Any] | None]
    sender: threading.Thread
    ready: bool = False
    inflight: deque[_Job] = field(default_factory=deque)  # sent, in the order the worker answers them
    started: float = 0.0  # when the first job in flight started
    started_cpu: float | None = None  # the worker's CPU seconds then (None: not readable here)
    cpu_unread: bool = False  # started_cpu is still to be read, at the next deadline tick

    def start_clock(self) -> None:
        # Reading /proc for every page cost the reactor more than the rest of the pool's bookkeeping:
        # the CPU baseline is read at the next tick instead, so a page's deadline may count up to one
        # tick (_TICK) less of its CPU time; the clock backstop is unaffected.
        self.started = time.monotonic()
        self.cpu_unread = True

    def read_cpu_baseline(self) -> None:
        if self.cpu_unread:
            self.started_cpu = _cpu_seconds(self.process.pid)
            self.cpu_unread = False


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of process ``pid`` so far, from /proc (None where there is no /proc)."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rpartition(b")")[2].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return None


@dataclass
class WorkerPool:
    """``workers`` processes fed over their own pipes, each up to DEPTH jobs ahead, answering in order.

    ``await pool.run(job)`` returns ``function(job)`` from a worker, or raises WorkerFailed when the job
    used more than ``timeout`` seconds of its worker's CPU, or WALL_CLOCK_FACTOR times that on the clock
    (its worker is killed and replaced; the jobs queued behind it
    go to another worker) or its worker died. Answers arrive through the event loop's reader callbacks;
    jobs leave through one sender thread per worker. Workers start from a forkserver (never a fork of
    the crawler with its reactor) that preloads the function's module and ``preload``, so they share
    those libraries' memory.

    Settings (for_crawler): EXTRACTION_WORKERS (processes; default one per core), EXTRACTION_TIMEOUT
    (CPU seconds per page; default 20), EXTRACTION_WORKER_MEMORY_MB (address-space limit per worker;
    0 = none), EXTRACTION_WORKER_MAX_PAGES (pages before a worker is recycled; 0 = never).
    """

    workers: int
    function: Callable[[Any], Any]
    timeout: float = defaults.EXTRACTION_TIMEOUT
    memory_limit_mb: int = defaults.EXTRACTION_WORKER_MEMORY_MB
    max_pages: int = defaults.EXTRACTION_WORKER_MAX_PAGES  # pages before a fresh worker takes over (0: never)
    # Modules the forkserver imports once for every worker (besides the function's own): the heavy
    # libraries the function loads lazily, so the workers share their memory and start at once.
    preload: tuple[str, ...] = ()
    _pool: list[_Worker] = field(default_factory=list)
    _queue: deque[_Job] = field(default_factory=deque)
    _next_id: int = 0
    _ticker: asyncio.TimerHandle | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _context: Any = None
    timed_out: int = 0
    crashed: int = 0
    recycled: int = 0

    @classmethod
    def for_crawler(
        cls, crawler: Any, function: Callable[[Any], Any], preload: tuple[str, ...] = ()
    ) -> WorkerPool:
        """Return the crawl's pool, creating it for the first component that asks."""
        pool = getattr(crawler, _ATTRIBUTE, None)
        if pool is None:
            settings = crawler.settings
            pool = cls(
                max(1, settings.getint("EXTRACTION_WORKERS", defaults.EXTRACTION_WORKERS)),
                function,
                timeout=settings.getfloat("EXTRACTION_TIMEOUT", defaults.EXTRACTION_TIMEOUT),
                memory_limit_mb=settings.getint(
                    "EXTRACTION_WORKER_MEMORY_MB", defaults.EXTRACTION_WORKER_MEMORY_MB
                ),
                max_pages=settings.getint(
                    "EXTRACTION_WORKER_MAX_PAGES", defaults.EXTRACTION_WORKER_MAX_PAGES
                ),
                preload=preload,
            )
            setattr(crawler, _ATTRIBUTE, pool)
        return pool

    async def run(self, job: Any) -> Any:
        """Return ``function(job)`` computed in a worker. Raises WorkerFailed with the reason."""
        loop = asyncio.get_running_loop()
        self._start(loop)
        future: asyncio.Future[Any] = loop.create_future()
        self._next_id += 1
        self._queue.append((self._next_id, job, future))
        self._dispatch()
        return await future

    def map(self, jobs: Iterable[Any]) -> Iterator[Any | WorkerFailed]:
        """Run ``jobs`` (from synchronous code) and yield each result, or its WorkerFailed, in order."""
        pending = list(jobs)

        async def all_of() -> list[Any]:
            return await asyncio.gather(*(self.run(job) for job in pending), return_exceptions=True)

        try:
            results = asyncio.run(all_of())
        finally:
            self._loop = None  # that loop is closed now; the next map() or run() starts afresh
            self.shutdown()
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, WorkerFailed):
                raise result
            yield result

    def shutdown(self) -> None:
        """Stop every worker; jobs in flight or still waiting fail."""
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        for worker in list(self._pool):
            self._fail(worker.inflight, "the worker pool was shut down")
            self._stop(worker, kill=False)
        self._pool.clear()
        self._fail(self._queue, "the worker pool was shut down")

    # -- internals -------------------------------------------------------------------------------

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is loop and self._pool:
            return
        if self._loop is not loop and self._pool:
            # Called from a new event loop (the old one's readers and futures are gone): start afresh.
            self.shutdown()
        self._loop = loop
        if self._context is None:
            # forkserver: forking the crawler itself would copy the reactor's threads and sockets.
            self._context = multiprocessing.get_context("forkserver")
            # This module first: a worker runs _serve from it, so unpickling its target imports it and
            # what it imports (asyncio: ~50 modules) in every worker, at every recycling, unless the
            # forkserver has them already.
            self._context.set_forkserver_preload([__name__, self.function.__module__, *self.preload])
        while len(self._pool) < self.workers:
            self._pool.append(self._spawn())
        if self._ticker is None:
            self._ticker = loop.call_later(_TICK, self._check_deadlines)

    def _spawn(self) -> _Worker:
        assert self._loop is not None
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_serve,
            args=(child, self.function, self.memory_limit_mb, self.max_pages),
            daemon=True,
            name="newsarchive-worker",
        )
        with _main_module_hidden():
            process.start()
        child.close()
        outbox: queue.SimpleQueue[tuple[int, Any] | None] = queue.SimpleQueue()
        sender = threading.Thread(target=_send_all, args=(parent, outbox), daemon=True, name="worker-sender")
        sender.start()
        worker = _Worker(process, parent, outbox, sender)
        self._loop.add_reader(parent.fileno(), self._on_result, worker)
        return worker

    def _dispatch(self) -> None:
        large_in_flight = any(job_size(job[1]) > LARGE_JOB_BYTES for w in self._pool for job in w.inflight)
        for worker in self._pool:
            while worker.ready and len(worker.inflight) < DEPTH and self._queue:
                job = self._next_job(large_in_flight)
                if job is None:
                    break
                if job[2].done():  # cancelled while waiting
                    continue
                large_in_flight = large_in_flight or job_size(job[1]) > LARGE_JOB_BYTES
                if not worker.inflight:
                    worker.start_clock()
                worker.inflight.append(job)
                worker.outbox.put((job[0], job[1]))

    def _next_job(self, large_in_flight: bool) -> _Job | None:
        """The first queued job, skipping large ones while a large one is in flight (None: none can go)."""
        if not large_in_flight:
            return self._queue.popleft()
        for index, job in enumerate(self._queue):
            if job_size(job[1]) <= LARGE_JOB_BYTES or job[2].done():
                del self._queue[index]
                return job
        return None

    def _on_result(self, worker: _Worker) -> None:
        try:
            job_id, (status, value) = worker.connection.recv()
        except (EOFError, OSError):
            self.crashed += 1
            self._replace(worker, "extraction worker crashed on this page")
            return
        if status == "ready":
            worker.ready = True
            self._dispatch()
            return
        if status == "retire":
            self.recycled += 1
            self._retire(worker)
            return
        job = worker.inflight.popleft() if worker.inflight else None
        worker.start_clock()  # the next job in flight starts now
        if job is not None and job[0] == job_id and not job[2].done():
            if status == "ok":
                job[2].set_result(value)
            else:
                job[2].set_exception(WorkerFailed(str(value)))
        self._dispatch()

    def _check_deadlines(self) -> None:
        self._ticker = None
        now = time.monotonic()
        for worker in list(self._pool):
            if worker.inflight:
                worker.read_cpu_baseline()
            if worker.inflight and now - worker.started > self.timeout:
                reason = self._overrun(worker, now - worker.started)
                if reason is None:
                    continue
                self.timed_out += 1
                what = getattr(worker.inflight[0][1], "url", "a page")
                logger.warning("%s: %s; its worker is replaced", what, reason)
                self._replace(worker, reason)
            elif not worker.process.is_alive() and not worker.inflight:
                self._replace(worker, "extraction worker stopped")
        if self._loop is not None and not self._loop.is_closed():
            self._ticker = self._loop.call_later(_TICK, self._check_deadlines)

    def _overrun(self, worker: _Worker, elapsed: float) -> str | None:
        """Why the job in flight is over its deadline, or None while it may go on: over ``timeout`` seconds
        of the worker's CPU, or over WALL_CLOCK_FACTOR times that on the clock (wall clock alone where
        CPU time cannot be read)."""
        used = _cpu_seconds(worker.process.pid)
        if used is None or worker.started_cpu is None:
            return f"extraction timed out after {self.timeout:g} s"
        if used - worker.started_cpu > self.timeout:
            return f"extraction timed out after {self.timeout:g} s"
        if elapsed > self.timeout * WALL_CLOCK_FACTOR:
            stalled = self.timeout * WALL_CLOCK_FACTOR
            return f"extraction timed out after {stalled:g} s on the clock without finishing"
        return None

    def _replace(self, worker: _Worker, reason: str) -> None:
        """Fail the job the worker was on with ``reason``, give the jobs queued behind it to the others,
        kill it, start a new one, dispatch."""
        if worker.inflight:
            self._fail([worker.inflight.popleft()], reason)
        self._queue.extendleft(reversed(worker.inflight))
        worker.inflight.clear()
        self._stop(worker, kill=True)
        if worker in self._pool:
            self._pool[self._pool.index(worker)] = self._spawn()
        self._dispatch()

    def _retire(self, worker: _Worker) -> None:
        """A worker answered its max_pages and exits: the jobs sent to it after those (never read) go back
        to the front of the queue, and a fresh worker takes its place."""
        self._queue.extendleft(reversed(worker.inflight))
        worker.inflight.clear()
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(OSError, ValueError):
                self._loop.remove_reader(worker.connection.fileno())
        # The worker exits by itself: once it has, a send its sender thread is blocked in fails (broken
        # pipe) and the thread ends; only then is the pipe closed, never under the thread's feet.
        worker.outbox.put(None)
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        worker.sender.join(timeout=5)
        worker.connection.close()
        if worker in self._pool:
            self._pool[self._pool.index(worker)] = self._spawn()
        self._dispatch()

    @staticmethod
    def _fail(jobs: Iterable[_Job], reason: str) -> None:
        for _, _, future in list(jobs):
            if not future.done():
                future.set_exception(WorkerFailed(reason))
        if isinstance(jobs, deque):
            jobs.clear()

    def _stop(self, worker: _Worker, *, kill: bool) -> None:
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(OSError, ValueError):
                self._loop.remove_reader(worker.connection.fileno())
        worker.outbox.put(None)
        if kill:
            worker.process.kill()
        worker.connection.close()  # an idle worker sees EOF and exits
        worker.process.join(timeout=1)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        worker.sender.join(timeout=1)
