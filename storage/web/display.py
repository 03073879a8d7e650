"""How the browser prints values for people: dates as a Vietnamese reader writes them, inside a <time>
element that keeps the ISO 8601 instant for machines; counts with 0 shown as 0."""

from __future__ import annotations

from datetime import date, datetime

from markupsafe import Markup, escape

from storage.timezone import VN_TZ, human_date, human_datetime, local_iso


def _instant(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def when(value: datetime | str | None, missing: str = "—") -> Markup:
    """Return ``<time datetime="ISO">dd/mm/yyyy HH:MM (GMT+7)</time>`` for an instant (a datetime or
    the ISO text of one, as the archive's records carry them); ``missing`` when there is none."""
    instant = _instant(value)
    if instant is None or instant.tzinfo is None:
        return escape(value or missing)
    return Markup('<time datetime="{}">{}</time>').format(local_iso(instant), human_datetime(instant))


def day(value: datetime | date | str | None, missing: str = "—") -> Markup:
    """Return ``<time datetime="YYYY-MM-DD">dd/mm/yyyy</time>`` for the Vietnamese calendar day of an
    instant or a date; ``missing`` when there is none."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), human_date(value))
    instant = _instant(value)
    if instant is None or instant.tzinfo is None:
        return escape(value or missing)
    local = instant.astimezone(VN_TZ)
    return Markup('<time datetime="{}">{}</time>').format(local.date().isoformat(), human_date(local))


def count(value: int | None, missing: str = "—") -> str:
    """Return a count as text: 0 is "0" (a finished run that stored nothing), None is ``missing``."""
    return missing if value is None else str(value)
