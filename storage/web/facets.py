"""What the browser's side panels count: facets of a search, and the portals with their last run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.orm import Session

from storage.models import Article, CrawlRun, Portal
from storage.search.engine import matching_ids
from storage.search.filters import SearchFilters
from storage.search.query import Query
from storage.timezone import VN_TZ, local_iso

FACETS = ("portal", "month", "language", "status")
# SQLite knows no time zones: its dates are shifted by Vietnam's offset from UTC, which is fixed (no
# daylight saving): the hours between midnight in UTC and midnight in Vietnam.
_VN_OFFSET = datetime(2000, 1, 1, tzinfo=UTC) - datetime(2000, 1, 1, tzinfo=VN_TZ)
_SQLITE_SHIFT = f"{_VN_OFFSET / timedelta(hours=1):+g} hours"


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet with how many matching articles have it; ``label`` is what to show."""

    value: str
    label: str
    count: int


def _month(session: Session) -> ColumnElement[Any]:
    # Months in Vietnam time, like every date the archivists see.
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(
            func.timezone(literal_column(f"'{VN_TZ.key}'"), Article.published_at),
            literal_column("'YYYY-MM'"),
        )
    return func.strftime("%Y-%m", Article.published_at, _SQLITE_SHIFT)


def facet_counts(
    session: Session, query: Query, filters: SearchFilters, *, limit: int = 12
) -> dict[str, list[FacetValue]]:
    """Return, per facet, the values among the articles matching ``query`` and ``filters`` with counts,
    most frequent first (months newest first), at most ``limit`` each."""
    ids = matching_ids(session, query, filters).subquery()
    columns: dict[str, Any] = {
        "portal": (Portal.key, Portal.name),
        "month": (_month(session),),
        "language": (Article.language,),
        "status": (Article.status,),
    }
    result: dict[str, list[FacetValue]] = {}
    for facet, selected in columns.items():
        statement = (
            select(*selected, func.count().label("n"))
            .select_from(Article)
            .join(ids, ids.c.id == Article.id)
            .outerjoin(Portal, Portal.id == Article.portal_id)
            .group_by(*selected)
        )
        order = [selected[0].desc()] if facet == "month" else [func.count().desc(), selected[0]]
        rows = session.execute(statement.order_by(*order).limit(limit)).all()
        values = []
        for row in rows:
            if row[0] is None:
                continue
            label = row[1] if facet == "portal" else row[0]
            values.append(FacetValue(str(row[0]), str(label), int(row[-1])))
        result[facet] = values
    return result


def month_bounds(month: str) -> tuple[date, date] | None:
    """Return the first and last day of ``month`` (YYYY-MM), or None when it is not one."""
    try:
        year, number = (int(part) for part in month.split("-", 1))
        first = date(year, number, 1)
    except ValueError:
        return None
    following = date(year + (number == 12), number % 12 + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)


def portal_summaries(session: Session) -> list[dict[str, Any]]:
    """Return every portal with its article counts per status and its last crawl run (may be None)."""
    counts: dict[int | None, dict[str, int]] = {}
    for portal_id, status, count in session.execute(
        select(Article.portal_id, Article.status, func.count()).group_by(Article.portal_id, Article.status)
    ):
        counts.setdefault(portal_id, {})[status] = count
    runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())))
    summaries = []
    for portal in session.scalars(select(Portal).order_by(Portal.key)):
        last = next((run for run in runs if portal.key in (run.portals or [])), None)
        by_status = counts.get(portal.id, {})
        summaries.append({
            "key": portal.key, "name": portal.name, "home_url": portal.home_url,
            "articles": sum(by_status.values()), "archived": by_status.get("archived", 0),
            "last_run": None if last is None else {
                "id": last.id, "started_at": local_iso(last.started_at), "status": last.status,
                "finish_reason": last.finish_reason,
            },
        })  # fmt: skip
    return summaries
