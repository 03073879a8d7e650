"""`make bench`: the bare extraction rate and the end-to-end crawl rate on the same pages, with the
crawl's CPU and peak memory, one ``BENCH key=value ...`` line per workload and worker count.

Workloads: ``replica`` (the seeded replica portals; afterwards a recrawl of the same archive, whose
request count against the first crawl's is printed as ``workload=replica-recrawl``), ``realpages``
(the real news pages of the shared data dir behind N unique URLs, tests/benchmarks/realpages.py) and
``hostile`` (the traps, bombs and huge pages of the safety test's portal, tests/integration/hostile.py,
for the crawl's peak memory on them).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from storage.db import open_archive
from storage.models import Article, Capture, CrawlRun
from tests.benchmarks.barepool import PoolRun, external_pool_run, newsplease_available, pool_run
from tests.benchmarks.meter import FORKSERVER, MAIN, OTHER, WORKERS, Metered, run_metered
from tests.benchmarks.realpages import ArticleBodies, RealPagesServer, RealPagesSite, load_pages
from tests.integration.hostile import CASES, HostilePortal
from tests.replica import ReplicaServer, build_world
from tests.replica.site import Site
from tests.replica.world import World

ROOT = Path(__file__).resolve().parents[2]
# The crawl as fast as the local server allows: no politeness delay, 8 connections per portal.
CRAWL_SETTINGS = (
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=False",
    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
    "LOG_LEVEL=WARNING",
)
# The hostile portal's slow page is cut on the extraction timeout, as in its test.
HOSTILE_SETTINGS = ("EXTRACTION_TIMEOUT=4",)  # as tests/integration/test_hostile_portal.py
MB = 1024 * 1024


def bench_line(**fields: object) -> str:
    """``BENCH k=v k=v ...``: one line a script splits on spaces and ``=`` (values never hold either)."""
    return "BENCH " + " ".join(f"{key}={_value(value)}" for key, value in fields.items())


def _value(value: object) -> str:
    if value is None:
        return "NA"
    if isinstance(value, float):
        # Three significant digits (a tiny test crawl's ratio is 0.003), whole numbers from 1000 up.
        return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    return str(value).replace(" ", "_")


def parse_bench_line(line: str) -> dict[str, str]:
    """The fields of a ``BENCH`` line; raises ValueError on any other line."""
    head, _, rest = line.strip().partition(" ")
    if head != "BENCH":
        raise ValueError(f"not a BENCH line: {line!r}")
    return dict(field.split("=", 1) for field in rest.split())


@dataclass(frozen=True)
class CrawlResult:
    """One metered crawl and what it left in its archive."""

    metered: Metered
    captures: int  # URLs fetched at article URLs, archived as captures whatever they held (404s too)
    articles: int  # article rows: pages extracted as articles (off-language ones and copies included)
    stats: dict[str, object]  # the Scrapy stats of the crawl's run (crawl_runs.stats)


def crawl(
    starts: Sequence[str], db: str, workers: int, workdir: Path, settings: Sequence[str] = ()
) -> CrawlResult:
    """Run ``newsarchive crawl`` over the portals at ``starts`` into ``db`` (CRAWL_SETTINGS, then
    ``settings``), metered; raises RuntimeError with the end of its log when it fails."""
    script = Path(sys.executable).with_name("newsarchive")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "crawler"]
    command += ["crawl", *(arg for url in starts for arg in ("--start-url", url)), "--db", db]
    command += [arg for setting in (*CRAWL_SETTINGS, *settings) for arg in ("--set", setting)]
    env = {**os.environ, "NEWSARCHIVE_EXTRACTION_WORKERS": str(workers), "PYTHONPATH": str(ROOT)}
    log = workdir / "crawl.log"
    with log.open("ab") as output:
        metered = run_metered(command, env=env, cwd=workdir, output=output)
    if metered.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"crawl exited with {metered.returncode}:\n{tail}")
    engine, factory = open_archive(db)
    try:
        with factory() as session:
            captures = session.scalar(select(func.count()).select_from(Capture)) or 0
            articles = session.scalar(select(func.count()).select_from(Article)) or 0
            run = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)).first()
            stats = dict(run.stats) if run is not None else {}
    finally:
        engine.dispose()
    return CrawlResult(metered, captures, articles, stats)


def _seconds(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def rates(
    pages: Sequence[bytes], workers: int, bare: bool, newsplease_python: str | None = None
) -> tuple[PoolRun | None, PoolRun | None]:
    """The bare trafilatura pool's run and news-please's (in ``newsplease_python`` when given, else in
    this interpreter if it has news-please); None when not measured."""
    if not bare:
        return None, None
    trafilatura = pool_run(pages, workers, "trafilatura")
    newsplease: PoolRun | None = None
    if newsplease_python:
        newsplease = external_pool_run(newsplease_python, pages, workers, "newsplease")
    elif newsplease_available():
        newsplease = pool_run(pages, workers, "newsplease")
    return trafilatura, newsplease


def _ms_per(seconds: float | None, pages: int) -> float | None:
    return 1000.0 * seconds / pages if seconds is not None and pages else None


def report(
    workload: str, workers: int, pages: int, bare: tuple[PoolRun | None, PoolRun | None], run: CrawlResult
) -> str:
    """The BENCH line of one workload and worker count."""
    metered = run.metered
    # Article pages archived per second: article rows, not captures, so the replica's 404s and binary
    # files at article URLs do not count as pages against the bare rate, which never sees them.
    crawl_pps = run.articles / metered.wall
    bare_run, newsplease_run = bare
    bare_pps = bare_run.pps if bare_run is not None else None
    # CPU time (never wall time: the machine may be shared) per article page, of the whole crawl and of
    # each kind of process in it, against the bare pool's CPU per page counted inside its workers.
    cpu_ms = _ms_per(metered.cpu, run.articles)
    bare_cpu_ms = _ms_per(bare_run.cpu_per_page, 1) if bare_run is not None else None
    roles = metered.cpu_by_role
    return bench_line(
        workload=workload,
        workers=workers,
        pages=pages,
        bare_pps=bare_pps,
        crawl_pps=crawl_pps,
        ratio=crawl_pps / bare_pps if bare_pps else None,
        cpu_pct=round(metered.cpu_pct),
        peak_pss_mb=round(metered.peak_pss / MB),
        peak_rss_mb=round(metered.peak_rss / MB),
        newsplease_pps=newsplease_run.pps if newsplease_run is not None else None,
        # news-please's from_html on the same pages in the same pool, and the crawl's rate against it.
        newsplease_cpu_ms_page=_ms_per(newsplease_run.cpu_per_page, 1) if newsplease_run else None,
        vs_newsplease=crawl_pps / newsplease_run.pps if newsplease_run is not None else None,
        articles=run.articles,
        captures=run.captures,
        # Pages the crawl read but did not archive: no article markup (discovery/not_article).
        not_article=run.stats.get("discovery/not_article", 0),
        # Archived in another language: most real pages are not Vietnamese (the crawl still extracts
        # and labels them, and keeps them as captures with status off_language).
        off_language=run.stats.get("archive/off_language", 0),
        wall_s=metered.wall,
        # The spider's own running time (Scrapy's elapsed_time_seconds): wall_s minus it is start-up
        # and shut-down.
        spider_s=_seconds(run.stats.get("elapsed_time_seconds")),
        cpu_rusage_s=metered.cpu_rusage,
        cpu_sampled_s=metered.cpu_sampled,
        cpu_ms_page=cpu_ms,
        workers_ms_page=_ms_per(roles.get(WORKERS), run.articles),
        main_ms_page=_ms_per(roles.get(MAIN), run.articles),
        forkserver_ms_page=_ms_per(roles.get(FORKSERVER), run.articles),
        other_ms_page=_ms_per(roles.get(OTHER), run.articles),
        bare_cpu_ms_page=bare_cpu_ms,
        cpu_ratio=cpu_ms / bare_cpu_ms if cpu_ms and bare_cpu_ms else None,
    )


def replica_pages(world: World, base_urls: dict[str, str]) -> list[bytes]:
    """The replica's article pages as served (status 200), rendered in memory."""
    pages = []
    for portal in world.portals:
        site = Site(world, portal, base_urls[portal.key], slow_delay=0.0)
        for article in portal.articles:
            response = site.respond(article.path)
            if response.status == 200:
                pages.append(response.body)
    return pages


def bench_replica(args: argparse.Namespace, workdir: Path) -> None:
    """The replica workload for each worker count, then a recrawl of the last archive."""
    world = build_world(portals=args.portals, articles=args.articles, seed=args.seed)
    with ReplicaServer(world, first_host=2, port=0, slow_delay=0.0) as server:
        pages = replica_pages(world, server.base_urls)
        starts = list(server.home_urls.values())
        db = ""
        for workers in args.workers:
            bare = rates(pages, workers, args.bare, args.newsplease_python)
            db = f"sqlite:///{workdir}/replica-{workers}.sqlite3"
            server.clear_requested()
            first = crawl(starts, db, workers, workdir)
            print(report("replica", workers, len(pages), bare, first), flush=True)
        if args.recrawl and db:
            served_first = len(server.requested())
            server.clear_requested()
            second = crawl(starts, db, args.workers[-1], workdir)
            requests_first = int(str(first.stats.get("downloader/request_count", 0)))
            requests_second = int(str(second.stats.get("downloader/request_count", 0)))
            line = bench_line(
                workload="replica-recrawl",
                workers=args.workers[-1],
                requests_first=requests_first,
                requests_second=requests_second,
                ratio=requests_second / requests_first if requests_first else None,
                # Requests the replica answered: a check on the crawl's own count.
                served_first=served_first,
                served_second=len(server.requested()),
                wall_s=second.metered.wall,
                # What the recrawl cost in all, start-up included (a recrawl's few requests make its
                # start-up most of it), and by kind of process.
                cpu_s=second.metered.cpu,
                main_cpu_s=second.metered.cpu_by_role.get(MAIN),
                workers_cpu_s=second.metered.cpu_by_role.get(WORKERS),
                forkserver_cpu_s=second.metered.cpu_by_role.get(FORKSERVER),
            )
            print(line, flush=True)


def bench_realpages(args: argparse.Namespace, workdir: Path) -> None:
    """The real-pages workload for each worker count."""
    site = RealPagesSite(load_pages(Path(args.data)), args.pages)
    bodies = ArticleBodies(site)
    with RealPagesServer(site) as server:
        for workers in args.workers:
            bare = rates(bodies, workers, args.bare, args.newsplease_python)
            db = f"sqlite:///{workdir}/realpages-{args.pages}-{workers}.sqlite3"
            result = crawl([server.home_url], db, workers, workdir)
            print(report("realpages", workers, args.pages, bare, result), flush=True)


def bench_hostile(args: argparse.Namespace, workdir: Path) -> None:
    """The hostile portal for each worker count (no bare rate: its pages are traps, not articles).

    Its peak_pss_mb is the figure the safety test asserted before it moved here: 575-610 MB with 2
    workers on 2 cores (forkserver ~90 + a worker on the 7.7 MB slow page ~215-230 + the other worker
    ~140 + the main process ~140); 650 MB kept a page-sized margin above that.
    """
    with HostilePortal() as portal:
        for workers in args.workers:
            db = f"sqlite:///{workdir}/hostile-{workers}.sqlite3"
            result = crawl([portal.base + "/"], db, workers, workdir, HOSTILE_SETTINGS)
            print(report("hostile", workers, len(CASES), (None, None), result), flush=True)


WORKLOADS = {"realpages": bench_realpages, "replica": bench_replica, "hostile": bench_hostile}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workload", action="append", choices=tuple(WORKLOADS), help="repeatable")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="extraction worker counts")
    parser.add_argument("--portals", type=int, default=5, help="replica portals")
    parser.add_argument("--articles", type=int, default=1000, help="articles per replica portal")
    parser.add_argument("--seed", type=int, default=2, help="replica seed")
    parser.add_argument("--pages", type=int, default=2000, help="real-pages article URLs")
    default_data = (
        os.environ.get("NEWSARCHIVE_DATA")
        or os.environ.get("NEWSARCHIVE_DATA_DIR")
        or str(ROOT.parent / "shared" / "data")
    )
    parser.add_argument("--data", default=default_data, help="dir of real pages (default $NEWSARCHIVE_DATA)")
    parser.add_argument("--no-bare", dest="bare", action="store_false", help="skip the bare pool rates")
    parser.add_argument("--no-recrawl", dest="recrawl", action="store_false", help="skip the replica recrawl")
    parser.add_argument(
        "--newsplease-python",
        metavar="PYTHON",
        default=os.environ.get("NEWSPLEASE_PYTHON"),
        help="an interpreter with news-please (make bench installs one in .venv-newsplease) to measure "
        "its from_html pool beside the bare one (default $NEWSPLEASE_PYTHON; else this interpreter's "
        "news-please, if any; else newsplease_pps=NA)",
    )
    parser.add_argument(
        "--keep", metavar="DIR", help="keep archives and crawl.log in DIR (default: temporary)"
    )
    args = parser.parse_args(argv)
    workloads = args.workload or ["realpages", "replica"]
    with tempfile.TemporaryDirectory(prefix="newsarchive-bench-") as tmp:
        workdir = Path(args.keep or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for workload in workloads:
            try:
                WORKLOADS[workload](args, workdir)
            except RuntimeError as exc:
                print(f"{workload}: {exc}", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
