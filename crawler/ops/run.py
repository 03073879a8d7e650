"""One crawl from the command line: leases awaited, Scrapy run, signals remembered, an honest exit status."""

from __future__ import annotations

import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.portals import Portal
from crawler.runtime.scrapy_internals import internal
from pipelines.analysis.heap import pin_mmap_threshold
from storage import leases
from storage.db import open_archive

# Exit statuses a shell, cron or a scheduler can act on: 128 + the signal number when interrupted.
EXIT_OK, EXIT_FAILED = 0, 1
EXIT_SIGINT, EXIT_SIGTERM = 128 + signal.SIGINT, 128 + signal.SIGTERM
LEASE_POLL_SECONDS = 5.0


class _Process(CrawlerProcess):
    """CrawlerProcess that remembers which signal stopped it (Scrapy's graceful shutdown otherwise).

    It overrides Scrapy's private signal handlers, which CrawlerProcess installs for SIGINT and SIGTERM:
    a Scrapy that renamed them fails the crawl at its start (ScrapyInternalsMissing) instead of reporting
    an interrupted crawl as a failed one.
    """

    signum: int | None = None

    def __init__(self, settings: Settings) -> None:
        for name in ("_signal_shutdown", "_signal_kill"):
            internal(CrawlerProcess, name, "crawler/ops/run.py")
        super().__init__(settings)

    def _signal_shutdown(self, signum: int, frame: Any) -> None:
        self.signum = self.signum or signum
        super()._signal_shutdown(signum, frame)

    def _signal_kill(self, signum: int, frame: Any) -> None:
        self.signum = self.signum or signum
        super()._signal_kill(signum, frame)


@dataclass
class CrawlResult:
    """What a crawl came to: its stats, its portals, how long it took, the signal that stopped it."""

    stats: dict[str, Any]
    portals: list[str]
    elapsed: float
    signum: int | None = None
    waited: dict[str, float] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return str(self.stats.get("run/status") or ("interrupted" if self.signum else "failed"))

    @property
    def exit_status(self) -> int:
        """0 when the crawl finished, every portal was reached and nothing it discovered was given up;
        130/143 when a signal stopped it; 1 when it failed (a portal unreachable or yielding no page, the
        archive lost) or left URLs for the next crawl (``incomplete``)."""
        if self.signum == signal.SIGINT:
            return EXIT_SIGINT
        if self.signum == signal.SIGTERM:
            return EXIT_SIGTERM
        return EXIT_OK if self.status == "finished" else EXIT_FAILED


def wait_for_leases(
    database_url: str, portals: list[Portal], *, poll: float = LEASE_POLL_SECONDS
) -> dict[str, float]:
    """Block until no other crawl holds a lease on these portals; return how long each was awaited."""
    engine, factory = open_archive(database_url)
    waited: dict[str, float] = {}
    try:
        for portal in portals:
            started = time.monotonic()
            announced = False
            while True:
                with factory() as session:
                    holder = leases.holder_of(session, portal.key)
                if holder is None or leases.dead_on_this_host(*leases.holder_process(holder.holder)):
                    break
                if not announced:
                    print(
                        f"waiting for portal {portal.key}: crawled by {holder.holder}",
                        file=sys.stderr,
                        flush=True,
                    )
                    announced = True
                time.sleep(poll)
            waited[portal.key] = time.monotonic() - started
    finally:
        engine.dispose()
    return waited


def run_crawl(settings: Settings, spider_arguments: dict[str, str | None]) -> CrawlResult:
    """Run the portal spider with ``settings`` in this process; return its result when it ends."""
    pin_mmap_threshold()  # response bodies go back to the system when freed (pipelines.analysis.heap)
    process = _Process(settings)
    crawler = process.create_crawler("portal")
    started = time.monotonic()
    process.crawl(crawler, **{name: value for name, value in spider_arguments.items() if value})
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    spider = crawler.spider
    portals = (
        sorted({*getattr(spider, "portals", {}), *getattr(spider, "leased_portals", {})}) if spider else []
    )
    return CrawlResult(stats, portals, time.monotonic() - started, process.signum)


_FAILED_PORTAL = {"unreachable": "unreachable", "robots_refused": "refused by its robots.txt"}


def failure_message(stats: dict[str, Any], status: str) -> str:
    """Return the one line saying why a crawl did not succeed, from its stats: what happened to which
    portal (and why, as the home page's fetch failed) or to the archive, rather than Scrapy's finish
    reason, which is ``finished`` for a crawl of an unreachable portal."""
    reason = stats.get("finish_reason")
    if reason == "archive_unavailable":
        why = stats.get("archive/unavailable") or "it could not be written"
        next_crawl = "the next crawl fetches what was not written"
        return f"crawl {status}: the archive was unavailable ({why}); {next_crawl}"
    outcomes: dict[str, dict[str, Any]] = stats.get("run/outcomes") or {}
    failing = [
        f"portal {key} {_FAILED_PORTAL[outcome['outcome']]}"
        + (f" ({outcome['home']})" if outcome.get("home") else " (no page answered)")
        for key, outcome in outcomes.items()
        if outcome.get("outcome") in _FAILED_PORTAL
    ]
    if failing:
        return f"crawl {status}: " + "; ".join(failing)
    return f"crawl {status} (finish reason: {reason})"


def crawl_summary(stats: dict[str, Any], portals: list[str], elapsed: float) -> str:
    """Return the human summary of one crawl from its Scrapy stats."""
    pages = stats.get("downloader/response_count", 0)
    rows = [
        ("portals", ", ".join(portals) or "-"),
        ("pages fetched", pages),
        ("articles archived", stats.get("archive/stored", 0)),
        ("new versions", stats.get("archive/version", 0)),
        ("unchanged revisits", stats.get("archive/revisit", 0)),
        ("exact duplicates", stats.get("archive/duplicate", 0)),
        ("near duplicates", stats.get("archive/near_duplicate", 0)),
        ("off-language", stats.get("archive/off_language", 0)),
        ("failures", stats.get("archive/failed", 0)),
        ("robots.txt refusals", stats.get("discovery/robots_forbidden", 0)),
        ("address guard refusals", stats.get("guard/refused", 0)),
        ("elapsed", f"{elapsed:.1f} s ({pages / elapsed if elapsed else 0:.1f} pages/s)"),
    ]
    bounds = {
        key.removeprefix("bounds/"): value
        for key, value in sorted(stats.items())
        if key.startswith("bounds/")
    }
    if bounds:
        # A bound that was hit means the crawl stopped short on purpose; operators must see which.
        rows.append(("limits reached", ", ".join(f"{name} x{count}" for name, count in bounds.items())))
    if stats.get("archive/outages"):
        # Ridden out (or not): operators should know their database dropped out under a crawl.
        longest = stats.get("archive/longest_outage", 0)
        rows.append(("archive outages", f"{stats['archive/outages']} (longest {longest} s)"))
    outcomes: dict[str, dict[str, Any]] = stats.get("run/outcomes") or {}
    for key, outcome in outcomes.items():
        detail = outcome.get("home") or outcome.get("holder") or f"{outcome.get('new', 0)} new"
        rows.append((f"portal {key}", f"{outcome['outcome']} ({detail})"))
    if stats.get("frontier/left"):
        rows.append(("left for the next crawl", f"{stats['frontier/left']} URLs"))
    if stats.get("run/status"):
        rows.append(("run", str(stats["run/status"])))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)
