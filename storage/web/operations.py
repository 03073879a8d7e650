"""What the operators' pages show: one portal (health, frontier backlog, schedule, runs, charts) and
one crawl run (what `newsarchive runs show` prints)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from storage.export import records
from storage.health import portal_health
from storage.models import Article, CrawlRun, FrontierEntry, Portal, Schedule
from storage.urls import site_key
from storage.web.facets import local_period

# Beyond this many days between a portal's first and last article, its chart counts months, not days.
DAILY_SPAN_DAYS = 120
# Runs in a portal's run chart and table, newest last in the chart.
RUNS_SHOWN = 30
# The run stats charted: (series label, key in the portal's outcome, key in the run's stats).
RUN_SERIES = (
    ("trang tải (pages fetched)", "responses", "downloader/response_count"),
    ("bài mới (new)", "new", "archive/stored"),
    ("lỗi (failed)", "failed", "archive/failed"),
)


@dataclass(frozen=True)
class Period:
    """One bar of a portal's article chart: a day (YYYY-MM-DD) or month (YYYY-MM) and its count."""

    value: str
    count: int


def articles_over_time(session: Session, portal_id: int) -> tuple[str, list[Period]]:
    """Return the unit ("day" or "month") and the archived articles of a portal per publication day or
    month, every period from its first to its last article included, so gaps show as empty periods."""
    where = (Article.portal_id == portal_id, Article.status == "archived", Article.published_at.is_not(None))
    first, last = session.execute(
        select(func.min(Article.published_at), func.max(Article.published_at)).where(*where)
    ).one()
    if first is None or last is None:
        return "day", []
    first, last = _as_utc(first), _as_utc(last)
    unit = "day" if (last - first).days <= DAILY_SPAN_DAYS else "month"
    period = local_period(session, Article.published_at, unit)
    statement = select(period, func.count()).where(*where).group_by(period)
    counts = {row[0]: int(row[1]) for row in session.execute(statement)}
    counted = sorted(str(key) for key in counts if key)
    if not counted:
        return unit, []
    return unit, [
        Period(value, int(counts.get(value, 0))) for value in periods_between(counted[0], counted[-1], unit)
    ]


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def periods_between(first: str, last: str, unit: str) -> list[str]:
    """Return every day (YYYY-MM-DD) or month (YYYY-MM) from ``first`` to ``last``, both included."""
    if unit == "day":
        start, end = date.fromisoformat(first), date.fromisoformat(last)
        return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]
    year, month = int(first[:4]), int(first[5:7])
    values = []
    while f"{year:04d}-{month:02d}" <= last:
        values.append(f"{year:04d}-{month:02d}")
        year, month = year + (month == 12), month % 12 + 1
    return values


def frontier_backlog(session: Session, portal_id: int, now: datetime) -> dict[str, int]:
    """Return the portal's frontier entries per state, and how many are due now (discovered and never
    fetched, or whose revisit or retry time has come)."""
    rows = session.execute(
        select(FrontierEntry.state, func.count())
        .where(FrontierEntry.portal_id == portal_id)
        .group_by(FrontierEntry.state)
    )
    backlog = {str(state): int(n) for state, n in rows}
    due = session.scalar(
        select(func.count()).where(
            FrontierEntry.portal_id == portal_id,
            FrontierEntry.state != "removed",
            case(
                (FrontierEntry.next_fetch_at.is_(None), FrontierEntry.last_fetched_at.is_(None)),
                else_=FrontierEntry.next_fetch_at <= now,
            ),
        )
    )
    backlog["due"] = int(due or 0)
    return backlog


def run_figures(run: dict[str, Any], stats: dict[str, Any], key: str | None) -> list[int]:
    """Return pages fetched, new and failed of one run: the portal's own figures when the run recorded
    them per portal (a run may crawl several), else the run's totals."""
    outcome = (run.get("outcomes") or {}).get(key) if key else None
    values = []
    for _, outcome_key, stats_key in RUN_SERIES:
        if isinstance(outcome, dict) and outcome_key in outcome:
            values.append(int(outcome[outcome_key] or 0))
        else:
            values.append(int(stats.get(stats_key) or 0))
    return values


@dataclass(frozen=True)
class PortalLineage:
    """A portal's lineage as the archive holds it (copied from the registry by the last crawl): its
    hosts, the portal that took it over and those it took over (key, name), the last day it published."""

    hosts: list[str]
    successor: tuple[str, str] | None
    predecessors: list[tuple[str, str]]
    active_until: date | None


def portal_lineage(session: Session, portal: Portal) -> PortalLineage:
    """Return the lineage of ``portal``; a successor the archive has no row for is shown by its key."""
    home = site_key(portal.home_url)
    hosts = [home, *(alias for alias in portal.aliases or [] if alias != home)]
    successor = None
    if portal.successor:
        name = session.scalar(select(Portal.name).where(Portal.key == portal.successor))
        successor = (portal.successor, name or portal.successor)
    predecessors = [
        (str(key), str(name))
        for key, name in session.execute(
            select(Portal.key, Portal.name).where(Portal.successor == portal.key).order_by(Portal.key)
        )
    ]
    return PortalLineage([host for host in hosts if host], successor, predecessors, portal.active_until)


def portal_page(session: Session, key: str, now: datetime) -> dict[str, Any] | None:
    """Return everything the portal page shows, or None when the archive has no portal ``key``."""
    portal = session.scalars(select(Portal).where(Portal.key == key)).first()
    if portal is None:
        return None
    report = portal_health(session, key, now=now)
    unit, periods = articles_over_time(session, portal.id)
    runs = list(
        session.scalars(select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc()).limit(500))
    )
    mine = [run for run in runs if key in (run.portals or []) or key in (run.outcomes or {})][:RUNS_SHOWN]
    charted = [
        (
            {"id": run.id, "started_at": run.started_at, "outcomes": run.outcomes or {}},
            run_figures({"outcomes": run.outcomes}, run.stats or {}, key),
        )
        for run in reversed(mine)
    ]
    summaries = records.run_summaries(session, limit=RUNS_SHOWN, portal=key)
    own = {run.id: (run.outcomes or {}).get(key) for run in mine}
    for summary in summaries:
        # The portal's own figures where the run recorded them (a run may crawl several portals), as the
        # chart above shows them: the table showed the whole run's 542 pages beside the chart's 172.
        figures = own.get(summary["id"])
        if isinstance(figures, dict):
            for label, name in (("pages", "responses"), ("stored", "stored"), ("failed", "failed")):
                if name in figures:
                    summary[label] = figures[name]
    by_status = (
        select(Article.status, func.count()).where(Article.portal_id == portal.id).group_by(Article.status)
    )
    counts = {row[0]: row[1] for row in session.execute(by_status)}
    return {
        "portal": portal,
        "lineage": portal_lineage(session, portal),
        "health": report,
        "unit": unit,
        "periods": periods,
        "runs": summaries,
        "charted_runs": charted,
        "backlog": frontier_backlog(session, portal.id, now),
        "schedule": session.get(Schedule, key),
        "counts": {str(k): int(v) for k, v in counts.items()},
    }
