"""Run a command and measure its whole process tree: wall time, CPU time, peak PSS and RSS.

A crawl is several processes (the crawl, its extraction workers, multiprocessing's helpers), so every
figure covers the process started and all its descendants, found by walking /proc.
"""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

# How often the tree is sampled. Peaks between two samples are missed; 0.2 s catches the crawl's
# memory plateau (it grows over minutes) at a cost of a few milliseconds of CPU per sample.
INTERVAL = 0.2
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
# How long the orphans of a finished run get to exit (the crawl's forkserver and workers end within a
# second of losing their parent) before they are given up on.
ORPHAN_WAIT = 30.0


@dataclass(frozen=True)
class Metered:
    """What one metered run measured. Memory in bytes, times in seconds."""

    returncode: int
    wall: float
    cpu_rusage: float  # utime+stime of the reaped tree (getrusage RUSAGE_CHILDREN delta)
    cpu_sampled: float  # utime+stime last seen per process of the tree in /proc
    peak_pss: int
    peak_rss: int
    samples: int
    # CPU seconds last seen per role of a crawl's process (ROLES): the process started, multiprocessing's
    # forkserver, the forkserver's children (the extraction workers), and any other descendant.
    cpu_by_role: dict[str, float] = field(default_factory=dict)

    @property
    def cpu(self) -> float:
        """The CPU time of the tree. Each source can only undercount, so the larger is the better
        estimate: RUSAGE_CHILDREN counts only processes reaped up the chain to us (the crawl never
        waits for multiprocessing's forkserver, whose children are the extraction workers; they are
        counted only because this process makes itself their subreaper and reaps them), sampling
        misses each process's last interval and processes shorter than one. Normally rusage wins."""
        return max(self.cpu_rusage, self.cpu_sampled)

    @property
    def cpu_pct(self) -> float:
        """CPU time over wall time, in percent (200 = two cores busy the whole run)."""
        return 100.0 * self.cpu / self.wall if self.wall else 0.0


# A process's role in a crawl's tree, by its place in it: the root is the crawl's main process; the
# forkserver is the child whose command line runs multiprocessing.forkserver; the workers are forked
# from it (and share its command line).
MAIN, FORKSERVER, WORKERS, OTHER = ROLES = ("main", "forkserver", "workers", "other")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, utime+stime seconds) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: the fields start after the last ")".
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def _memory(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of a process in bytes, (0, 0) when it is gone or unreadable."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return pss, rss


def tree(root: int) -> dict[int, float]:
    """The live processes of ``root``'s tree (root included) with their CPU seconds so far."""
    return {pid: cpu for pid, (_, cpu) in _tree(root).items()}


def _tree(root: int) -> dict[int, tuple[int, float]]:
    """The live processes of ``root``'s tree (root included): (parent pid, CPU seconds so far)."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            found = _stat(int(entry.name))
            if found is not None:
                parents[int(entry.name)], cpu[int(entry.name)] = found
    members = {root} if root in cpu else set()
    # Parents may have larger pids than their children (pid wrap), so iterate to a fixed point.
    grew = True
    while grew:
        new = {pid for pid, parent in parents.items() if parent in members and pid not in members}
        members |= new
        grew = bool(new)
    return {pid: (parents[pid], cpu[pid]) for pid in members}


class _Sampler(threading.Thread):
    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.stop = threading.Event()
        self.peak_pss = self.peak_rss = self.samples = 0
        self.cpu_seen: dict[int, float] = {}
        self.roles: dict[int, str] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(INTERVAL)

    def role(self, pid: int, parent: int) -> str:
        """The role of ``pid`` (decided once, when first seen: its parent is seen before it or with it)."""
        if pid not in self.roles:
            if pid == self.root:
                self.roles[pid] = MAIN
            elif self.roles.get(parent) in (FORKSERVER, WORKERS):
                self.roles[pid] = WORKERS
            elif "multiprocessing.forkserver" in _cmdline(pid):
                self.roles[pid] = FORKSERVER
            else:
                self.roles[pid] = OTHER
        return self.roles[pid]

    def cpu_by_role(self) -> dict[str, float]:
        totals = dict.fromkeys(ROLES, 0.0)
        for pid, seconds in self.cpu_seen.items():
            totals[self.roles.get(pid, OTHER)] += seconds
        return totals

    def sample(self) -> None:
        members = _tree(self.root)
        # Parents first (by depth), so a worker's forkserver has its role when the worker is classified.
        for pid in sorted(members, key=lambda pid: _depth(pid, members)):
            self.role(pid, members[pid][0])
        pss = rss = 0
        for pid, (_, seconds) in members.items():
            self.cpu_seen[pid] = max(seconds, self.cpu_seen.get(pid, 0.0))
            process_pss, process_rss = _memory(pid)
            pss += process_pss
            rss += process_rss
        self.peak_pss = max(self.peak_pss, pss)
        self.peak_rss = max(self.peak_rss, rss)
        self.samples += 1


def _depth(pid: int, members: dict[int, tuple[int, float]]) -> int:
    depth = 0
    while pid in members and depth < len(members):
        pid, depth = members[pid][0], depth + 1
    return depth


def _become_subreaper() -> bool:
    """Make orphaned descendants children of this process (Linux), so their CPU time reaches our
    RUSAGE_CHILDREN when we reap them; return whether it worked."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _reap_orphans(pids: set[int]) -> None:
    """Wait for those of ``pids`` that became our children (orphans of the run), ORPHAN_WAIT at most."""
    waiting = set(pids)
    deadline = time.monotonic() + ORPHAN_WAIT
    while waiting and time.monotonic() < deadline:
        for pid in list(waiting):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # not our child: reaped by its own parent, or gone
                waiting.discard(pid)
                continue
            if done:
                waiting.discard(pid)
        if waiting:
            time.sleep(0.05)


def run_metered(
    command: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    output: IO[bytes] | None = None,
) -> Metered:
    """Run ``command`` to its end (stdout and stderr to ``output``) and return what it used.

    Call it with no other child of this process ending meanwhile: the CPU time is this process's
    RUSAGE_CHILDREN growth across the run (orphaned descendants included: see Metered.cpu)."""
    _become_subreaper()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=output, stderr=output)
    sampler = _Sampler(process.pid)
    sampler.start()
    returncode = process.wait()
    wall = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    _reap_orphans(set(sampler.cpu_seen) - {process.pid})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_rusage = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Metered(
        returncode,
        wall,
        cpu_rusage,
        sum(sampler.cpu_seen.values()),
        sampler.peak_pss,
        sampler.peak_rss,
        sampler.samples,
        sampler.cpu_by_role(),
    )
