"""The search page's parameters read into filters: portal, year, month, a from/to date range, language,
status. A value that is not what it claims (``since=2024-13-01``) is a problem to show, never ignored."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from storage.models import CaptureStatus
from storage.search.filters import SearchFilters
from storage.timezone import FIRST_YEAR, LAST_YEAR, day_end, day_start, human_date, parse_day

FACET_NAMES = ("portal", "year", "month", "from", "to", "language", "status")
# Older names of the range fields, as the CLI spells them: read as from/to.
ALIASES = {"since": "from", "until": "to"}
_YEAR = re.compile(r"\d{4}", re.ASCII)
_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
# The statuses an article can have, and "any" for all of them.
STATUSES = (*(status.value for status in CaptureStatus), "any")
# Longest value shown back in a message; longer ones are cut (a parameter can be any size).
_SHOWN = 40


@dataclass
class SearchParams:
    """What the search page was asked for: ``filters`` to search under, ``dated`` the same without the
    chosen year and month (the month facet counts under it), ``chosen`` the values to show and link, and
    ``problems`` in words, one per bad value."""

    filters: SearchFilters
    dated: SearchFilters
    chosen: dict[str, str]
    problems: list[str] = field(default_factory=list)
    first: date | None = None
    last: date | None = None


def _shown(value: str) -> str:
    return value if len(value) <= _SHOWN else value[:_SHOWN] + "…"


def _in_range(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


def _day(label: str, value: str, problems: list[str]) -> date | None:
    if not value:
        return None
    if len(value) > _SHOWN:
        problems.append(f"{label}: {_shown(value)!r} is not a date; use DD/MM/YYYY")
        return None
    try:
        day = parse_day(value)
    except ValueError as exc:
        problems.append(f"{label}: {exc}")
        return None
    if not _in_range(day):
        problems.append(f"{label}: {value!r} is outside the years {FIRST_YEAR}–{LAST_YEAR}")
        return None
    return day


def month_bounds(month: str) -> tuple[date, date] | None:
    """Return the first and last day of ``month`` (YYYY-MM), or None when it is not one."""
    match = _MONTH.fullmatch(month)
    if not match or not 1 <= int(match[2]) <= 12 or not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        return None
    year, number = int(match[1]), int(match[2])
    following = date(year + (number == 12), number % 12 + 1, 1)
    return date(year, number, 1), date.fromordinal(following.toordinal() - 1)


def read_search_params(params: Any) -> SearchParams:
    """Return the filters and chosen values of the query parameters ``params`` (a mapping)."""
    chosen = {name: str(params.get(name, "")).strip() for name in FACET_NAMES}
    for alias, name in ALIASES.items():
        if not chosen[name] and params.get(alias):
            chosen[name] = str(params.get(alias)).strip()
    problems: list[str] = []
    first = _day("from (từ ngày)", chosen["from"], problems)
    last = _day("to (đến ngày)", chosen["to"], problems)
    if first and last and first > last:
        problems.append(f"from {human_date(first)} is after to {human_date(last)}")
    lower = [first] if first else []
    upper = [last] if last else []
    ranged = (max(lower) if lower else None, min(upper) if upper else None)
    bounds = month_bounds(chosen["month"]) if chosen["month"] else None
    if chosen["month"] and bounds is None:
        problems.append(f"month (tháng): {_shown(chosen['month'])!r} is not a month; use YYYY-MM")
    if bounds:
        # The month names its year: a year=2024 left in the address beside month=2025-01 is replaced,
        # not intersected with it (which matched nothing while the facets showed 2025's months).
        lower.append(bounds[0])
        upper.append(bounds[1])
        chosen["year"] = chosen["month"][:4]
    elif chosen["year"]:
        if _YEAR.fullmatch(chosen["year"]) and FIRST_YEAR <= int(chosen["year"]) <= LAST_YEAR:
            lower.append(date(int(chosen["year"]), 1, 1))
            upper.append(date(int(chosen["year"]), 12, 31))
        else:
            problems.append(f"year (năm): {_shown(chosen['year'])!r} is not a year; use YYYY")
    if chosen["status"] and chosen["status"] not in STATUSES:
        # Searched as asked, a misspelt status matched nothing and the page blamed "the filters chosen".
        status = _shown(chosen["status"])
        problems.append(f"status (trạng thái): {status!r} is not a status; use one of {', '.join(STATUSES)}")
    statuses = (chosen["status"],) if chosen["status"] else SearchFilters().statuses
    if chosen["status"] == "any":
        statuses = ()
    dated = SearchFilters(
        portals=(chosen["portal"],) if chosen["portal"] else (),
        since=day_start(ranged[0]) if ranged[0] else None,
        until=day_end(ranged[1]) if ranged[1] else None,
        languages=(chosen["language"],) if chosen["language"] else (),
        statuses=statuses,
    )
    filters = replace(
        dated,
        since=day_start(max(lower)) if lower else None,
        until=day_end(min(upper)) if upper else None,
    )
    shown = {name: value for name, value in chosen.items() if value}
    return SearchParams(filters, dated, shown, problems, ranged[0], ranged[1])
