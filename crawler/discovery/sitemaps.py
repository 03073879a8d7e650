"""Discovery: robots.txt sitemap lines, sitemaps, RSS/Atom feeds, pagination, and the portal's URL rules.

What a page itself says (its links, article signals, listing dates) is pipelines.extract.links, run in the
extraction worker with the rest of the page's CPU work; it is re-exported here for the spider."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import lxml.etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from crawler.portals import Portal
from pipelines.extract import links as page_links
from pipelines.extract.links import (  # noqa: F401 - re-exported for the spider and its tests
    LinkRules,
    _absolute,
    article_signals,
    feed_links,
    listing_dates,
    looks_like_html,
)
from storage.urls import site_key

# Sitemap protocol limits (sitemaps.org): 50,000 URLs and 50 MB uncompressed per file. Larger ones are cut
# there (counted), and gzip is never inflated past the byte limit.
SITEMAP_MAX_BYTES = 50 * 1024 * 1024
SITEMAP_MAX_URLS = 50_000


@dataclass(frozen=True)
class SitemapEntry:
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
            absolute = _absolute(base_url, value)
            if absolute:
                found.append(absolute)
    return found


def _inflate(body: bytes, max_bytes: int) -> tuple[bytes | None, str | None]:
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
    data, problem = _inflate(body, max_bytes)
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


def parse_feed(
    body: bytes, *, max_bytes: int = SITEMAP_MAX_BYTES, max_items: int = SITEMAP_MAX_URLS
) -> Parsed:
    """Return (link, date) pairs of an RSS 2.0 or Atom feed, at most ``max_items``.

    Like parse_sitemap: bounded, no entity expansion, nothing external loaded; call it off the reactor.
    """
    data, problem = _inflate(body, max_bytes)
    if data is None:
        return Parsed([], problem)
    parser = lxml.etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = lxml.etree.fromstring(data, parser=parser)
    except lxml.etree.XMLSyntaxError:
        return Parsed([], "not XML")
    if root is None:
        return Parsed([], "not XML")
    items: list[tuple[str, str | None]] = []
    for item in root.iter("item", "{*}item"):
        link = (item.findtext("link") or item.findtext("{*}link") or item.findtext("guid") or "").strip()
        date = item.findtext("pubDate") or item.findtext("{*}date") or item.findtext("{*}pubDate")
        if link:
            items.append((link, date.strip() if date else None))
    for entry in root.iter("{http://www.w3.org/2005/Atom}entry"):
        link_el = entry.find("{http://www.w3.org/2005/Atom}link[@href]")
        date = entry.findtext("{http://www.w3.org/2005/Atom}published") or entry.findtext(
            "{http://www.w3.org/2005/Atom}updated"
        )
        if link_el is not None:
            items.append((link_el.get("href", ""), date.strip() if date else None))
    if not items and root.tag not in ("rss", "feed", "{http://www.w3.org/2005/Atom}feed", "rdf", "RDF"):
        return Parsed([], f"not a feed (<{lxml.etree.QName(root).localname}>)")
    return Parsed(items[:max_items], None, max(0, len(items) - max_items))


_PAGE_PARAMS = frozenset({"p", "page", "trang", "pg", "paged", "pageindex"})
_PAGE_PATH = re.compile(r"[-/_](?:trang|page|p)[-_/]?(\d+)(?:\.html?)?/?$", re.IGNORECASE)


def page_number(url: str) -> tuple[str, int]:
    """Return (series, number) of a listing URL: the series is the URL without its page number
    (``/kinh-te/trang-3.html``, ``/kinh-te/?page=3`` and ``/kinh-te/`` are pages 3, 3 and 1 of
    ``/kinh-te/``); a URL without a number is page 1 of its own series."""
    parts = urlsplit(url)
    number = None
    kept = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() in _PAGE_PARAMS and value.isdigit():
            number = int(value)
        else:
            kept.append((name, value))
    path = parts.path
    match = _PAGE_PATH.search(path)
    if number is None and match:
        number, path = int(match[1]), path[: match.start()] + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(kept), "")), number or 1


def next_listing_pages(current: str, links: list[str]) -> list[str]:
    """Return the listing links to follow from the listing page ``current``: pagination one page at a
    time (the lowest page after the current one of its own series), and the first page found of every
    other series (categories). So a walk can stop after any page, and empty pages end a series."""
    series, number = page_number(current)
    chosen: dict[str, tuple[int, str]] = {}
    for link in links:
        other, other_number = page_number(link)
        if other == series and other_number <= number:
            continue
        best = chosen.get(other)
        if best is None or other_number < best[0]:
            chosen[other] = (other_number, link)
    return [link for _, link in chosen.values()]


def same_site(url: str, portal: Portal) -> bool:
    """Return whether ``url`` is on the portal's site (storage.urls.site_key: scheme and editions folded)."""
    return site_key(url) == portal.site


def classify_url(url: str, portal: Portal) -> str:
    """Return ``article``, ``listing`` or ``skip`` for a URL of the portal (pipelines.extract.links)."""
    return page_links.classify_url(url, portal.link_rules)
