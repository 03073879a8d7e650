"""Crawl schedule rules: every DURATION (30m, 2h, 1d), or a cron expression (croniter, Vietnam time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from croniter import croniter

from storage.frontier import parse_duration
from storage.models import Schedule
from storage.timezone import VN_TZ

# The longest interval of an --every rule. Beyond it a schedule is not a recurring crawl, and an interval
# of millions of days let `schedule run` compute a next run past the year 9999 and die (OverflowError).
LONGEST_EVERY = timedelta(days=365)


@dataclass(frozen=True)
class Rule:
    """When a portal is crawled: every fixed interval, or at the times of a cron expression."""

    every: timedelta | None = None
    cron: str | None = None

    @classmethod
    def parse(cls, every: str | None = None, cron: str | None = None) -> Rule:
        """Return the rule of ``--every 2h`` or ``--cron "0 */6 * * *"`` (exactly one). Raises ValueError."""
        if (every is None) == (cron is None):
            raise ValueError("give exactly one of --every DURATION or --cron EXPR")
        if every is not None:
            try:
                interval = parse_duration(every)
            except OverflowError:  # more seconds than timedelta holds ("99999999999999999d")
                interval = LONGEST_EVERY + LONGEST_EVERY
            if interval > LONGEST_EVERY:
                raise ValueError(f"{every!r} is longer than a recurring crawl may wait (at most 365d)")
            return cls(every=interval)
        assert cron is not None
        if not croniter.is_valid(cron):
            raise ValueError(f"{cron!r} is not a cron expression (minute hour day month weekday)")
        return cls(cron=cron.strip())

    @classmethod
    def of(cls, schedule: Schedule) -> Rule:
        return cls(
            timedelta(seconds=schedule.every_seconds) if schedule.every_seconds else None, schedule.cron
        )

    def first_run(self, now: datetime) -> datetime:
        """When a new schedule is first due: now for an interval, the next cron time for a cron rule."""
        return now if self.every is not None else self.next_after(now)

    def next_after(self, now: datetime) -> datetime:
        """The next due time after ``now``: one slot ahead, however many a downtime missed."""
        if self.every is not None:
            return now + self.every
        assert self.cron is not None
        # Read in Vietnam time: "0 6 * * *" is six in the morning in the portals' country.
        return croniter(self.cron, now.astimezone(VN_TZ)).get_next(datetime)

    def __str__(self) -> str:
        if self.every is not None:
            seconds = int(self.every.total_seconds())
            for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
                if seconds % size == 0:
                    return f"every {seconds // size}{unit}"
            return f"every {seconds}s"
        return f"cron {self.cron}"


def registry_rule(table: Any, where: str) -> Rule | None:
    """The rule of a registry entry's ``schedule = { every = "6h" }`` or ``{ cron = "0 6 * * *" }``."""
    if table is None:
        return None
    if not isinstance(table, dict) or set(table) - {"every", "cron"}:
        raise ValueError(f'{where}: schedule must be {{ every = "6h" }} or {{ cron = "0 6 * * *" }}')
    return Rule.parse(table.get("every"), table.get("cron"))
