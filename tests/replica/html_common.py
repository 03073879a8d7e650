"""View models and small HTML helpers shared by the three portal templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from tests.replica.textgen import ArticleText
from tests.replica.world import Article, Portal


def esc(text: str) -> str:
    """Return ``text`` escaped for HTML text and attribute values."""
    return escape(text, quote=True)


@dataclass
class Link:
    """A link to a page with a title, as listings and sidebars show it."""

    href: str
    title: str
    summary: str = ""
    when: datetime | None = None
    thumb: str = ""


@dataclass
class Chrome:
    """What every page of a portal shows around its content."""

    portal: Portal
    base: str  # base URL, no trailing slash
    menu: list[Link]  # category links
    most_read: list[Link]
    hot_tags: list[Link]  # links to /tim-kiem/ (robots-disallowed)
    feed: str = ""  # RSS URL advertised in <head>, if any
    charset: str = "utf-8"


@dataclass
class ArticleView:
    """An article page's content."""

    article: Article
    text: ArticleText
    url: str  # canonical, absolute
    category: Link
    related: list[Link]
    tags: list[Link]
    print_href: str
    comments: list[tuple[str, str]] = field(default_factory=list)
    lang: str = "vi"


@dataclass
class ListingView:
    """A home, category or search page's content."""

    title: str
    url: str  # canonical, absolute
    items: list[Link]
    page: int = 1
    pages: int = 1
    page_href: list[str] = field(default_factory=list)  # href of page n at index n-1
    blocks: list[tuple[Link, list[Link]]] = field(default_factory=list)  # home: category -> newest


def thumb_src(portal: Portal, article: Article) -> str:
    """Return the (unserved) image path of an article's thumbnail."""
    return f"/uploads/{article.published_at:%Y/%m}/{portal.css}-{article.aid}.jpg"


def figure_src(portal: Portal, article: Article, n: int) -> str:
    """Return the (unserved) image path of figure ``n`` of an article."""
    return f"/uploads/{article.published_at:%Y/%m}/{portal.css}-{article.aid}-{n}.jpg"


def page_numbers(page: int, pages: int) -> list[int]:
    """Return the page numbers a pager shows around ``page`` (first, window, last)."""
    shown = {1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)}
    return sorted(shown)


EDITORS = ("Nguyễn Văn Thành", "Lê Thị Hồng", "Trần Quốc Bảo", "Phạm Minh Tuấn")


def footer_lines(portal: Portal) -> list[str]:
    """Return the footer's address and licence lines."""
    prov = portal.province
    return [
        f"Cơ quan chủ quản: Tỉnh ủy {prov.name}",
        f"Giấy phép báo điện tử số {portal.index + 12}/GP-BTTTT do Bộ Thông tin và Truyền thông cấp",
        f"Tổng Biên tập: {EDITORS[portal.index % len(EDITORS)]}",
        f"Địa chỉ: {prov.address}, tỉnh {prov.name}",
        f"Điện thoại: (0259) 38{portal.index:02d} 2{portal.index}7 - Email: toasoan@bao{portal.key}.vn",
        f'© Bản quyền thuộc về {portal.name}. Ghi rõ nguồn "{portal.name}" khi phát hành lại thông tin.',
    ]


def inline_links(v: ArticleView, at: int, count: int) -> list[Link]:
    """Return ``count`` of the article's related links for the inline block after paragraph ``at``."""
    if not v.related:
        return []
    return [v.related[(at + n) % len(v.related)] for n in range(min(count, len(v.related)))]
