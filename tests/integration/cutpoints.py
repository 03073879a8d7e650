"""Cut points: crawls of the replica interrupted at seeded random moments, rerun with the same command, and
compared with a clean crawl of the same replica (issue 20's "nothing lost, ever").

``python -m tests.integration.cutpoints [--cuts 12] [--seed 20] [--backend sqlite --backend postgresql]``
prints one row per cut: the signal (SIGKILL to the crawl's process group, or SIGINT to it as Ctrl-C
does), the moment (seconds, their share of the clean crawl's time, and the share of the clean crawl's
articles archived by then: the cut comes at the seeded share of either, whichever is reached first, so
a machine busier or idler than during the clean crawl still cuts it late), how many runs it took (the
cut one included),
and how the archive compares with the clean crawl's: canonical URLs lost, extra, archived twice (a second
version or row), and differing (status or text). tests/integration/test_cutpoints.py runs a few of them.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from storage.db import open_archive
from storage.models import Article
from tests.integration.conftest import Newsarchive
from tests.replica import ReplicaServer, build_world

# One portal with a sitemap index, one with listings only whose categories run to 10+ pages.
SITEMAP_PORTAL, LISTINGS_PORTAL = 0, 2
WORLD = {"portals": 3, "articles": 90, "seed": 20, "page_size": 2}
SIGNALS = {"SIGKILL": signal.SIGKILL, "SIGINT": signal.SIGINT}
# The reruns a cut crawl may need (the "rerun with the same command": one should do).
MAX_RERUNS = 2
# Each archived article as compared: its status, version and a digest of its text.
Snapshot = dict[str, tuple[str, int, str]]


@dataclass(frozen=True)
class Cut:
    """Where a crawl is interrupted: a signal, at a share of the clean crawl's time."""

    signal: str  # a key of SIGNALS
    fraction: float


@dataclass(frozen=True)
class CutResult:
    cut: Cut
    moment: float  # seconds after the crawl started
    clean_seconds: float  # the clean crawl's time
    progress: float  # share of the clean crawl's articles archived at the cut
    runs: int  # the cut crawl and its reruns
    exits: tuple[int, ...]
    lost: int
    extra: int
    doubled: int
    differing: int

    @property
    def equal(self) -> bool:
        return not (self.lost or self.extra or self.doubled or self.differing)


def cut_points(count: int, seed: int) -> list[Cut]:
    """Return ``count`` seeded cuts, signals alternating: a third of them late (85-95 % of a clean
    crawl's time), the rest anywhere from 10 % on."""
    rng = random.Random(seed)
    late = max(1, count // 3)
    fractions = [rng.uniform(0.85, 0.95) for _ in range(late)]
    fractions += [rng.uniform(0.1, 0.85) for _ in range(count - late)]
    rng.shuffle(fractions)
    names = list(SIGNALS)
    return [Cut(names[i % len(names)], round(f, 3)) for i, f in enumerate(fractions)]


def replica_server(**world: int) -> ReplicaServer:
    """The replica the cut points crawl, WORLD with ``world``'s changes (start it with ``with``)."""
    return ReplicaServer(build_world(**{**WORLD, **world}), first_host=150, port=0)


def crawl_args(replica: ReplicaServer, database: str) -> list[str]:
    """The crawl command's arguments: the two portals, into ``database``."""
    keys = replica.world.portal_keys
    starts = [replica.home_urls[keys[i]] for i in (SITEMAP_PORTAL, LISTINGS_PORTAL)]
    return ["crawl", *(arg for url in starts for arg in ("--start-url", url)), "--db", database]


def snapshot(database: str) -> tuple[Snapshot, int]:
    """Return the archive's articles by canonical URL, and how many canonical URLs it holds twice."""
    engine, factory = open_archive(database)
    try:
        with factory() as session:
            rows = session.execute(
                select(Article.canonical_url, Article.status, Article.version, Article.text)
            ).all()
    finally:
        engine.dispose()
    twice = sum(n - 1 for n in Counter(row[0] for row in rows).values() if n > 1)
    digest = {
        url: (status, version, hashlib.sha256(text.encode()).hexdigest()[:16])
        for url, status, version, text in rows
    }
    return digest, twice


def compare(clean: Snapshot, got: Snapshot, twice: int) -> tuple[int, int, int, int]:
    """Return (lost, extra, doubled, differing) of ``got`` against the clean crawl's archive."""
    lost = len(clean.keys() - got.keys())
    extra = len(got.keys() - clean.keys())
    shared = clean.keys() & got.keys()
    doubled = twice + sum(1 for url in shared if got[url][1] > clean[url][1])
    differing = sum(1 for url in shared if (got[url][0], got[url][2]) != (clean[url][0], clean[url][2]))
    return lost, extra, doubled, differing


def clean_crawl(newsarchive: Newsarchive, replica: ReplicaServer, database: str, cwd: Path) -> float:
    """Crawl into ``database`` uninterrupted; return its time in seconds. Raises AssertionError."""
    started = time.monotonic()
    result = newsarchive(*crawl_args(replica, database), cwd=cwd, fast=True)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise AssertionError(f"the clean crawl exited {result.returncode}: {result.stderr[-2000:]}")
    return elapsed


def cut_crawl(
    newsarchive: Newsarchive,
    replica: ReplicaServer,
    database: str,
    cwd: Path,
    cut: Cut,
    clean_seconds: float,
    clean: Snapshot,
) -> CutResult:
    """Crawl into the empty ``database``, interrupt it at ``cut``, rerun the same command until it exits
    0 (at most MAX_RERUNS times); return how the archive compares with ``clean``."""
    args = crawl_args(replica, database)
    process = newsarchive.start(
        *args,
        cwd=cwd,
        fast=True,
        start_new_session=True,  # its own process group: the crawler and its extraction workers
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.monotonic()
    deadline, enough = started + cut.fraction * clean_seconds, cut.fraction * len(clean)
    archived = 0
    while process.poll() is None:
        archived = max(archived, _archived(database))  # 0 while SQLite is locked for a write
        if time.monotonic() >= deadline or archived >= enough:
            os.killpg(process.pid, SIGNALS[cut.signal])
            break
        time.sleep(0.1)
    moment = time.monotonic() - started
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    exits = [process.returncode]
    while len(exits) <= MAX_RERUNS and (len(exits) == 1 or exits[-1] != 0):
        exits.append(newsarchive(*args, cwd=cwd, fast=True).returncode)
    got, twice = snapshot(database)
    progress = archived / len(clean) if clean else 0.0
    return CutResult(
        cut, moment, clean_seconds, progress, len(exits), tuple(exits), *compare(clean, got, twice)
    )


def _archived(database: str) -> int:
    """How many articles the archive holds now (0 before the crawl created it)."""
    if database.startswith("sqlite:///") and not Path(database.removeprefix("sqlite:///")).exists():
        return 0  # connecting would create the file before the crawl does
    engine = create_engine(database, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM articles")).scalar() or 0)
    except SQLAlchemyError:
        return 0
    finally:
        engine.dispose()


def clean_crawls(
    newsarchive: Newsarchive, replica: ReplicaServer, backend: str, work: Path
) -> tuple[float, Snapshot]:
    """Two clean crawls into fresh archives: the first warms the replica's page cache (and the OS's), the
    second is timed. Returns its time and archive. Raises AssertionError when the two archives differ:
    then nothing can be compared with them."""
    snapshots, seconds = [], 0.0
    for n in range(2):
        with fresh_database(backend, work, f"clean{n}") as database:
            seconds = clean_crawl(newsarchive, replica, database, work)
            snapshots.append(snapshot(database))
    (first, _), (second, twice) = snapshots
    if compare(first, second, twice) != (0, 0, 0, 0):
        raise AssertionError(f"two clean crawls differ: {compare(first, second, twice)}")
    return seconds, second


@contextmanager
def fresh_database(backend: str, directory: Path, name: str) -> Iterator[str]:
    """An empty archive URL on ``backend`` (sqlite or postgresql), dropped after."""
    if backend == "sqlite":
        yield f"sqlite:///{directory}/{name}.sqlite3"
        return
    from tests.databases import postgres_database

    with postgres_database() as url:
        yield url


def table(rows: list[tuple[str, CutResult]]) -> str:
    """The cut-point table, one line per cut."""
    columns = f"{'backend':<10} {'signal':<7} {'moment (time, articles)':>24} {'runs':>4} {'exits':<10}"
    lines = [columns + " lost extra doubled differing"]
    for backend, r in rows:
        moment = f"{r.moment:5.1f} s ({r.moment / r.clean_seconds:4.0%}, {r.progress:4.0%})"
        exits = ",".join(map(str, r.exits))
        lines.append(
            f"{backend:<10} {r.cut.signal:<7} {moment:>24} {r.runs:>4} {exits:<10} "
            f"{r.lost:>4} {r.extra:>5} {r.doubled:>7} {r.differing:>9}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.integration.cutpoints", description=__doc__)
    parser.add_argument("--cuts", type=int, default=12, help="cut points per backend (default 12)")
    parser.add_argument("--seed", type=int, default=20, help="seed of the cut points (default 20)")
    parser.add_argument("--backend", action="append", choices=("sqlite", "postgresql"), help="default: both")
    args = parser.parse_args(argv)
    newsarchive = Newsarchive()
    rows: list[tuple[str, CutResult]] = []
    with replica_server() as replica, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for backend in args.backend or ["sqlite", "postgresql"]:
            seconds, clean = clean_crawls(newsarchive, replica, backend, work)
            print(f"{backend}: clean crawl {seconds:.1f} s, {len(clean)} articles", flush=True)
            for n, cut in enumerate(cut_points(args.cuts, args.seed)):
                with fresh_database(backend, work, f"cut{n}") as database:
                    result = cut_crawl(newsarchive, replica, database, work, cut, seconds, clean)
                rows.append((backend, result))
                print(table(rows[-1:]).splitlines()[1], flush=True)
    print(table(rows))
    return 0 if all(r.equal for _, r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
