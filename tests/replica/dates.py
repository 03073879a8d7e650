"""Date formats used by the replica portals (Vietnamese date lines, ISO 8601, RFC 822)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

VN_TZ = timezone(timedelta(hours=7), "+07")

WEEKDAYS_VI: tuple[str, ...] = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


def weekday_vi(dt: datetime) -> str:
    """Return the Vietnamese weekday name of ``dt`` ("Thứ Sáu")."""
    return WEEKDAYS_VI[dt.weekday()]


def local(dt: datetime) -> datetime:
    """Return ``dt`` on Vietnam's wall clock, as the portals' date lines show it: a time given in UTC
    (``edit_time``) printed with its UTC hour would sit beside a meta tag of the same wall clock with
    +00:00, which page_dates rightly reads as a CMS labelling local time UTC."""
    return dt.astimezone(VN_TZ) if dt.tzinfo is not None else dt


def line_a(dt: datetime) -> str:
    """Return style A's date line: ``Thứ Sáu, 12/04/2024 - 08:30``."""
    dt = local(dt)
    return f"{weekday_vi(dt)}, {dt:%d/%m/%Y - %H:%M}"


def line_b(dt: datetime) -> str:
    """Return style B's date line: ``12/04/2024 08:30 (GMT+7)``."""
    return f"{local(dt):%d/%m/%Y %H:%M} (GMT+7)"


def line_c(dt: datetime) -> str:
    """Return style C's date line: ``08:30 12/4/2024``."""
    dt = local(dt)
    return f"{dt:%H:%M} {dt.day}/{dt.month}/{dt.year}"


def iso(dt: datetime) -> str:
    """Return ISO 8601 with offset: ``2024-04-12T08:30:00+07:00``."""
    return dt.isoformat()


def rfc822(dt: datetime) -> str:
    """Return an RFC 822 date: ``Fri, 12 Apr 2024 08:30:00 +0700``."""
    return format_datetime(dt)


def http_date(dt: datetime) -> str:
    """Return an HTTP (IMF-fixdate, GMT) date for Last-Modified headers."""
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def edit_time(clock_behind: float) -> datetime:
    """When the portals date an edit made now: now by their clock, ``clock_behind`` hours behind ours."""
    return datetime.now(UTC) - timedelta(hours=clock_behind)
