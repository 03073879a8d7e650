"""Recurring crawls: rules (every DURATION, or cron via croniter), due times, and the scheduler loop that
starts due crawls in processes of their own or on Scrapyd nodes (crawler.ops.scrapyd)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crawler.ops.rules import Rule
from crawler.portals import Portal
from storage import leases, schedules
from storage.models import CrawlRun, Schedule, utcnow
from storage.timezone import local_iso

logger = logging.getLogger("newsarchive.scheduler")
# A crawl that could not be started (a Scrapyd node down) is tried again this much later.
RETRY_START = timedelta(minutes=5)


def sync_registry(session: Session, portals: list[Portal]) -> None:
    """Make the archive's registry-declared schedules match the registry (a schedule set with
    ``newsarchive schedule set`` wins over the registry's)."""
    now = utcnow()
    declared = {portal.key: portal.schedule for portal in portals if portal.schedule is not None}
    for row in schedules.schedules(session):
        if row.source == "registry" and row.portal_key not in declared:
            schedules.remove_schedule(session, row.portal_key)
    for key, rule in declared.items():
        existing = session.get(Schedule, key)
        if existing is None or existing.source == "registry":
            schedules.set_schedule(
                session,
                key,
                every=rule.every,
                cron=rule.cron,
                first_run=rule.first_run(now),
                source="registry",
            )


class Launcher(Protocol):
    """Starts one portal's crawl and reports when it ends."""

    def start(self, portal_key: str, tag: str) -> str | None:
        """Start the crawl; return where it runs (or None when it could not be started)."""

    def finished(self, tag: str) -> int | None:
        """Return the crawl's exit status once it has ended (0 ok), else None."""

    def interrupt(self, tag: str) -> None:
        """Ask the crawl to stop (it writes its in-flight pages first)."""


@dataclass
class LocalLauncher:
    """Runs each crawl as ``newsarchive crawl KEY`` in a process of its own on this machine."""

    database_url: str
    registry: Path | None = None
    log_dir: Path | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    def start(self, portal_key: str, tag: str) -> str | None:
        command = [sys.executable, "-c", "from crawler.cli.main import main; main()", "crawl", portal_key]
        # Plain progress lines, never the live table: the crawl writes to a log file (or the scheduler's
        # output when there is no log directory).
        command += ["--db", self.database_url, "--set", "NEWSARCHIVE_PROGRESS=plain"]
        if self.registry is not None:
            command += ["--registry", str(self.registry)]
        output: Any = None
        if self.log_dir is not None:
            # One file per run: its progress lines, Scrapy's log (--verbose) and its summary, together.
            self.log_dir.mkdir(parents=True, exist_ok=True)
            path = self.log_dir / f"{portal_key}-{utcnow():%Y%m%dT%H%M%SZ}-{tag.removeprefix('sched-')}.log"
            output = path.open("ab")
            self.logs[tag] = path
            command.append("--verbose")
        env = {**os.environ, "SCRAPY_JOB": tag}
        # A session of its own: a Ctrl-C in the scheduler's terminal (or a signal to its process group)
        # reaches the scheduler, which gives the crawls their grace period, not the crawls directly.
        try:
            process = subprocess.Popen(
                command,
                env=env,
                stdout=output,
                stderr=output,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            if output is not None:
                output.close()  # the crawl has its own copy of the descriptor
        self.processes[tag] = process
        return f"{leases.new_holder().rsplit(':', 2)[0]}:{process.pid}"

    def log_of(self, tag: str) -> Path | None:
        """Return the log file of the crawl started as ``tag`` (None without a log directory)."""
        return self.logs.get(tag)

    def finished(self, tag: str) -> int | None:
        return self.processes[tag].poll()

    def interrupt(self, tag: str) -> None:
        process = self.processes[tag]
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)


@dataclass
class _Running:
    portal_key: str
    tag: str
    started: float


class Scheduler:
    """Starts due crawls, at most ``max_parallel`` at once, and records how each ended.

    ``once``: start every crawl due now, wait for them, and return (the exit status is non-zero when
    one failed). Otherwise it runs until ``stop()`` (SIGTERM): then it starts nothing more, lets the
    running crawls finish for ``grace`` seconds, and interrupts the rest.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        launcher: Launcher,
        *,
        portals: list[Portal],
        max_parallel: int = 2,
        grace: float = 300.0,
        tick: float = 5.0,
        say: Callable[[str], None] = print,
    ) -> None:
        self.factory = factory
        self.launcher = launcher
        self.portals = portals
        self.max_parallel = max(1, max_parallel)
        self.grace = grace
        self.tick = tick
        self.say = say
        self.holder = leases.new_holder()
        self.running: dict[str, _Running] = {}
        self.stopping_since: float | None = None
        self.interrupted = False
        self.failures = 0

    def stop(self, *_: Any) -> None:
        """Start nothing more; finish (see run)."""
        if self.stopping_since is None:
            self.stopping_since = time.monotonic()
            self.say(f"stopping: no new crawls; {len(self.running)} running get {self.grace:g} s to finish")

    def run(self, *, once: bool = False) -> int:
        """Schedule until stopped (or, with ``once``, until the crawls due now are done); return 0, or 1
        when a crawl failed or could not be started."""
        with self.factory.begin() as session:
            sync_registry(session, self.portals)
        due_now = self._due_keys() if once else None
        if once and not due_now:
            self.say("nothing is due")
        while True:
            self._reap()
            if self.stopping_since is not None:
                if not self.running:
                    return 1 if self.failures else 0
                if not self.interrupted and time.monotonic() - self.stopping_since > self.grace:
                    self.say(f"grace period over: interrupting {', '.join(sorted(self.running))}")
                    for running in self.running.values():
                        self.launcher.interrupt(running.tag)
                    self.interrupted = True
            else:
                self._start_due(due_now)
                if once and not self.running and not (due_now and self._due_keys() & due_now):
                    return 1 if self.failures else 0
            time.sleep(self.tick if not once else min(self.tick, 1.0))

    def _due_keys(self) -> set[str]:
        now = utcnow()
        with self.factory() as session:
            return {row.portal_key for row in schedules.schedules(session) if row.next_run_at <= now}

    def _start_due(self, only: set[str] | None) -> None:
        free = self.max_parallel - len(self.running)
        if free <= 0:
            return
        with self.factory.begin() as session:
            claimed = schedules.claim_due(
                session,
                self.holder,
                lambda row, now: Rule.of(row).next_after(now),
                limit=free,
                only=only,
                skip=set(self.running),
            )
            claimed_keys = [(row.portal_key, Rule.of(row), row.next_run_at) for row in claimed]
        for key, rule, next_run in claimed_keys:
            tag = f"sched-{uuid.uuid4().hex[:12]}"
            where = self.launcher.start(key, tag)
            if where is None:
                # A crawl that was due and did not run is a failure of this pass (`--once` exits 1).
                self.failures += 1
                self.say(f"{key}: could not be started; trying again in {RETRY_START}")
                with self.factory.begin() as session:
                    schedules.finish(
                        session, key, run_id=None, status="not_started", outcome="no node could take it",
                        retry_at=utcnow() + RETRY_START,
                    )  # fmt: skip
                continue
            with self.factory.begin() as session:
                schedules.record_dispatch(session, key, where)
            self.running[key] = _Running(key, tag, time.monotonic())
            due = local_iso(next_run.replace(second=0, microsecond=0))
            log_of = getattr(
                self.launcher, "log_of", None
            )  # local crawls have a log file; Scrapyd keeps its own
            log = log_of(tag) if log_of is not None else None
            self.say(
                f"{key}: crawl started on {where} ({rule}; next due {due})" + (f"; log {log}" if log else "")
            )

    def _reap(self) -> None:
        for key, running in list(self.running.items()):
            status = self.launcher.finished(running.tag)
            if status is None:
                continue
            del self.running[key]
            with self.factory.begin() as session:
                run = session.scalars(select(CrawlRun).where(CrawlRun.job_id == running.tag)).one_or_none()
                run_status = run.status if run is not None else ("finished" if status == 0 else "failed")
                outcome = _outcomes(run)
                run_id = run.id if run is not None else None
                schedules.finish(session, key, run_id=run_id, status=run_status, outcome=outcome)
            self.failures += status != 0 or run_status == "failed"
            elapsed = time.monotonic() - running.started
            detail = f"; {outcome}" if outcome else ""
            self.say(f"{key}: crawl {run_status} after {elapsed:.0f} s (exit {status}{detail})")


def _outcomes(run: CrawlRun | None) -> str | None:
    if run is None:
        return None
    return ", ".join(f"{key}: {value.get('outcome')}" for key, value in (run.outcomes or {}).items()) or None
