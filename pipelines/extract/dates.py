"""Vietnamese-aware date parsing: day-first, time and offset kept, weekday cross-checked."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from storage.timezone import VN_TZ

_VI_WEEKDAYS = {
    "hai": 0, "2": 0, "ba": 1, "3": 1, "tư": 2, "bốn": 2, "4": 2, "năm": 3, "5": 3,
    "sáu": 4, "6": 4, "bảy": 5, "7": 5,
}  # fmt: skip
_EN_WEEKDAYS = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH_RE = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"

_WEEKDAY = re.compile(
    r"\b(?:thứ\s*(hai|ba|tư|bốn|năm|sáu|bảy|[2-7])(?![^\W_])|(chủ\s*nhật|cn(?=\s*[,.-]))|t([2-7])\b"
    r"|(mon|tue|wed|thu|fri|sat|sun)(?:day|sday|nesday|rsday|urday|s|r|rs)?(?:\b\.?(?=\s*[,.-])|(?<=day)\b))"
)
_OFFSET_NAMED = re.compile(r"\(?\s*\b(?:gmt|utc)\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?\s*\)?")
_ISO = re.compile(
    r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(z\b|[+-]\d{2}:?\d{2}\b)?"
)
_DMY = re.compile(r"(?<![\d/.-])(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})(?![\d/-])")
_VI_WORDS = re.compile(r"(\d{1,2})\s*tháng\s*(\d{1,2})\s*(?:năm|,|/)?\s*(\d{4})(?!\d)")
_EN_MDY = re.compile(rf"\b{_MONTH_RE}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)")
_EN_DMY = re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_RE},?\s+(\d{{4}})(?!\d)")
_TIME = re.compile(
    r"(?<![\d/.:-])([01]?\d|2[0-3])\s*(?::|h|giờ)\s*([0-5]\d)(?:\s*(?::|phút)\s*([0-5]\d)(?:[.,]\d+)?)?"
    r"(?:\s*(am|pm|sa|ch)\b)?(?:\s*(z\b|[+-]\d{2}:?\d{2}\b))?"
)
# Published years we accept; a portal's "01/01/1970" placeholder or a typo'd 2204 is not a date.
MIN_YEAR, MAX_YEAR = 1990, 2100


@dataclass(frozen=True)
class ParsedDate:
    """One parsed date string: the value, whether it had a time, and a weekday contradiction if any."""

    value: datetime
    has_time: bool
    has_offset: bool
    warning: str | None = None


def _offset(sign: str, hours: str, minutes: str | None) -> tzinfo | None:
    if int(hours) > 14 or int(minutes or 0) >= 60:  # real offsets run from -12:00 to +14:00
        return None
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    return timezone(-delta if sign == "-" else delta)


def _parse_offset_token(token: str | None) -> tzinfo | None:
    if not token:
        return None
    if token == "z":
        return UTC
    digits = token[1:].replace(":", "")
    return _offset(token[0], digits[:2], digits[2:4])


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower()
    return re.sub(r"[\s\u00a0\u200b]+", " ", text).strip()


def _weekday(text: str) -> tuple[int | None, str, str]:
    match = _WEEKDAY.search(text)
    if not match:
        return None, "", text
    vi_name, sunday, short, english = match.groups()
    if vi_name:
        day = _VI_WEEKDAYS[vi_name]
    elif sunday:
        day = 6
    elif short:
        day = _VI_WEEKDAYS[short]
    else:
        day = _EN_WEEKDAYS[english]
    return day, match.group(0), text[: match.start()] + " " + text[match.end() :]


def _find_date(text: str) -> tuple[int, int, int, str, re.Match[str]] | None:
    """Return (year, month, day, rest-of-text, match) for the first date form found."""
    match = _ISO.search(text)
    if match:
        return int(match[1]), int(match[2]), int(match[3]), "iso", match
    match = _DMY.search(text)
    if match:
        first, second, year = int(match[1]), int(match[3]), int(match[4])
        if year < 100:
            year += 2000
        if first <= 12 < second:  # only a month-first reading is possible (04/13/2024)
            first, second = second, first
        return year, second, first, "dmy", match
    match = _VI_WORDS.search(text)
    if match:
        return int(match[3]), int(match[2]), int(match[1]), "words", match
    match = _EN_MDY.search(text)
    if match:
        return int(match[3]), _MONTHS[match[1]], int(match[2]), "words", match
    match = _EN_DMY.search(text)
    if match:
        return int(match[3]), _MONTHS[match[2]], int(match[1]), "words", match
    return None


def parse_date_details(text: str, *, default_tz: tzinfo = VN_TZ) -> ParsedDate | None:
    """Return the date in ``text`` with its precision and weekday check, or None if there is none."""
    if not text or len(text) > 300:
        return None
    cleaned = _clean(text)
    weekday, weekday_raw, cleaned = _weekday(cleaned)
    tz: tzinfo | None = None
    named = _OFFSET_NAMED.search(cleaned)
    if named:
        tz = (_offset(named[1], named[2], named[3]) or tz) if named[1] else UTC
        cleaned = cleaned[: named.start()] + " " + cleaned[named.end() :]
    found = _find_date(cleaned)
    if found is None:
        return None
    year, month, day, kind, match = found
    hour = minute = second = 0
    has_time = False
    if kind == "iso" and match[4]:
        hour, minute, second, has_time = int(match[4]), int(match[5]), int(match[6] or 0), True
        tz = _parse_offset_token(match[7]) or tz
    else:
        rest = cleaned[: match.start()] + " \x00 " + cleaned[match.end() :]
        time_match = _TIME.search(rest)
        if time_match:
            hour, minute, second = int(time_match[1]), int(time_match[2]), int(time_match[3] or 0)
            meridiem = time_match[4]
            if meridiem in ("pm", "ch") and hour < 12:
                hour += 12
            elif meridiem in ("am", "sa") and hour == 12:
                hour = 0
            has_time = True
            tz = _parse_offset_token(time_match[5]) or tz
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        value = datetime(year, month, day, hour, minute, second, tzinfo=tz or default_tz)
    except ValueError:
        return None
    warning = None
    if weekday is not None and weekday != value.weekday():
        warning = (
            f"weekday mismatch: {weekday_raw.strip()!r} is {_WEEKDAY_NAMES[weekday]} but "
            f"{value.date().isoformat()} is a {_WEEKDAY_NAMES[value.weekday()]} (in {text.strip()!r})"
        )
    return ParsedDate(value, has_time, tz is not None, warning)


def parse_date(text: str, *, default_tz: tzinfo = VN_TZ) -> datetime | None:
    """Return the tz-aware datetime in ``text`` (day-first; ``default_tz`` when no offset), or None."""
    parsed = parse_date_details(text, default_tz=default_tz)
    return parsed.value if parsed else None
