"""One extraction worker's CPU per real page, no crawl around it: ``analyse_page`` against trafilatura's
``bare_extraction(with_metadata=True)`` on the same pages, in this one process, and (``--profile``) where
``analyse_page``'s time goes, stage by stage.

Every figure is CPU time (``time.process_time``: user + system of this process), never wall time: the
machine may be shared. The pages are the real pages of the data dir (``--data``, default
../shared/data), as ``make bench`` serves them (tests/benchmarks/realpages.py), read at run time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pipelines.analysis.job import PageJob, analyse_page
from pipelines.extract.links import LinkRules
from storage.urls import site_key
from tests.benchmarks.realpages import RealPagesSite, load_pages

ROOT = Path(__file__).resolve().parents[2]
BASE = "http://127.0.0.1:8000"
# The stages of analyse_page, each a function whose cumulative time in the profile is that stage's,
# in the order a page meets them: (label, module file ending, function name). A stage nested in another
# (trafilatura inside extract_article) is also counted in its parent.
STAGES = (
    ("prepare_page (decode, parse)", "pipelines/extract/core.py", "prepare_page"),
    ("read_links", "pipelines/extract/links.py", "read_links"),
    ("capture digest + compression", "pipelines/analysis/job.py", "of"),
    ("extract_article (all of it)", "pipelines/extract/core.py", "extract_article"),
    ("  trafilatura bare_extraction", "trafilatura/core.py", "bare_extraction"),
    ("  related_lines", "pipelines/extract/related.py", "related_lines"),
    ("  layout pruning + unwrapping", "pipelines/extract/layout.py", "prune_figure_and_menu_tables"),
    ("  _assemble (dates, meta)", "pipelines/extract/core.py", "_assemble"),
    ("    find_dates", "pipelines/extract/page_dates.py", "find_dates"),
    ("language", "pipelines/detect/langid.py", "label_language"),
    ("  langdetect", "pipelines/detect/langid.py", "_langdetect"),
    ("identity + search fields", "pipelines/detect/identity.py", "identify"),
    ("  MinHash signature", "pipelines/detect/neardup.py", "folded_signature"),
)


def jobs(data: Path) -> list[PageJob]:
    """One article job per real page, as the crawl sends it (links read by a generic portal's rules)."""
    site = RealPagesSite(load_pages(data), 0)
    site.count = len(site.pages)
    found = []
    for number in range(site.count):
        body, content_type = site.article(number)
        url = BASE + site.path(number)
        found.append(PageJob(body, url, content_type, links=LinkRules(site_key(url))))
    return found


def cpu_per_page(work: Callable[[PageJob], object], pages: Sequence[PageJob], rounds: int) -> float:
    """CPU milliseconds per page of ``work`` over ``pages`` (the best of ``rounds`` passes)."""
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        started = time.process_time()
        for job in pages:
            work(job)
        best = min(best, time.process_time() - started)
    return 1000.0 * best / len(pages)


def bare(job: PageJob) -> object:
    import trafilatura

    try:
        return trafilatura.bare_extraction(job.body, with_metadata=True)
    except Exception:  # noqa: BLE001 - a page the library fails on still took its time
        return None


def stage_table(
    pages: Sequence[PageJob], total_ms: float, dump: str | None = None
) -> list[tuple[str, float, float]]:
    """(stage, share of analyse_page's profiled time, ms per page scaled to the unprofiled total); the
    profile's stats are written to ``dump`` when given."""
    profile = cProfile.Profile(time.process_time)  # CPU time, not the clock: the machine is shared
    profile.enable()
    for job in pages:
        analyse_page(job)
    profile.disable()
    if dump:
        profile.dump_stats(dump)
    stats = pstats.Stats(profile)
    entries = stats.stats  # type: ignore[attr-defined]  # {(file, line, name): (cc, nc, tt, ct, callers)}
    whole = sum(ct for (file, _, name), (_, _, _, ct, _) in entries.items() if name == "analyse_page")
    rows = []
    for label, ending, function in STAGES:
        seconds = sum(
            ct
            for (file, _, name), (_, _, _, ct, _) in entries.items()
            if name == function and file.replace(os.sep, "/").endswith(ending)
        )
        share = seconds / whole if whole else 0.0
        rows.append((label, share, share * total_ms))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default_data = os.environ.get("NEWSARCHIVE_DATA") or str(ROOT.parent / "shared" / "data")
    parser.add_argument("--data", default=default_data, help="dir of real pages (default ../shared/data)")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the pages; the best counts")
    parser.add_argument("--profile", action="store_true", help="also print the stage-by-stage table")
    parser.add_argument("--dump", metavar="FILE", help="write the cProfile stats of one pass to FILE")
    args = parser.parse_args(argv)
    pages = jobs(Path(args.data))
    for job in pages[:5]:  # imports and first-call set-up outside the clock
        analyse_page(job)
        bare(job)
    ours = cpu_per_page(analyse_page, pages, args.rounds)
    floor = cpu_per_page(bare, pages, args.rounds)
    print(
        f"BENCH workload=analysis pages={len(pages)} analyse_ms_page={ours:.1f} bare_ms_page={floor:.1f} "
        f"ratio={ours / floor:.2f}"
    )
    if args.profile or args.dump:
        for label, share, ms in stage_table(pages, ours, args.dump):
            print(f"  {label:<34} {100 * share:5.1f} %  {ms:6.1f} ms/page")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
