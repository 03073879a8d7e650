"""Crawl-run bookkeeping: the run row, its heartbeat and the honest outcome of each portal."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet import task, threads

from crawler import defaults
from crawler.runtime.archive_sessions import ArchiveSessions
from pipelines.outage import ArchiveOutage, outage_of
from storage import leases, runs
from storage.db import ArchiveUnavailable
from storage.frontier.backlog import backlog, left_for_next_crawl
from storage.models import RunStatus, utcnow
from storage.safe_text import exception_line
from storage.timezone import local_iso

logger = logging.getLogger(__name__)

# The run row's heartbeat: often enough that a killed crawl is recognised within minutes, rarely enough
# to cost nothing. A running run whose heartbeat is older than STALE_AFTER was killed.
HEARTBEAT_SECONDS = 30.0
STALE_AFTER = timedelta(minutes=3)
# What each portal's crawl came to (the run's ``outcomes``); the first two fail the run.
UNREACHABLE, ROBOTS_REFUSED, REACHED, NOTHING_NEW, ERRORS, LEASED = (
    "unreachable", "robots_refused", "reached", "nothing_new", "errors", "leased",
)  # fmt: skip
_FAILING = (UNREACHABLE, ROBOTS_REFUSED)
# The spider's home_failed reason for a home page that redirected off the portal's sites (and aliases).
_MOVED = re.compile(r"home page redirected off the site, to (\S+)")


class NetworkErrorsOnOneLine(logging.Filter):
    """Network failures (refused connections, DNS errors, timeouts) are a portal's state, not a bug:
    Scrapy logs some with a traceback (robots.txt fetches); this keeps them to their one-line message.
    Tracebacks of anything else are kept."""

    _MODULES = ("twisted.internet.error", "twisted.web._newclient", "scrapy.exceptions", "OpenSSL")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            causes = [error, error.__cause__, error.__context__]
            if any(
                cause is not None and type(cause).__module__.startswith(self._MODULES) for cause in causes
            ):
                record.exc_info, record.exc_text = None, None
        return True


def quiet_network_tracebacks() -> None:
    """Install NetworkErrorsOnOneLine on the Scrapy loggers that log network failures with tracebacks."""
    for name in ("scrapy.downloadermiddlewares.robotstxt", "scrapy.core.scraper", "scrapy.core.engine"):
        target = logging.getLogger(name)
        if not any(isinstance(f, NetworkErrorsOnOneLine) for f in target.filters):
            target.addFilter(NetworkErrorsOnOneLine())


def portal_outcome(stats: dict[str, Any], key: str) -> dict[str, Any]:
    """Return what one portal's crawl came to, from the crawl's stats, with the figures behind it."""
    prefix = f"portal/{key}/"
    responses = stats.get(prefix + "responses", 0)
    kinds = ("stored", "version", "revisit", "duplicate", "near_duplicate", "off_language", "failed")
    archive = {kind: stats.get(f"{prefix}archive/{kind}", 0) for kind in kinds}
    fresh = archive["stored"] + archive["version"] + archive["duplicate"] + archive["near_duplicate"]
    fetched = sum(archive.values())
    home = stats.get(prefix + "home_failed")
    # A home page refused by the address guard or redirected off the site, with nothing new from anywhere
    # else, is an unreachable portal, though its robots.txt answered.
    elsewhere = any(why in str(home or "") for why in ("address guard", "off the site"))
    if responses == 0 or (elsewhere and not fresh):
        outcome = ROBOTS_REFUSED if home and "robots.txt" in home else UNREACHABLE
    elif fresh:
        outcome = REACHED
    elif archive["failed"] and archive["failed"] * 2 >= fetched:
        outcome = ERRORS
    else:
        outcome = NOTHING_NEW
    result: dict[str, Any] = {"outcome": outcome, "responses": responses, "new": fresh, **archive}
    if home:
        result["home"] = home
    moved = _MOVED.search(str(home or ""))
    if moved:
        result["moved_to"] = moved.group(1)  # `newsarchive health` says "moved?"
    return result


class CrawlRunRecorder:
    """Records crawl runs so operators can see what every crawl did (`newsarchive runs`).

    At start: a ``running`` row (host, pid), after marking runs whose heartbeat stopped as
    ``abandoned``. While crawling: a heartbeat every HEARTBEAT_SECONDS. At the end: an outcome per
    portal (reached, nothing_new, errors, unreachable, robots_refused, leased) with the article URLs it
    left for the next crawl (``left``), and the run's status: ``failed`` when a portal could not be
    reached or yielded no page (or the archive was lost), ``interrupted`` on SIGINT/SIGTERM,
    ``incomplete`` when URLs were left for the next crawl, else ``finished``. The status and outcomes
    are also put in the stats (``run/status``, ``run/outcomes``) for the command that started the crawl.

    Settings: CRAWL_RUN_RECORDER_ENABLED (default True), ARCHIVE_DATABASE_URL, NEWSARCHIVE_SCRAPYD_NODE
    (recorded as the run's node; the job id is Scrapyd's ``_job`` spider argument, or $SCRAPY_JOB for a
    crawl a local scheduler started). Puts the run id in the stats as ``archive/run_id`` for the
    archive pipeline.
    """

    def __init__(
        self, database_url: str, crawler: Any, node: str | None = None, outage: ArchiveOutage | None = None
    ) -> None:
        self.database_url = database_url
        self.outage = outage or ArchiveOutage()
        self.crawler = crawler
        self.node = node
        self.run_id: int | None = None
        self.started_at = utcnow()
        self.archive: ArchiveSessions | None = None
        self.beat: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlRunRecorder:
        if not crawler.settings.getbool("CRAWL_RUN_RECORDER_ENABLED", defaults.CRAWL_RUN_RECORDER_ENABLED):
            raise NotConfigured("CRAWL_RUN_RECORDER_ENABLED is off")
        quiet_network_tracebacks()
        recorder = cls(
            crawler.settings.get("ARCHIVE_DATABASE_URL"),
            crawler,
            crawler.settings.get("NEWSARCHIVE_SCRAPYD_NODE"),
            outage_of(crawler),
        )
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider: Any) -> None:
        portals = sorted(getattr(spider, "portals", {}))
        self.started_at = utcnow()
        try:
            self.archive = ArchiveSessions(self.database_url, self.outage)
            abandoned = self.archive.run(
                lambda session: runs.abandon_stale_runs(
                    session, STALE_AFTER, is_dead=leases.dead_on_this_host
                )
            )
            self.run_id = self.archive.run(
                lambda session: runs.start_run(
                    session, spider.name, portals, host=socket.gethostname(), pid=os.getpid(),
                    node=self.node, job_id=getattr(spider, "_job", None) or os.environ.get("SCRAPY_JOB"),
                ).id
            )  # fmt: skip
        except (ArchiveUnavailable, SQLAlchemyError) as exc:
            logger.error("cannot record the crawl run: %s", exception_line(exc))
            return
        if abandoned:
            logger.warning("crawl runs %s stopped without finishing (killed): marked abandoned", abandoned)
        self.crawler.stats.set_value("archive/run_id", self.run_id)
        self.beat = task.LoopingCall(self._heartbeat)
        self.beat.start(HEARTBEAT_SECONDS, now=False)

    def _heartbeat(self) -> Any:
        if self.archive is None or self.run_id is None:
            return None
        archive, run_id, stats = self.archive, self.run_id, _json_able(self.crawler.stats.get_stats())
        deferred = threads.deferToThread(
            archive.run, lambda session: runs.heartbeat_run(session, run_id, stats)
        )
        deferred.addErrback(
            lambda failure: logger.warning("heartbeat not recorded: %s", failure.getErrorMessage())
        )
        return deferred

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.beat is not None and self.beat.running:
            self.beat.stop()
        if self.run_id is None or self.archive is None:
            return
        stats = self.crawler.stats
        leased = set(getattr(spider, "leased_portals", {}))
        outcomes = {
            key: {"outcome": LEASED, "holder": spider.leased_portals[key]}
            if key in leased
            else portal_outcome(stats.get_stats(), key)
            for key in sorted(set(getattr(spider, "portals", {})) | leased)
        }
        self._note_left(spider, outcomes)
        status, why = run_status(reason, outcomes)
        stats.set_value("run/status", status)
        stats.set_value("run/outcomes", outcomes)
        final = _json_able(stats.get_stats())
        run_id = self.run_id
        try:
            self.archive.run(
                lambda session: runs.finish_run(
                    session, run_id, status=status, reason=why, stats=final, outcomes=outcomes
                )
            )
        except SQLAlchemyError as exc:
            logger.error("cannot record the end of crawl run %s: %s", run_id, exception_line(exc))
        finally:
            self.archive.dispose()

    def _note_left(self, spider: Any, outcomes: dict[str, dict[str, Any]]) -> None:
        """Add to each crawled portal's outcome how many article URLs this crawl left for the next one
        (storage.frontier.backlog.left_for_next_crawl) and the frontier's backlog at its end, and the
        total left to the stats as ``frontier/left``.

        The spider's frontier planner has written its last discovery records by now: its spider_closed
        handler was connected first (the spider exists before the extensions)."""
        planner = getattr(spider, "planner", None)
        portal_ids: dict[str, int] = dict(getattr(planner, "portal_ids", {}) or {})
        crawled = {
            key: portal_ids[key]
            for key, o in outcomes.items()
            if key in portal_ids and o["outcome"] != LEASED
        }
        if self.archive is None or not crawled:
            return
        started, since, ids = self.started_at, getattr(spider, "since", None), list(crawled.values())
        try:
            left, owed = self.archive.run(
                lambda session: (
                    left_for_next_crawl(session, ids, started, since=since),
                    backlog(session, ids),
                )
            )
        except (ArchiveUnavailable, SQLAlchemyError) as exc:
            logger.error("cannot count the URLs left for the next crawl: %s", exc)
            return
        for key, portal_id in crawled.items():
            # The backlog at the run's end too: `health` warns when it stops shrinking across runs.
            outcomes[key].update(left=left.get(portal_id, 0), backlog=owed[portal_id].total)
        self.crawler.stats.set_value("frontier/left", sum(left.values()))


def run_status(reason: str, outcomes: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """Return the run's status and why, from Scrapy's finish reason and the portals' outcomes."""
    if reason == "shutdown":
        return RunStatus.INTERRUPTED.value, "interrupted by a signal (SIGINT or SIGTERM)"
    if reason == "archive_unavailable":
        return RunStatus.FAILED.value, "the archive could not be written"
    failing = {key: value["outcome"] for key, value in outcomes.items() if value["outcome"] in _FAILING}
    if failing:
        return RunStatus.FAILED.value, "; ".join(f"{key}: {outcome}" for key, outcome in failing.items())
    if reason not in ("finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"):
        return RunStatus.FAILED.value, reason
    left = sum(int(value.get("left", 0)) for value in outcomes.values())
    if left:
        # The honest exit: a crawl that gave discovered URLs up says how many the next one must fetch.
        return RunStatus.INCOMPLETE.value, f"{reason}; {left} URLs left for the next crawl"
    return RunStatus.FINISHED.value, reason


def _json_able(stats: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, datetime):  # Scrapy's start/finish times are UTC: shown in the archive's zone
            out[key] = local_iso(value if value.tzinfo else value.replace(tzinfo=UTC))
        else:
            try:
                json.dumps(value)
                out[key] = value
            except TypeError:
                out[key] = str(value)
    return out
