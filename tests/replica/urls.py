"""URL schemes of the three portal styles (A: .html with numeric id, B: WordPress-like, C: -post{id})."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

STYLES: tuple[str, ...] = ("A", "B", "C")

# Page sizes of category listings per style (real portals use 10-20 items per page).
PAGE_SIZE: dict[str, int] = {"A": 15, "B": 12, "C": 20}

# Patterns match the path (plus "?query" if any) and also a full absolute URL.
_HOST = r"^(?:https?://[^/]+)?"
ARTICLE_PATTERNS: dict[str, str] = {
    "A": _HOST + r"/[a-z0-9-]+/[a-z0-9-]+-\d{6,}\.html$",
    "B": _HOST + r"/[a-z0-9-]+/\d{6}/[a-z0-9-]+-\d+/$",
    "C": _HOST + r"/(?:[a-z0-9-]+/)*[a-z0-9-]+-post\d+\.html$",
}
LISTING_PATTERNS: dict[str, str] = {
    "A": _HOST + r"/(?:[a-z0-9-]+/(?:trang-\d+\.html)?)?$",
    "B": _HOST + r"/(?:[a-z0-9-]+/(?:\?page=\d+)?)?$",
    "C": _HOST + r"/(?:chuyen-muc/[a-z0-9-]+\.htm(?:\?p=\d+)?)?$",
}
# First article id per style and the id range the world draws from.
ID_BASE: dict[str, int] = {"A": 100000, "B": 20000, "C": 1000000}


def category_slug(style: str, topic_slug: str) -> str:
    """Return the category's URL slug in ``style`` (style B drops hyphens: "thoisu")."""
    return topic_slug.replace("-", "") if style == "B" else topic_slug


def article_path(style: str, cat: str, slug: str, aid: int, published: datetime) -> str:
    """Return the path of an article."""
    if style == "A":
        return f"/{cat}/{slug}-{aid}.html"
    if style == "B":
        return f"/{cat}/{published:%Y%m}/{slug}-{aid}/"
    return f"/tin-tuc/{slug}-post{aid}.html"


def print_path(style: str, slug: str, aid: int, published: datetime) -> str:
    """Return the path of an article's print version (under the robots.txt Disallow ``/ban-in/``)."""
    if style == "A":
        return f"/ban-in/{slug}-{aid}.html"
    if style == "B":
        return f"/ban-in/{published:%Y%m}/{slug}-{aid}/"
    return f"/ban-in/{slug}-post{aid}.html"


def listing_path(style: str, cat: str, page: int) -> str:
    """Return the path of page ``page`` (1-based) of a category listing."""
    if style == "A":
        return f"/{cat}/" if page == 1 else f"/{cat}/trang-{page}.html"
    if style == "B":
        return f"/{cat}/" if page == 1 else f"/{cat}/?page={page}"
    return f"/chuyen-muc/{cat}.htm" if page == 1 else f"/chuyen-muc/{cat}.htm?p={page}"


def search_path(tag_slug: str) -> str:
    """Return the path of a tag search (under the robots.txt Disallow ``/tim-kiem/``)."""
    return f"/tim-kiem/?q={tag_slug}"


def path_qs(url: str) -> str:
    """Return the path and query of ``url``, what a replica site routes on."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")
