"""The archive's time zone, Vietnam's: dates shown in it, calendar days bounded in it."""

from __future__ import annotations

import re
import time as clock
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The portals' country: dates a page writes without an offset, the days archivists filter by, cron
# rules and every date the archive shows are in this zone.
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Years a day asked for (a filter, a backfill) may fall in: outside them a day cannot be an archived
# article's, and 9999-12-31 or 0001-01-01 would overflow Python's and the databases' date types.
FIRST_YEAR, LAST_YEAR = 1900, 2200


def local_iso(value: datetime | None) -> str | None:
    """Return ``value`` as ISO 8601 in Vietnam time (``+07:00``), the same instant; None for None."""
    return None if value is None else value.astimezone(VN_TZ).isoformat()


def log_time(seconds: float | None) -> clock.struct_time:
    """Return the instant ``seconds`` (since the epoch) as a struct_time in Vietnam time that carries
    its offset, so ``%z`` prints ``+0700``: logging.Formatter.converter for log lines in the archive's
    zone whatever the host's."""
    local = datetime.fromtimestamp(clock.time() if seconds is None else seconds, VN_TZ)
    offset = local.utcoffset() or timedelta(0)
    extra = {"tm_zone": local.tzname(), "tm_gmtoff": int(offset.total_seconds())}
    return clock.struct_time(tuple(local.timetuple()), extra)


def day_start(day: date) -> datetime:
    """Return the instant a calendar day starts in Vietnam (tz-aware)."""
    return datetime.combine(day, time(), VN_TZ)


def day_end(day: date) -> datetime:
    """Return the instant after a calendar day in Vietnam ends, for exclusive upper bounds."""
    return day_start(day + timedelta(days=1))


def human_datetime(value: datetime | None) -> str:
    """Return ``value`` as a Vietnamese reader writes it, ``07/12/2026 03:29 (GMT+7)``; "" for None.

    Day first, 24-hour clock, minutes only; the offset is the zone's at that instant, so the printed
    form stays true if the zone is ever changed. Machine formats (JSON, CSV, <time datetime>) keep ISO.
    """
    if value is None:
        return ""
    local = value.astimezone(VN_TZ)
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    sign = "-" if minutes < 0 else "+"
    zone = f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")
    return f"{local:%d/%m/%Y %H:%M} ({zone})"


def human_date(value: datetime | date | None) -> str:
    """Return the calendar day of ``value`` in Vietnam as ``dd/mm/yyyy``; "" for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(VN_TZ).date()
    return f"{value:%d/%m/%Y}"


_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_VI_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)


def parse_day(text: str) -> date:
    """Parse a calendar day written YYYY-MM-DD or DD/MM/YYYY (day first, as Vietnamese dates are).

    Raises ValueError with a message fit to show a user, for the CLI and the web alike.
    """
    text = text.strip()
    try:
        if match := _ISO_DAY.fullmatch(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _VI_DAY.fullmatch(text):
            return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real date ({exc})") from None
    raise ValueError(f"{text!r} is not a date; use YYYY-MM-DD or DD/MM/YYYY")
