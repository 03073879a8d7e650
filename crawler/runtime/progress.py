"""Live progress of a crawl: a table per portal on a terminal, a plain line per portal otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from rich.console import Console
from rich.live import Live
from rich.table import Table
from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler import defaults

# Figures per portal: (column, stats keys under portal/<key>/ that add up to it).
FIGURES = (
    ("pages", ("responses",)),
    ("new", ("archive/stored", "archive/duplicate", "archive/near_duplicate")),
    ("updated", ("archive/version",)),
    ("unchanged", ("archive/revisit",)),
    ("failed", ("archive/failed",)),
)


def portal_figures(stats: dict[str, Any], key: str) -> dict[str, int]:
    """Return the progress figures of one portal from the crawl's stats."""
    return {
        name: sum(int(stats.get(f"portal/{key}/{part}", 0) or 0) for part in parts) for name, parts in FIGURES
    }


class ProgressReporter:
    """Shows what the crawl is doing while it runs.

    On a terminal (stdout a TTY): a live table, one row per portal (pages fetched, articles new,
    updated, unchanged, failed), with requests per second and the queue size. Otherwise: one plain line
    per portal every NEWSARCHIVE_PROGRESS_INTERVAL seconds on stderr, for logs and cron mail.

    Settings: NEWSARCHIVE_PROGRESS ("auto", "live", "plain" or "off"; default "auto"),
    NEWSARCHIVE_PROGRESS_INTERVAL (seconds between plain lines; default 30).
    """

    def __init__(self, crawler: Any, mode: str, interval: float, stream: TextIO | None = None) -> None:
        self.crawler = crawler
        self.mode = mode
        self.interval = interval
        self.stream = stream or sys.stderr
        self.live: Live | None = None
        self.loop: task.LoopingCall | None = None
        self.started = time.monotonic()
        self.last = (self.started, 0)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ProgressReporter:
        settings = crawler.settings
        mode = settings.get("NEWSARCHIVE_PROGRESS", defaults.NEWSARCHIVE_PROGRESS)
        if mode == "off":
            raise NotConfigured("NEWSARCHIVE_PROGRESS is off")
        if mode == "auto":
            mode = "live" if sys.stdout.isatty() else "plain"
        interval = settings.getfloat("NEWSARCHIVE_PROGRESS_INTERVAL", defaults.NEWSARCHIVE_PROGRESS_INTERVAL)
        reporter = cls(crawler, mode, interval)
        crawler.signals.connect(reporter.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(reporter.spider_closed, signal=signals.spider_closed)
        return reporter

    def spider_opened(self, spider: Any) -> None:
        self.spider = spider
        if self.mode == "live":
            self.live = Live(
                self.table(), console=Console(file=sys.stdout), refresh_per_second=2, transient=False
            )
            self.live.start()
            self.loop = task.LoopingCall(self._refresh)
            self.loop.start(1.0, now=False)
        else:
            self.loop = task.LoopingCall(self._print)
            self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Any) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.live is not None:
            self.live.update(self.table())
            self.live.stop()

    def _rate_and_queue(self) -> tuple[float, int]:
        stats = self.crawler.stats.get_stats()
        now, responses = time.monotonic(), int(stats.get("downloader/response_count", 0))
        then, before = self.last
        self.last = (now, responses)
        scheduler = self.crawler.engine.scheduler  # public since Scrapy 2.19; None until the spider opens
        return (responses - before) / max(now - then, 1e-6), (len(scheduler) if scheduler is not None else 0)

    def table(self) -> Table:
        """Return the live table of the crawl so far."""
        rate, queued = self._rate_and_queue()
        elapsed = time.monotonic() - self.started
        table = Table(
            title=f"crawling: {elapsed:.0f} s, {rate:.1f} requests/s, {queued} queued", title_justify="left"
        )
        table.add_column("portal")
        for name, _ in FIGURES:
            table.add_column(name, justify="right")
        stats = self.crawler.stats.get_stats()
        for key in sorted(getattr(self.spider, "portals", {})):
            figures = portal_figures(stats, key)
            table.add_row(key, *(str(figures[name]) for name, _ in FIGURES))
        return table

    def _refresh(self) -> None:
        if self.live is not None:
            self.live.update(self.table())

    def _print(self) -> None:
        rate, queued = self._rate_and_queue()
        stats = self.crawler.stats.get_stats()
        for key in sorted(getattr(self.spider, "portals", {})):
            figures = portal_figures(stats, key)
            line = " ".join(f"{name}={value}" for name, value in figures.items())
            self.stream.write(f"progress {key}: {line} rate={rate:.1f}/s queued={queued}\n")
        self.stream.flush()
