"""The published and updated dates of an article page: candidates from meta tags, JSON-LD, date lines and
the feed, ranked, with offset and weekday checks (parsing: pipelines.extract.dates)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import lxml.html
from lxml.html import HtmlElement

from pipelines.extract.dates import VN_TZ, ParsedDate, parse_date_details
from pipelines.extract.html_text import short_text
from pipelines.extract.meta import jsonld_scripts

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
# Any of them in a class or id: one regex search per element instead of a generator over the words (this
# test runs on every element of the page; it was a tenth of find_dates).
_HINT = re.compile("|".join(map(re.escape, _HINT_WORDS)))
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
    for script in jsonld_scripts(tree):
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
    """True if the class or id of ``element`` (a _HINT_TAGS element) names a date line."""
    klass, ident = element.get("class"), element.get("id")
    return bool(klass or ident) and _HINT.search(f"{klass or ''} {ident or ''}".lower()) is not None


def _visible_candidates(tree: HtmlElement, nodes: Sequence[HtmlElement] | None = None) -> list[_Candidate]:
    """Date lines (class/id hints) and <time>/itemprop elements, ranked by distance from the <h1>.

    Positions count every node of ``tree.iter()`` (``nodes``, when the caller already walked it). This loop
    runs on every element of the page: each reads its tag once and the cheapest tests come first.
    """
    anchor: int | None = None
    machine: list[tuple[int, HtmlElement]] = []
    hinted: list[tuple[int, HtmlElement]] = []
    nearby: list[tuple[int, HtmlElement]] = []
    for index, element in enumerate(tree.iter() if nodes is None else nodes):
        tag = element.tag
        if tag == "meta" or not isinstance(tag, str):
            continue
        if anchor is None and tag == "h1" and short_text(element, 15) is None:  # > 15 characters
            anchor = index
        if (tag == "time" and element.get("datetime")) or element.get("itemprop") in _MACHINE_PROPS:
            machine.append((index, element))
        elif tag in _HINT_TAGS and _hinted(element):
            hinted.append((index, element))
        elif anchor is not None and 0 < index - anchor <= NEARBY_DISTANCE and tag in _NEARBY_TAGS:
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


def find_dates(
    tree_or_html: HtmlElement | str | bytes,
    *,
    feed_date: str | None = None,
    nodes: Sequence[HtmlElement] | None = None,
) -> DateFindings:
    """Return the published/updated dates of an article page (meta, JSON-LD, date lines, feed date).

    A stated offset is kept; dates without one are in Asia/Ho_Chi_Minh. Raises nothing: a page without
    dates gives empty findings. ``nodes``: ``list(tree.iter())`` when the caller already walked the tree.
    """
    tree = _load(tree_or_html)
    candidates = _meta_candidates(tree) + _jsonld_candidates(tree) + _visible_candidates(tree, nodes)
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
