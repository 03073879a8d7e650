"""Vietnamese-aware date parsing: day-first, time and offset kept, weekday cross-checked."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

import lxml.html
from lxml.html import HtmlElement

from pipelines.extract.html_text import short_text
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


# --- finding the dates of an article page ----------------------------------------------------------

_PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time", "datepublished",
    "pubdate", "publishdate", "publish-date", "publish_date", "published_time", "dc.date.issued",
    "dcterms.issued", "dcterms.created", "sailthru.date", "parsely-pub-date", "cxenseparse:recs:publishtime",
    "article.published", "dc.date", "date", "datecreated",
)  # fmt: skip
_UPDATED_META = (
    "article:modified_time", "og:article:modified_time", "og:updated_time", "article:updated_time",
    "datemodified", "modified_time", "updated_time", "dc.date.modified", "dcterms.modified",
    "article.updated", "lastmod", "last-modified",
)  # fmt: skip
_UPDATED_LABEL = re.compile(r"cập\s*nhật|updated?\b|sửa\s*đổi|chỉnh\s*sửa|last\s*modified", re.IGNORECASE)
_PUBLISHED_LABEL = re.compile(r"ngày\s*đăng|đăng\s*(?:lúc|ngày|tải)?\s*:|xuất\s*bản|published|posted", re.I)
# Elements whose class/id names a date line ("detail-time", "post-date", "ngay-dang", "article__meta").
_HINT_TAGS = frozenset(["span", "div", "p", "time", "li", "small", "em", "i", "td", "b", "strong", "a"])
_HINT_WORDS = ("date", "time", "publish", "ngay", "meta", "post-info")
_MACHINE_PROPS = ("datePublished", "dateModified")
_CHROME_XPATH = "ancestor-or-self::*[self::header or self::nav or self::footer or self::aside]"
# A date line is short; longer texts are paragraphs that merely mention a date. Measured: the date lines
# of the 10 Vietnamese article pages in shared/data are 16-46 characters; the limit leaves room for
# author names and labels in the same element.
MAX_DATE_LINE = 160
# How far (in elements, document order) a date line may sit from the article's <h1>: on the Vietnamese
# article pages in shared/data the date line is 1-7 elements away (35 for a second copy); sidebar and
# footer dates sit hundreds of elements away.
MAX_TITLE_DISTANCE = 150
# Old table-layout CMSs give the date line under the headline no class at all ("08:30 12/4/2024 | In trang").
# A short line with a date and a time this close below the <h1> (elements, document order) is that date
# line; it ranks after every marked-up source. The date lines in shared/data sit 1-7 elements away.
NEARBY_DISTANCE = 8
NEARBY_LINE = 100
_NEARBY_TAGS = frozenset(["div", "p", "span", "td", "em", "i", "small"])


@dataclass
class DateFindings:
    """The published and updated dates of a page, which raw string and source won, and warnings."""

    published_at: datetime | None = None
    updated_at: datetime | None = None
    raw: str | None = None
    source: str | None = None
    warnings: list[str] = field(default_factory=list)
    updated_raw: str | None = None
    updated_source: str | None = None


@dataclass
class _Candidate:
    kind: str  # "published" | "updated"
    source: str
    raw: str
    parsed: ParsedDate
    rank: int  # lower is more trusted


def _meta_candidates(tree: HtmlElement) -> list[_Candidate]:
    found: list[_Candidate] = []
    for element in tree.iter("meta"):
        key = (element.get("property") or element.get("name") or element.get("itemprop") or "").lower()
        key = key.strip()
        content = element.get("content") or ""
        if not key or not content:
            continue
        if key in _PUBLISHED_META:
            kind, rank = "published", _PUBLISHED_META.index(key)
        elif key in _UPDATED_META:
            kind, rank = "updated", _UPDATED_META.index(key)
        else:
            continue
        parsed = parse_date_details(content)
        if parsed:
            found.append(_Candidate(kind, f"meta:{key}", content.strip(), parsed, rank))
    return found


def _walk_jsonld(root: Any, out: list[tuple[str, str, bool]]) -> None:
    """Append the date fields of ``root`` and its graph/list members to ``out``, in document order.

    Iterative: a JSON-LD block nested a thousand levels deep must not exhaust the Python stack.
    """
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            types = node.get("@type") or ""
            is_article = any(
                "article" in str(t).lower() or "posting" in str(t).lower() for t in _as_list(types)
            )
            for key in ("datePublished", "dateModified", "dateCreated"):
                value = node.get(key)
                if isinstance(value, str):
                    out.append((key, value, is_article))
            children = [
                value
                for key, value in node.items()
                if key in ("@graph", "mainEntity", "mainEntityOfPage") or isinstance(value, list)
            ]
            stack.extend(reversed(children))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _jsonld_candidates(tree: HtmlElement) -> list[_Candidate]:
    entries: list[tuple[str, str, bool]] = []
    for script in tree.xpath("//script[contains(translate(@type,'LDJSON','ldjson'),'ld+json')]"):
        code = (script.text or "").strip()
        try:
            _walk_jsonld(json.loads(code, strict=False), entries)
        except (ValueError, RecursionError):  # broken (or absurdly deep) JSON-LD: find the fields by pattern
            for match in re.finditer(r'"(date(?:Published|Modified|Created))"\s*:\s*"([^"]{6,40})"', code):
                entries.append((match[1], match[2], True))
    found: list[_Candidate] = []
    for key, value, is_article in entries:
        parsed = parse_date_details(value)
        if parsed:
            kind = "updated" if key == "dateModified" else "published"
            rank = (0 if is_article else 10) + (5 if key == "dateCreated" else 0)
            found.append(_Candidate(kind, f"jsonld:{key}", value.strip(), parsed, rank))
    return found


def _split_labeled(text: str) -> list[tuple[str, str]]:
    """Split 'Đăng: X | Cập nhật: Y' into (kind, segment) pieces; unlabeled text counts as published."""
    marks = sorted(
        [(m.start(), "updated") for m in _UPDATED_LABEL.finditer(text)]
        + [(m.start(), "published") for m in _PUBLISHED_LABEL.finditer(text)]
    )
    if not marks:
        return [("published", text)]
    pieces = [("published", text[: marks[0][0]])] if marks[0][0] > 0 else []
    for index, (start, kind) in enumerate(marks):
        end = marks[index + 1][0] if index + 1 < len(marks) else len(text)
        pieces.append((kind, text[start:end]))
    return pieces


def _hinted(element: HtmlElement) -> bool:
    if element.tag not in _HINT_TAGS:
        return False
    marker = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
    return any(word in marker for word in _HINT_WORDS)


def _visible_candidates(tree: HtmlElement) -> list[_Candidate]:
    """Date lines (class/id hints) and <time>/itemprop elements, ranked by distance from the <h1>."""
    anchor: int | None = None
    machine: list[tuple[int, HtmlElement]] = []
    hinted: list[tuple[int, HtmlElement]] = []
    nearby: list[tuple[int, HtmlElement]] = []
    for index, element in enumerate(tree.iter()):
        if not isinstance(element.tag, str) or element.tag == "meta":
            continue
        if anchor is None and element.tag == "h1" and short_text(element, 15) is None:  # > 15 characters
            anchor = index
        if (element.tag == "time" and element.get("datetime")) or element.get("itemprop") in _MACHINE_PROPS:
            machine.append((index, element))
        elif _hinted(element):
            hinted.append((index, element))
        elif anchor is not None and 0 < index - anchor <= NEARBY_DISTANCE and element.tag in _NEARBY_TAGS:
            nearby.append((index, element))
    found: list[_Candidate] = []
    for index, element in machine:
        raw = element.get("datetime") or element.get("content") or element.text_content()
        parsed = parse_date_details(raw or "")
        if parsed:
            kind = "updated" if element.get("itemprop") == "dateModified" else "published"
            distance = abs(index - anchor) if anchor is not None else 0
            found.append(_Candidate(kind, f"html:{element.tag}", raw.strip(), parsed, distance))
    for index, element in hinted:
        distance = abs(index - anchor) if anchor is not None else index
        if anchor is not None and distance > MAX_TITLE_DISTANCE:
            continue
        text = short_text(element, MAX_DATE_LINE)
        if not text or element.xpath(_CHROME_XPATH):
            continue
        for kind, segment in _split_labeled(text):
            parsed = parse_date_details(segment)
            if parsed:
                marker = (element.get("class") or element.get("id") or "").split()
                label = f"{element.tag}.{marker[0] if marker else ''}"
                found.append(_Candidate(kind, f"visible:{label}", segment.strip(" |-,"), parsed, distance))
    for index, element in nearby:
        text = short_text(element, NEARBY_LINE)
        if not text or element.xpath(_CHROME_XPATH):
            continue
        for kind, segment in _split_labeled(text):
            parsed = parse_date_details(segment)
            if parsed and parsed.has_time:
                distance = index - (anchor or 0)
                found.append(
                    _Candidate(kind, f"nearby:{element.tag}", segment.strip(" |-,"), parsed, distance)
                )
    return found


def _pick(candidates: list[_Candidate], kind: str) -> _Candidate | None:
    pool = [c for c in candidates if c.kind == kind]
    if not pool:
        return None
    best = min(pool, key=lambda c: (_SOURCE_ORDER.index(c.source.split(":")[0]), c.rank))
    if not best.parsed.has_time:  # a date-only value is upgraded by a same-day value with a time
        local_day = best.parsed.value.date()
        for other in sorted(pool, key=lambda c: (_SOURCE_ORDER.index(c.source.split(":")[0]), c.rank)):
            if other.parsed.has_time and other.parsed.value.astimezone(VN_TZ).date() == local_day:
                return other
    return best


_SOURCE_ORDER = ("meta", "jsonld", "html", "visible", "nearby", "feed")


def _load(tree_or_html: HtmlElement | str | bytes) -> HtmlElement:
    if isinstance(tree_or_html, str | bytes):
        return lxml.html.document_fromstring(tree_or_html)
    return tree_or_html


def find_dates(tree_or_html: HtmlElement | str | bytes, *, feed_date: str | None = None) -> DateFindings:
    """Return the published/updated dates of an article page (meta, JSON-LD, date lines, feed date).

    A stated offset is kept; dates without one are in Asia/Ho_Chi_Minh. Raises nothing: a page without
    dates gives empty findings.
    """
    tree = _load(tree_or_html)
    candidates = _meta_candidates(tree) + _jsonld_candidates(tree) + _visible_candidates(tree)
    if feed_date:
        parsed = parse_date_details(feed_date)
        if parsed:
            candidates.append(_Candidate("published", "feed", feed_date.strip(), parsed, 0))
    findings = DateFindings()
    published, updated = _pick(candidates, "published"), _pick(candidates, "updated")
    if published is not None:
        published = _check_offset(published, candidates, findings.warnings)
        findings.published_at, findings.raw, findings.source = (
            published.parsed.value,
            published.raw,
            published.source,
        )
    if updated is not None:
        updated = _check_offset(updated, candidates, findings.warnings)
        if _same_minute(updated.parsed.value, findings.published_at):
            # CMSs fill dateModified/modified_time with the publication time when nothing was edited
            # (WordPress, Yoast, most JSON-LD generators): that is no update.
            updated = None
    if updated is not None:
        findings.updated_at, findings.updated_raw = updated.parsed.value, updated.raw
        findings.updated_source = updated.source
    for candidate in candidates:
        shown = candidate.source.startswith(("visible", "html")) or candidate in (published, updated)
        warning = candidate.parsed.warning
        if shown and warning and warning not in findings.warnings:
            findings.warnings.append(warning)
    if findings.published_at and findings.updated_at and findings.updated_at < findings.published_at:
        findings.warnings.append(
            f"updated {findings.updated_at.isoformat()} is before "
            f"published {findings.published_at.isoformat()}"
        )
    return findings


def _same_minute(value: datetime, other: datetime | None) -> bool:
    """True if ``value`` and ``other`` are the same instant to the minute (sources disagree on seconds)."""
    return other is not None and abs(value - other) < timedelta(minutes=1)


def _check_offset(chosen: _Candidate, candidates: list[_Candidate], warnings: list[str]) -> _Candidate:
    """Prefer the visible local time when a machine-readable value labels that same wall clock as UTC.

    Some CMSs write Vietnamese local time with a 'Z' or '+00:00' suffix; the date line shows the truth.
    """
    value = chosen.parsed.value
    if not chosen.parsed.has_offset or value.utcoffset() == timedelta(hours=7):
        return chosen
    for other in candidates:
        if other.source.startswith("visible") and other.parsed.has_time and other.kind == chosen.kind:
            shown = other.parsed.value
            same_clock = shown.replace(tzinfo=None) == value.replace(tzinfo=None)
            if same_clock and shown.utcoffset() != value.utcoffset():
                warnings.append(
                    f"{chosen.source} {chosen.raw!r} has offset {value.strftime('%z')} but the page "
                    f"shows the same wall-clock time as local ({other.raw!r}); using local time"
                )
                return other
    return chosen
