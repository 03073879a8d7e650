"""Discovery: robots.txt sitemap lines, sitemaps, RSS/Atom feeds, links, and article-vs-listing URL shapes."""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from crawler.portals import Portal
from pipelines.dates import parse_date
from storage.urls import site_key

# Paths that are never articles: assets, feeds, print/search/login pages, tag and author indexes.
_NOT_PAGES = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|ico|css|js|mp[34]|avi|mov|zip|rar|docx?|xlsx?|pptx?|woff2?|ttf)$", re.I
)
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")
# An article id in the last path segment: at least 4 digits, alone or after a hyphen/"post"/"-ar"/"d".
_ARTICLE_ID = re.compile(r"(?:^|[-_/]|post|ar|d)(\d{4,})(?:\.[a-z]{2,5})?/?$", re.I)
# A title slug: five or more hyphenated words. Measured on the 4,473 publisher-written slugs of
# langid/danes/title_slug_pairs.tsv: 98.9% have >= 5 non-numeric words (96.8% >= 6); category slugs
# ("kinh-te", "van-hoa-the-thao") have four at most.
_MIN_SLUG_WORDS = 5
_PAGINATION = re.compile(r"(?:^|[-/_])(?:trang|page|p)[-_/]?\d+(?:\.html?)?/?$", re.I)
# A listing item's text mentions a date (dd/mm/yyyy, yyyy-mm-dd): only then is it parsed.
_DATE_HINT = re.compile(r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}")
_ARTICLE_TYPES = {"article", "newsarticle", "reportagenewsarticle", "blogposting", "analysisnewsarticle"}


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


def feed_links(tree: lxml.html.HtmlElement, base_url: str) -> list[str]:
    """Return the feeds a page advertises with ``<link rel="alternate" type="application/rss+xml">``."""
    found = []
    for link in tree.xpath("//link[@rel='alternate'][@href]"):
        if (link.get("type") or "").lower() in _FEED_TYPES:
            absolute = _absolute(base_url, link.get("href") or "")
            if absolute:
                found.append(absolute)
    return found


def _absolute(base_url: str, href: str) -> str | None:
    """Return ``href`` resolved against ``base_url`` without its fragment; None when malformed."""
    try:
        parts = urlsplit(urljoin(base_url, href.strip()))
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    return urlunsplit(parts._replace(fragment=""))


def page_links(tree: lxml.html.HtmlElement, base_url: str) -> list[str]:
    """Return the absolute http(s) links of a page, fragments removed, in document order, deduplicated."""
    seen: dict[str, None] = {}
    for href in tree.xpath("//a/@href"):
        href = href.strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        absolute = _absolute(base_url, href)
        if absolute and absolute.startswith(("http://", "https://")):
            seen.setdefault(absolute, None)
    return list(seen)


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


def listing_dates(tree: lxml.html.HtmlElement, base_url: str) -> dict[str, datetime]:
    """Return the date a listing page shows beside each linked item, by absolute URL (for backfill).

    The date is read from the smallest element around the link that holds no other item's link (the
    list item, card or row), so one item's date is never taken for its neighbour's.
    """
    found: dict[str, datetime] = {}
    for link in tree.iter("a"):
        url = _absolute(base_url, link.get("href") or "")
        if not url or url in found:
            continue
        box = link
        for _ in range(4):
            parent = box.getparent()
            if parent is None or len({a.get("href") for a in parent.iter("a") if a.get("href")}) > 1:
                break
            box = parent
        text = " ".join(box.itertext())[:300]
        when = parse_date(text) if _DATE_HINT.search(text) else None
        if when is not None:
            found[url] = when
    return found


def same_site(url: str, portal: Portal) -> bool:
    """Return whether ``url`` is on the portal's site (storage.urls.site_key: scheme and editions folded)."""
    return site_key(url) == portal.site


def classify_url(url: str, portal: Portal) -> str:
    """Return ``article``, ``listing`` or ``skip`` for a URL of the portal, from its registry patterns
    when it has them, else from the shape of the path."""
    if not same_site(url, portal):
        return "skip"
    parts = urlsplit(url)
    path = parts.path or "/"
    if _NOT_PAGES.search(path):
        return "skip"
    if portal.article_url_pattern and re.search(portal.article_url_pattern, path):
        return "article"
    if portal.listing_url_pattern and re.search(portal.listing_url_pattern, path + _query(parts.query)):
        return "listing"
    if portal.article_url_pattern and portal.listing_url_pattern:
        return "skip"
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if not last:
        return "listing"
    stem = re.sub(r"\.[a-z]{2,5}$", "", last, flags=re.I)
    words = [w for w in stem.split("-") if w and not w.isdigit()]
    # Title slugs first: "...-thanh-pho-nha-trang-67518/" ends like a pagination link but is an article.
    if len(words) >= _MIN_SLUG_WORDS or (_ARTICLE_ID.search(last) and not _PAGINATION.search(path)):
        return "article"
    return "listing"


def _query(query: str) -> str:
    return f"?{query}" if query else ""


_HTML_TAG = re.compile(rb"<\s*(?:!doctype|html|head|body|meta|title|div|p|article)\b", re.I)


def looks_like_html(body: bytes) -> bool:
    """Return whether the first bytes contain HTML markup (a page served as text/html may not)."""
    return bool(_HTML_TAG.search(body[:8192]))


def article_signals(tree: lxml.html.HtmlElement) -> tuple[bool, str]:
    """Return whether a fetched page is an article page and the evidence, from its markup alone.

    Strong signals: og:type=article, article:published_time, a JSON-LD Article. Otherwise a page with an
    h1 and at least three long paragraphs is an article, unless its text is mostly links (a listing).
    """
    og_type = tree.xpath("string(//meta[@property='og:type']/@content)").strip().lower()
    if og_type == "article":
        return True, "og:type=article"
    if tree.xpath("//meta[@property='article:published_time']"):
        return True, "article:published_time"
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        if _json_ld_is_article(script):
            return True, "JSON-LD Article"
    if og_type and og_type != "article":
        return False, f"og:type={og_type}"
    long_paragraphs = [
        p for p in tree.xpath("//p") if len(p.text_content().strip()) >= 120 and not p.xpath(".//a")
    ]
    if not tree.xpath("//h1") or len(long_paragraphs) < 3:
        return False, f"{len(long_paragraphs)} long paragraphs, no article markup"
    text_length = sum(len(p.text_content()) for p in long_paragraphs)
    link_text = sum(len(a.text_content()) for a in tree.xpath("//a"))
    # Listing pages put most of their words inside links, articles most of theirs outside; 2.5x sits
    # between the two on the replica's templates (checked in tests/unit/test_discovery.py).
    if link_text > 2.5 * text_length:
        return False, "mostly links (listing)"
    return True, f"h1 and {len(long_paragraphs)} long paragraphs"


def _json_ld_is_article(script: str) -> bool:
    try:
        data = json.loads(script)
    except ValueError:
        return False
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            kind = node.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(isinstance(k, str) and k.lower() in _ARTICLE_TYPES for k in kinds):
                return True
            stack.extend(v for k, v in node.items() if k == "@graph")
    return False
