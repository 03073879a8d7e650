"""The archive's time zone, Vietnam's: dates shown in it, calendar days bounded in it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The portals' country: dates a page writes without an offset, the days archivists filter by, cron
# rules and every date the archive shows are in this zone.
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local_iso(value: datetime | None) -> str | None:
    """Return ``value`` as ISO 8601 in Vietnam time (``+07:00``), the same instant; None for None."""
    return None if value is None else value.astimezone(VN_TZ).isoformat()


def day_start(day: date) -> datetime:
    """Return the instant a calendar day starts in Vietnam (tz-aware)."""
    return datetime.combine(day, time(), VN_TZ)


def day_end(day: date) -> datetime:
    """Return the instant after a calendar day in Vietnam ends, for exclusive upper bounds."""
    return day_start(day + timedelta(days=1))
