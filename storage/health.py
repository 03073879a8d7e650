"""Portal health from the archive: each portal's recent output and quality against its own baseline.

A portal that silently changes its template keeps answering but yields articles without bodies or
dates, or fewer articles, or failures; one that goes away stops yielding. Both show here, by portal,
with the figure and the baseline it is compared with, within a day of a daily crawl.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import takewhile
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from storage.frontier.backlog import Backlog, backlog
from storage.models import Article, Capture, CrawlRun, Portal, Schedule, utcnow
from storage.timezone import human_datetime, local_iso
from storage.urls import site_key

OK, WARNING, ERROR = "ok", "warning", "error"
_LEVELS = {OK: 0, WARNING: 1, ERROR: 2}
RECENT = timedelta(days=7)
# A backlog recorded at the end of this many runs in a row without shrinking: warning.
BACKLOG_RUNS = 3
# The baseline is the portal's own output in the four weeks before the recent week.
BASELINE = timedelta(days=28)
LONG_BODY = 500  # characters of text: a body "over 500 characters"


@dataclass(frozen=True)
class Thresholds:
    """When a figure is a warning or an error (the `newsarchive health` options; defaults documented
    there and in docs/operations.md)."""

    drop_warning: float = 0.5  # recent articles/day below this share of the baseline: warning
    drop_error: float = 0.2  # ... below this share: error (a portal that stopped yielding)
    coverage_drop: float = 0.3  # a field's share (date, author, title, long body) drops this much: warning
    extraction_jump: float = 0.3  # extraction failure rate rises this much over the baseline: error
    fetch_errors: float = 0.2  # recent fetch error rate above this: warning
    off_language: float = 0.3  # recent off-language share above this: warning
    late: timedelta = timedelta(hours=2)  # a schedule overdue by more than this: warning
    min_baseline: int = 10  # fewer baseline articles than this: too little history to compare


@dataclass
class PortalHealth:
    """One portal's health: its level (ok, warning, error), each problem in words, and the figures."""

    portal: str
    level: str = OK
    problems: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def flag(self, level: str, problem: str) -> None:
        self.problems.append(problem)
        if _LEVELS[level] > _LEVELS[self.level]:
            self.level = level

    @property
    def exit_status(self) -> int:
        return _LEVELS[self.level]


def _window_stats(session: Session, portal_id: int, start: datetime, end: datetime) -> dict[str, Any]:
    """Article counts and field coverage, capture failure counts, for one portal and time window."""
    in_window = and_(
        Article.portal_id == portal_id, Article.first_captured_at >= start, Article.first_captured_at < end
    )
    articles = session.execute(
        select(
            func.count(),
            func.sum(case((Article.published_at.is_not(None), 1), else_=0)),
            func.sum(case((and_(Article.author.is_not(None), Article.author != ""), 1), else_=0)),
            func.sum(case((and_(Article.title.is_not(None), Article.title != ""), 1), else_=0)),
            func.sum(case((func.length(Article.text) > LONG_BODY, 1), else_=0)),
            func.sum(case((Article.status == "off_language", 1), else_=0)),
        ).where(in_window)
    ).one()
    captures = session.execute(
        select(
            func.count(),
            func.sum(case((Capture.status == "fetch_failed", 1), else_=0)),
            func.sum(case((Capture.status == "extraction_failed", 1), else_=0)),
        ).where(Capture.portal_id == portal_id, Capture.fetched_at >= start, Capture.fetched_at < end)
    ).one()
    count = int(articles[0] or 0)
    fetched = int(captures[0] or 0)
    share = lambda value: (int(value or 0) / count) if count else None  # noqa: E731
    return {
        "articles": count,
        "dated": share(articles[1]),
        "with_author": share(articles[2]),
        "with_title": share(articles[3]),
        "long_body": share(articles[4]),
        "off_language": share(articles[5]),
        "captures": fetched,
        "fetch_error_rate": (int(captures[1] or 0) / fetched) if fetched else None,
        "extraction_failure_rate": (int(captures[2] or 0) / fetched) if fetched else None,
    }


def _last_runs(session: Session, key: str, limit: int = 50) -> list[CrawlRun]:
    """The portal's most recent finished or failed runs, newest first (runs list the portals they crawled)."""
    runs = session.scalars(
        select(CrawlRun).where(CrawlRun.status != "running").order_by(CrawlRun.started_at.desc()).limit(limit)
    )
    return [run for run in runs if key in (run.outcomes or {}) or key in (run.portals or [])]


def portal_health(
    session: Session, key: str, thresholds: Thresholds = Thresholds(), now: datetime | None = None
) -> PortalHealth:
    """Return the health of the portal ``key`` (registered in the archive's portals table)."""
    now = now or utcnow()
    report = PortalHealth(key)
    portal_id = session.scalar(select(Portal.id).where(Portal.key == key))
    if portal_id is None:
        report.flag(ERROR, "never crawled into this archive")
        return report
    recent = _window_stats(session, portal_id, now - RECENT, now)
    baseline = _window_stats(session, portal_id, now - RECENT - BASELINE, now - RECENT)
    days = {label: _window_stats(session, portal_id, now - span, now)["articles"] / span.days
            for label, span in (("1d", timedelta(days=1)), ("7d", RECENT), ("28d", BASELINE))}  # fmt: skip
    report.figures = {
        "articles_per_day": days,
        "baseline_per_day": baseline["articles"] / BASELINE.days,
        "recent": recent,
        "baseline": baseline,
    }
    runs = _last_runs(session, key)
    last = runs[0] if runs else None
    good = next((run for run in runs if _portal_outcome(run, key) in ("reached", "nothing_new")), None)
    report.figures["last_run"] = _run_summary(last, key)
    report.figures["last_successful_run"] = local_iso(good.finished_at) if good else None
    owed = backlog(session, [portal_id])[portal_id]
    report.figures["backlog"] = {**owed.as_dict(), "at_run_ends": _run_backlogs(runs, key)}
    _judge_last_run(report, last, key)
    _judge_backlog(report, owed, report.figures["backlog"]["at_run_ends"])
    _judge_lineage(session, report, runs, key)
    _judge_output(report, recent, baseline, thresholds)
    _judge_schedule(report, session.get(Schedule, key), thresholds, now)
    return report


def _portal_outcome(run: CrawlRun, key: str) -> str | None:
    outcome = (run.outcomes or {}).get(key)
    return outcome.get("outcome") if isinstance(outcome, dict) else None


def _run_summary(run: CrawlRun | None, key: str) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "id": run.id,
        "status": run.status,
        "outcome": _portal_outcome(run, key),
        "finished_at": local_iso(run.finished_at),
    }


def _judge_last_run(report: PortalHealth, last: CrawlRun | None, key: str) -> None:
    if last is None:
        report.flag(WARNING, "no crawl run recorded yet")
        return
    outcome = _portal_outcome(last, key)
    if outcome in ("unreachable", "robots_refused"):
        report.flag(ERROR, f"last crawl (run {last.id}) reached nothing: {outcome}")
    elif last.status in ("failed", "abandoned") and outcome not in ("leased", "reached", "nothing_new"):
        # A run fails when any of its portals does; a portal that itself reached its pages is fine.
        report.flag(ERROR, f"last crawl (run {last.id}) {last.status}: {last.finish_reason or ''}".strip())
    elif outcome == "errors":
        report.flag(WARNING, f"last crawl (run {last.id}) mostly failed to fetch")


def _run_backlogs(runs: list[CrawlRun], key: str) -> list[int]:
    """The portal's backlog at the end of its last BACKLOG_RUNS runs that recorded one, newest first."""
    found = []
    for run in runs:
        outcome = (run.outcomes or {}).get(key)
        if isinstance(outcome, dict) and isinstance(outcome.get("backlog"), int):
            found.append(outcome["backlog"])
            if len(found) == BACKLOG_RUNS:
                break
    return found


def _judge_backlog(report: PortalHealth, owed: Backlog, at_run_ends: list[int]) -> None:
    """Warn when the frontier's backlog did not shrink across the last BACKLOG_RUNS runs: the crawls
    leave more than they finish (a page budget too small, a portal failing half its fetches)."""
    if owed.total and len(at_run_ends) == BACKLOG_RUNS and at_run_ends[0] >= at_run_ends[-1] > 0:
        report.flag(WARNING, f"backlog not shrinking over the last {BACKLOG_RUNS} runs: {owed.describe()}")


def _judge_lineage(session: Session, report: PortalHealth, runs: list[CrawlRun], key: str) -> None:
    """A portal that moved or went dark, with the registry change that records it (crawler/portals.toml:
    ``aliases``, ``successor``, ``active_until``).

    "moved?": the last crawl found the home page redirecting off the portal's hosts (the crawl's
    ``moved_to``), to another portal of this archive or to a host no portal has. "offline since": the
    last crawls in a row could not reach it; since the first of them.
    """
    moved = _moved_to(runs[0], key) if runs else None
    if moved:
        host = site_key(moved)
        other = next(
            (
                p.key
                for p in session.scalars(select(Portal).where(Portal.key != key))
                if site_key(p.home_url) == host
            ),
            None,
        )
        report.figures["moved_to"] = moved
        if other:
            report.flag(
                WARNING,
                f"moved? the home page redirects to {moved}, portal {other}'s site; suggested registry "
                f'change: successor = "{other}" and active_until = the last day it published',
            )
        else:
            report.flag(
                WARNING,
                f"moved? the home page redirects to {moved}, a host of no known portal; suggested registry "
                f'change: aliases = ["{host}"] if it is the same paper, else a new portal and successor',
            )
    # A home page that redirects elsewhere leaves the portal unreachable too, but it answered: moved.
    silent = lambda run: _portal_outcome(run, key) == "unreachable" and not _moved_to(run, key)  # noqa: E731
    streak = list(takewhile(silent, runs))
    if streak:
        answered = next((run for run in runs[len(streak) :] if not silent(run)), None)
        since = streak[-1].started_at
        last = f"last answered {human_datetime(answered.started_at)}" if answered else "never answered"
        report.figures["offline_since"] = since.isoformat()
        suggestion = (
            f'active_until = "{answered.started_at.date().isoformat()}"' if answered else "active_until"
        )
        report.flag(
            ERROR,
            f"offline since {human_datetime(since)} ({len(streak)} crawls unanswered, {last}); suggested "
            f"registry change once it is gone for good: {suggestion}, and `newsarchive backfill {key}` "
            "from a web archive",
        )


def _moved_to(run: CrawlRun, key: str) -> str | None:
    outcome = (run.outcomes or {}).get(key)
    return outcome.get("moved_to") if isinstance(outcome, dict) else None


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _judge_output(
    report: PortalHealth, recent: dict[str, Any], baseline: dict[str, Any], limits: Thresholds
) -> None:
    per_day = recent["articles"] / RECENT.days
    base_per_day = baseline["articles"] / BASELINE.days
    if baseline["articles"] >= limits.min_baseline:
        if per_day < limits.drop_error * base_per_day:
            report.flag(ERROR, f"{per_day:.1f} articles/day in the last 7 days, baseline {base_per_day:.1f}")
        elif per_day < limits.drop_warning * base_per_day:
            report.flag(
                WARNING, f"{per_day:.1f} articles/day in the last 7 days, baseline {base_per_day:.1f}"
            )
        fields = (
            ("dated", "with a date"),
            ("with_author", "with an author"),
            ("with_title", "with a title"),
            ("long_body", f"with a body over {LONG_BODY} chars"),
        )
        for name, label in fields:
            now_share, before = recent[name], baseline[name]
            if now_share is not None and before is not None and before - now_share > limits.coverage_drop:
                report.flag(WARNING, f"{_pct(now_share)} of recent articles {label}, baseline {_pct(before)}")
        jump = (recent["extraction_failure_rate"] or 0) - (baseline["extraction_failure_rate"] or 0)
        if recent["extraction_failure_rate"] is not None and jump > limits.extraction_jump:
            report.flag(
                ERROR,
                f"extraction failures {_pct(recent['extraction_failure_rate'])} of recent captures, "
                f"baseline {_pct(baseline['extraction_failure_rate'])} (a template change?)",
            )
    elif recent["articles"] == 0 and baseline["articles"] == 0 and report.figures.get("last_run"):
        report.flag(ERROR, f"no article archived in the last {(RECENT + BASELINE).days} days")
    if (recent["fetch_error_rate"] or 0) > limits.fetch_errors:
        report.flag(WARNING, f"fetch errors {_pct(recent['fetch_error_rate'])} of recent captures")
    if (recent["off_language"] or 0) > limits.off_language:
        report.flag(WARNING, f"{_pct(recent['off_language'])} of recent articles in another language")


def _judge_schedule(
    report: PortalHealth, schedule: Schedule | None, limits: Thresholds, now: datetime
) -> None:
    if schedule is None:
        return
    late = now - schedule.next_run_at
    report.figures["schedule_late_seconds"] = max(0, int(late.total_seconds()))
    if schedule.running_since is None and late > limits.late:
        report.flag(WARNING, f"scheduled crawl overdue by {late.total_seconds() / 3600:.1f} h")


def all_portal_keys(session: Session) -> list[str]:
    """Every portal the archive knows, by key."""
    return list(session.scalars(select(Portal.key).order_by(Portal.key)))
