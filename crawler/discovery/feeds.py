"""Feeds: bounded parsing of RSS 2.0 and Atom feeds into (link, date) pairs."""

from __future__ import annotations

import lxml.etree

from crawler.discovery.sitemaps import SITEMAP_MAX_BYTES, SITEMAP_MAX_URLS, Parsed, inflate


def parse_feed(
    body: bytes, *, max_bytes: int = SITEMAP_MAX_BYTES, max_items: int = SITEMAP_MAX_URLS
) -> Parsed:
    """Return (link, date) pairs of an RSS 2.0 or Atom feed, at most ``max_items``.

    Like parse_sitemap: bounded, no entity expansion, nothing external loaded; call it off the reactor.
    """
    data, problem = inflate(body, max_bytes)
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
