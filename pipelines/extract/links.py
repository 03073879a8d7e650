"""What one fetched page says about discovery: links and how they classify, article signals, listing
dates. Pure functions of the page, run in the worker with the extraction (pipelines.analysis.job) so the
reactor never parses a page; the crawler uses resolve_link (robots.txt Sitemap lines) and classify_url
(crawler.portals.Portal.classify) too."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html

from pipelines.extract.dates import parse_date
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


@dataclass(frozen=True)
class LinkRules:
    """How a portal's URLs classify: its site key and optional registry patterns (crawler.portals)."""

    site: str
    article_pattern: str | None = None
    listing_pattern: str | None = None
    aliases: tuple[str, ...] = ()  # other site keys the portal serves from (registry ``aliases``)


def feed_links(tree: lxml.html.HtmlElement, base_url: str) -> list[str]:
    """Return the feeds a page advertises with ``<link rel="alternate" type="application/rss+xml">``."""
    found = []
    for link in tree.xpath("//link[@rel='alternate'][@href]"):
        if (link.get("type") or "").lower() in _FEED_TYPES:
            absolute = resolve_link(base_url, link.get("href") or "")
            if absolute:
                found.append(absolute)
    return found


def resolve_link(base_url: str, href: str) -> str | None:
    """Return ``href`` resolved against ``base_url`` without its fragment; None when malformed.

    Menus, footers and "most read" boxes repeat the same links on every page of a portal, so hrefs that
    do not depend on the page's own path (absolute, or from the site's root) are resolved once per
    worker: resolving them was a tenth of a real page's analysis.
    """
    if href.startswith(("http://", "https://")) and href.partition("://")[2][:1] not in ("", "/", "?", "#"):
        return _resolved("", href)  # with a host: the base plays no part
    if href.startswith("/") and not href.startswith("//"):
        scheme, _, rest = base_url.partition("://")
        host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        if scheme in ("http", "https") and host:
            return _resolved(f"{scheme}://{host}/", href)
    return _resolve(base_url, href)


@functools.lru_cache(maxsize=16384)
def _resolved(base_url: str, href: str) -> str | None:
    return _resolve(base_url, href)


def _resolve(base_url: str, href: str) -> str | None:
    try:
        parts = urlsplit(urljoin(base_url, href.strip()))
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    return urlunsplit(parts._replace(fragment=""))


def page_links(tree: lxml.html.HtmlElement, base_url: str) -> list[str]:
    """Return the absolute http(s) links of a page, fragments removed, in document order, deduplicated."""
    seen: dict[str, None] = {}
    # Each distinct href is resolved once: menus and "related" boxes repeat the same links.
    for href in dict.fromkeys(href.strip() for href in tree.xpath("//a/@href")):
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        absolute = resolve_link(base_url, href)
        if absolute and absolute.startswith(("http://", "https://")):
            seen.setdefault(absolute, None)
    return list(seen)


def listing_dates(tree: lxml.html.HtmlElement, base_url: str) -> dict[str, datetime]:
    """Return the date a listing page shows beside each linked item, by absolute URL (for backfill).

    The date is read from the smallest element around the link that holds no other item's link (the
    list item, card or row), so one item's date is never taken for its neighbour's.
    """
    found: dict[str, datetime] = {}
    for link in tree.iter("a"):
        url = resolve_link(base_url, link.get("href") or "")
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


def _origin(url: str) -> str:
    """``scheme://netloc`` of an absolute URL (what its site key depends on)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].split('?', 1)[0].split('#', 1)[0]}"


def classify_url(url: str, rules: LinkRules, sites: dict[str, str] | None = None) -> str:
    """Return ``article``, ``listing`` or ``skip`` for a URL of the portal, from its registry patterns
    when it has them, else from the shape of the path. ``sites`` caches site keys by origin across the
    links of one page."""
    if sites is None:
        site = site_key(url)
    else:
        origin = _origin(url)
        known = sites.get(origin)
        site = known if known is not None else sites.setdefault(origin, site_key(origin))
    if site != rules.site and site not in rules.aliases:
        return "skip"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "skip"
    path = parts.path or "/"
    if _NOT_PAGES.search(path):
        return "skip"
    if rules.article_pattern and re.search(rules.article_pattern, path):
        return "article"
    with_query = path + (f"?{parts.query}" if parts.query else "")
    if rules.listing_pattern and re.search(rules.listing_pattern, with_query):
        return "listing"
    if rules.article_pattern and rules.listing_pattern:
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
    # between the two on the replica's templates (checked in tests/unit/crawler/test_discovery.py).
    if link_text > 2.5 * text_length:
        return False, "mostly links (listing)"
    return True, f"h1 and {len(long_paragraphs)} long paragraphs"


def _json_ld_is_article(script: str) -> bool:
    try:
        data = json.loads(script)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser recurses
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


@dataclass(frozen=True)
class PageLinks:
    """What a fetched page offers discovery: whether it is an article page, and its classified links."""

    is_article: bool
    evidence: str
    articles: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    dates: tuple[tuple[str, datetime], ...] = ()  # listing dates, when asked for (backfill)


def read_links(
    body: bytes,
    url: str,
    rules: LinkRules,
    *,
    dates: bool = False,
    tree: lxml.html.HtmlElement | None = None,
) -> PageLinks | None:
    """Return the page's discovery view, or None when the bytes are no HTML page. ``tree``: the page
    already parsed (by extraction's prepare_page, which the worker runs anyway), else it is parsed here."""
    if not looks_like_html(body):
        return None
    if tree is None:
        try:
            tree = lxml.html.fromstring(body, base_url=url)
        except (lxml.etree.ParserError, ValueError):
            return None
    is_article, evidence = article_signals(tree)
    articles, listings = [], []
    sites: dict[str, str] = {}
    for link in page_links(tree, url):
        kind = classify_url(link, rules, sites)
        if kind == "article":
            articles.append(link)
        elif kind == "listing":
            listings.append(link)
    return PageLinks(
        is_article,
        evidence,
        tuple(articles),
        tuple(listings),
        tuple(feed_links(tree, url)),
        tuple(listing_dates(tree, url).items()) if dates else (),
    )
