"""Sitemaps: the Sitemap lines of robots.txt and bounded parsing of sitemaps and sitemap indexes."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import lxml.etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from pipelines.extract.dates import parse_date
from pipelines.extract.links import resolve_link

# Sitemap protocol limits (sitemaps.org): 50,000 URLs and 50 MB uncompressed per file. Larger ones are cut
# there (counted), and gzip is never inflated past the byte limit.
SITEMAP_MAX_BYTES = 50 * 1024 * 1024
SITEMAP_MAX_URLS = 50_000
# A portal date this far ahead of our clock is a future date: beyond any time zone mix-up.
FUTURE_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class SitemapEntry:
    """One ``<loc>`` of a sitemap (an article or listing URL) or of a sitemap index (another sitemap)."""

    url: str
    lastmod: str | None
    is_index: bool


@dataclass(frozen=True)
class Parsed:
    """What a sitemap or feed yielded: its entries, why it yielded none, how many were cut off."""

    entries: list[Any]
    problem: str | None = None
    dropped: int = 0


def sitemaps_from_robots(text: str, base_url: str) -> list[str]:
    """Return the absolute URLs of the ``Sitemap:`` lines in a robots.txt (malformed ones dropped)."""
    found = []
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "sitemap" and value.strip():
            absolute = resolve_link(base_url, value)
            if absolute:
                found.append(absolute)
    return found


def inflate(body: bytes, max_bytes: int) -> tuple[bytes | None, str | None]:
    """Return the body, gunzipped if it is gzip, never larger than ``max_bytes``; or (None, why)."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=max_bytes)
        except ValueError:
            return None, f"gzip expands beyond {max_bytes:,} bytes"
        except (OSError, EOFError, struct.error):
            return None, "corrupt gzip"
    if len(body) > max_bytes:
        return None, f"larger than {max_bytes:,} bytes"
    return body, None


def parse_sitemap(
    body: bytes, *, max_bytes: int = SITEMAP_MAX_BYTES, max_urls: int = SITEMAP_MAX_URLS
) -> Parsed:
    """Return the SitemapEntry list of a sitemap or sitemap index (gzip allowed), at most ``max_urls``.

    CPU- and memory-bound on large input: call it off the reactor thread. Entities are never expanded
    and nothing external is loaded (XML bombs, XXE).
    """
    data, problem = inflate(body, max_bytes)
    if data is None:
        return Parsed([], problem)
    try:
        sitemap = Sitemap(data)
    except (lxml.etree.XMLSyntaxError, StopIteration):
        return Parsed([], "not XML")
    if sitemap.type not in ("urlset", "sitemapindex"):
        return Parsed([], f"not a sitemap (<{sitemap.type}>)")
    is_index = sitemap.type == "sitemapindex"
    entries: list[SitemapEntry] = []
    dropped = 0
    for entry in sitemap:
        loc = entry.get("loc")
        if not loc:
            continue
        if len(entries) >= max_urls:
            dropped += 1
            continue
        entries.append(SitemapEntry(loc, entry.get("lastmod") or None, is_index))
    return Parsed(entries, None, dropped)


def portal_date(written: str | None, now: datetime) -> tuple[datetime | None, str | None]:
    """Return a sitemap lastmod or feed date as the portal wrote it, parsed, and the stat to count when it
    is unparseable (``discovery/date_unparseable``, the date is None) or in the future
    (``discovery/date_future``). A future date is kept: change detection compares it with the portal's
    next value, never with our clock (storage.frontier)."""
    if not written:
        return None, None
    parsed = parse_date(written)
    if parsed is None:
        return None, "discovery/date_unparseable"
    if parsed > now + FUTURE_SLACK:
        return parsed, "discovery/date_future"
    return parsed, None
