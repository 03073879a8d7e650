"""Pagination: the page number of a listing URL, and which listing links to follow from a listing page."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
