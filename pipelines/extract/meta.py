"""Page metadata helpers for the article extractor: title suffixes, sapo, breadcrumbs, language."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from pipelines.extract.html_text import text_within
from storage.text import normalize_text, search_key, strip_diacritics

_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
# Separators between a headline and the site name in <title>/og:title ("Tiêu đề - Báo Ninh Thuận").
_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " » ", " · ")
# Words that start a Vietnamese outlet's name; a title segment starting with one is the site, not news.
_SITE_WORDS = re.compile(
    r"^(báo|tạp chí|cổng thông tin|cổng ttđt|trang thông tin|trang tin|đài|truyền hình|phát thanh|tin tức|"
    r"thông tấn|ttxvn|vtv|vov|news|online)\b",
    re.IGNORECASE,
)
_TLD_TAIL = re.compile(r"\s(?:vn|com|net|org)$", re.IGNORECASE)
_DOMAIN = re.compile(r"\b[\w-]+\.(?:vn|com|net|org|gov|info)\b", re.IGNORECASE)
_SAPO_CLASS = re.compile(
    r"(?:^|[\s_-])(sapo|chapeau|lead|summary|description|desc|excerpt|intro|standfirst|abstract)(?:$|[\s_-])"
    r"|sapo|chapeau",
    re.IGNORECASE,
)
# A sapo is one paragraph: shorter hits are labels/captions, longer ones are whole bodies. Measured on
# the 10 Vietnamese article pages in shared/data: their sapos are 139-305 characters (wide margins kept).
MIN_SAPO, MAX_SAPO = 40, 1200


def clean(text: str | None) -> str | None:
    """Return ``text`` normalised (NFC, entities decoded, spaces collapsed), or None if empty."""
    if not text:
        return None
    if _ENTITY.search(text):  # double-escaped entities ("&amp;quot;") survive one HTML parse
        text = html.unescape(text)
    text = normalize_text(text)
    return text or None


def host_of(url: str) -> str:
    """Return the host of ``url``, or "" when it has none or is malformed ("http://[bad/")."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def absolute_url(href: str | None, base: str) -> str | None:
    """Return ``href`` resolved against ``base`` if that gives a well-formed http(s) URL, else None.

    Portals write malformed URLs ("http://[bad/", ports past 65535); such a value is dropped, never raised.
    """
    href = (href or "").strip()
    if not href:
        return None
    try:
        joined = urljoin(base, href)
    except ValueError:  # the page URL itself is malformed: only an absolute href can stand
        joined = href
    try:
        parts = urlsplit(joined)
        port_ok = parts.port is None or parts.port > 0  # .port raises ValueError past 65535
    except ValueError:
        return None
    return joined if parts.scheme in ("http", "https") and parts.hostname and port_ok else None


def _site_like(segment: str, site_name: str | None, host: str) -> bool:
    key = search_key(segment)
    bare = strip_diacritics(key).replace(" ", "")
    if site_name and (key == search_key(site_name) or search_key(site_name) in key):
        return True
    if site_name and len(key) >= 4 and key in search_key(site_name):
        return True
    host_label = host.removeprefix("www.").split(".")[0]
    if host_label and len(host_label) > 3 and (host_label in bare or bare in host.replace(".", "")):
        return True
    return bool(_SITE_WORDS.match(segment) or _DOMAIN.search(segment) or _TLD_TAIL.search(segment))


def is_site_name(segment: str, site_name: str | None, url: str) -> bool:
    """True if ``segment`` names the outlet (its site name, host, or "Báo ..."-style name)."""
    return _site_like(segment, site_name, host_of(url))


def strip_site_name(title: str | None, site_name: str | None, url: str) -> str | None:
    """Return ``title`` without a leading/trailing site-name segment (" - Báo Ninh Thuận")."""
    title = clean(title)
    if not title:
        return None
    host = host_of(url)
    changed = True
    while changed:
        changed = False
        for separator in _SEPARATORS:
            head, found, tail = title.rpartition(separator)
            if found and head.strip() and _site_like(tail.strip(), site_name, host):
                title, changed = head.strip(), True
                break
            first, found, rest = title.partition(separator)
            if (
                found
                and rest.strip()
                and len(first) < len(rest)
                and _site_like(first.strip(), site_name, host)
            ):
                title, changed = rest.strip(), True
                break
    return title


def best_title(
    tree: HtmlElement, trafilatura_title: str | None, site_name: str | None, url: str
) -> str | None:
    """Return the headline: og:title/<title> stripped of the site name, checked against the <h1>."""
    h1s = [h for h in (clean(h1.text_content()) for h1 in tree.iter("h1")) if h and len(h) > 10]
    raw = clean(trafilatura_title)
    if raw and any(search_key(h) == search_key(raw) for h in h1s):
        # the page shows this very headline: a " - " inside it separates words, not the site name
        return next(h for h in h1s if search_key(h) == search_key(raw))
    title = strip_site_name(trafilatura_title, site_name, url)
    if title and h1s and any(search_key(h) == search_key(title) for h in h1s):
        return title
    if title and h1s:
        # og:title is sometimes the SEO title; prefer an <h1> that the title starts with or contains
        for h in h1s:
            if search_key(title).startswith(search_key(h)) and len(h) > 0.5 * len(title):
                return h
    return title or (h1s[0] if h1s else None)


def find_sapo(tree: HtmlElement) -> str | None:
    """Return the lead paragraph marked up as sapo/lead/description in the article, or None."""
    for element in tree.iter("h2", "p", "div", "span", "h3", "strong"):
        get = element.get  # every candidate element is tested: no generator per element
        marker = (
            f"{get('class') or ''} {get('id') or ''} {get('data-slot') or ''} {get('data-role') or ''}"
            f" {get('itemprop') or ''}"
        )
        if not marker.strip() or not _SAPO_CLASS.search(marker):
            continue
        if element.xpath("ancestor::*[self::header or self::nav or self::footer or self::aside or self::a]"):
            continue
        text = clean(text_within(element, 2 * MAX_SAPO))  # a page-sized "content-lead" box is no sapo
        if text and MIN_SAPO <= len(text) <= MAX_SAPO and "\n" not in text.strip():
            return text
    return None


def bold_lead(body_paragraphs: list[str], tree: HtmlElement) -> str | None:
    """Return the first body paragraph if the page renders it wholly bold (the unmarked sapo)."""
    if not body_paragraphs:
        return None
    first = body_paragraphs[0]
    if not MIN_SAPO <= len(first) <= MAX_SAPO:
        return None
    key = search_key(first)
    for bold in tree.iter("strong", "b"):
        text = clean(text_within(bold, 2 * MAX_SAPO))
        if text and search_key(text) == key:
            parent = bold.getparent()
            if (
                parent is not None
                and parent.tag in ("p", "div", "h2")
                and search_key(clean(text_within(parent, 2 * MAX_SAPO)) or "") == key
            ):
                return first
    return None


def breadcrumbs(tree: HtmlElement, nodes: Sequence[HtmlElement] | None = None) -> list[str]:
    """Return breadcrumb labels (BreadcrumbList JSON-LD or breadcrumb markup), without 'Trang chủ'.

    ``nodes``: ``list(tree.iter())`` when the caller already walked the tree.
    """
    labels: list[str] = []
    for script in jsonld_scripts(tree):
        try:
            data = json.loads(script.text or "", strict=False)
        except (ValueError, RecursionError):  # broken or absurdly deep JSON-LD
            continue
        for node in _iter_nodes(data):
            if node.get("@type") == "BreadcrumbList":
                for item in node.get("itemListElement") or []:
                    if isinstance(item, dict):
                        inner = item.get("item")
                        name = item.get("name") or (inner.get("name") if isinstance(inner, dict) else None)
                        if isinstance(name, str):
                            labels.append(name)
    if not labels:
        for crumb in _crumb_links(tree, nodes):
            labels.append(crumb.text_content())
    seen: list[str] = []
    for label in labels:
        text = clean(label)
        if text and search_key(text) not in ("trang chủ", "home", "trang chu") and text not in seen:
            seen.append(text)
    return seen


_JSONLD_XPATH = etree.XPath("//script[contains(translate(@type,'LDJSON','ldjson'),'ld+json')]")
# What translate(@type, 'LDJSON', 'ldjson') lowercases: those letters only.
_JSONLD_CASE = str.maketrans("LDJSON", "ldjson")


def jsonld_scripts(tree: HtmlElement) -> list[HtmlElement]:
    """The <script> elements of ``tree``'s document whose type holds "ld+json" (_JSONLD_XPATH).

    libxml2 tests every node of the page for that XPath; lxml's tag filter finds the scripts in C. A tree
    that is not its document's root (an HTML fragment) is left to the XPath, which reads the whole document.
    """
    if tree.getparent() is not None or tree.getroottree().getroot() is not tree:
        return list(_JSONLD_XPATH(tree))
    return [
        script
        for script in tree.iter("script")
        if "ld+json" in (script.get("type") or "").translate(_JSONLD_CASE)
    ]


_CRUMB_XPATH = etree.XPath(
    "//*[contains(translate(@class,'BREADCRUMB','breadcrumb'),'breadcrumb')][1]//a"
    " | //*[contains(@class,'bread-crumb') or contains(@class,'breadcrumbs')][1]//a"
)
# What translate(@class, 'BREADCRUMB', 'breadcrumb') lowercases: those letters only.
_CRUMB_CASE = str.maketrans("BREADCUM", "breadcum")


def _crumb_links(tree: HtmlElement, nodes: Sequence[HtmlElement] | None) -> list[HtmlElement]:
    """The links of breadcrumb markup, as _CRUMB_XPATH selects them: the first child of each element whose
    class holds "breadcrumb" in any case, and the first holding "bread-crumb" or "breadcrumbs", and the <a>
    elements below those, in document order.

    libxml2 evaluating that XPath tested every element of the page at ~1.5 ms a page, a third of the
    metadata step; with the nodes of the tree in hand, one pass over their class attributes does it. A
    tree that is not its document's root (an HTML fragment) is left to the XPath, which reads the whole
    document.
    """
    if nodes is None or tree.getparent() is not None or tree.getroottree().getroot() is not tree:
        return list(_CRUMB_XPATH(tree))
    first_any: set[HtmlElement | None] = set()  # parents whose first "breadcrumb" child is found
    first_exact: set[HtmlElement | None] = set()  # ... whose first "bread-crumb"/"breadcrumbs" child is
    boxes: list[HtmlElement] = []
    for element in nodes:
        klass = element.get("class") if isinstance(element.tag, str) else None
        if not klass:
            continue
        parent = element.getparent()
        chosen = False
        if parent not in first_any and "breadcrumb" in klass.translate(_CRUMB_CASE):
            first_any.add(parent)
            chosen = True
        if parent not in first_exact and ("bread-crumb" in klass or "breadcrumbs" in klass):
            first_exact.add(parent)
            chosen = True
        if chosen:
            boxes.append(element)
    if not boxes:
        return []
    found = {link for box in boxes for link in box.iterdescendants("a")}
    return [node for node in nodes if node in found]


def _iter_nodes(data: Any) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            nodes.append(item)
            graph = item.get("@graph")
            if isinstance(graph, list):
                stack.extend(graph)
    return nodes


def meta_values(tree: HtmlElement, *keys: str) -> list[str]:
    """Return the content of <meta> tags whose property/name is one of ``keys`` (lowercase)."""
    values = []
    for element in tree.iter("meta"):
        key = (element.get("property") or element.get("name") or "").strip().lower()
        if key in keys and element.get("content"):
            values.append(element.get("content") or "")
    return values


def declared_language(tree: HtmlElement) -> str | None:
    """Return the primary language subtag the page declares (html lang, content-language, og:locale)."""
    candidates = [
        tree.get("lang"),
        tree.get("xml:lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
    ]
    for element in tree.iter("meta"):
        if (element.get("http-equiv") or "").lower() == "content-language":
            candidates.append(element.get("content"))
    candidates += meta_values(tree, "og:locale", "language", "dc.language")
    for value in candidates:
        if value and value.strip():
            primary = re.split(r"[-_,;\s]", value.strip().lower())[0]
            if primary.isalpha() and 2 <= len(primary) <= 3:
                return primary
    return None


def canonical_url(tree: HtmlElement, trafilatura_url: str | None, url: str) -> str | None:
    """Return the absolute canonical URL (link rel=canonical, og:url, trafilatura's guess), or None.

    The first well-formed candidate wins; a malformed one is skipped.
    """
    links = [
        link.get("href")
        for link in tree.iter("link")
        if "canonical" in (link.get("rel") or "").lower().split()
    ]
    for candidate in (*links, *meta_values(tree, "og:url"), trafilatura_url):
        absolute = absolute_url(candidate, url)
        if absolute:
            return absolute
    return None


def clean_author(author: str | None, site_name: str | None, url: str) -> str | None:
    """Return the author(s) without entries that are the outlet itself ("NLD COM VN; Baotuoitre")."""
    host = host_of(url)
    names = [clean(part) for part in re.split(r"[;|]", author or "")]
    kept = [name for name in names if name and not _site_like(name, site_name, host)]
    return "; ".join(dict.fromkeys(kept)) or None
