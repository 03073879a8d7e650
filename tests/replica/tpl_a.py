"""Template of style A portals: classic CMS layout, Open Graph + article:published_time, no JSON-LD."""

from __future__ import annotations

from tests.replica import dates
from tests.replica.html_common import (
    ArticleView,
    Chrome,
    Link,
    ListingView,
    esc,
    figure_src,
    footer_lines,
    inline_links,
    page_numbers,
)


def _head(c: Chrome, title: str, url: str, extra: str = "", lang: str = "vi") -> str:
    feed = f'<link rel="alternate" type="application/rss+xml" title="RSS" href="{c.feed}">' if c.feed else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="{c.charset}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<title>{esc(title)}</title>\n<link rel="canonical" href="{esc(url)}">\n'
        f'<link rel="stylesheet" href="/static/css/{c.portal.css}.css?v=3">\n{feed}{extra}</head>\n'
    )


def _header(c: Chrome) -> str:
    p = c.portal.css
    items = "".join(f'<li class="{p}-menu__item"><a href="{m.href}">{esc(m.title)}</a></li>' for m in c.menu)
    return (
        f'<body class="{p}-body">\n<div class="{p}-topbar"><span class="{p}-today">Cổng thông tin điện tử'
        f'</span></div>\n<header class="{p}-header"><a class="{p}-logo" href="/">'
        f'<img src="/static/img/logo-{p}.png" alt="{esc(c.portal.name)}"></a>\n'
        f'<form class="{p}-search" action="/tim-kiem/" method="get"><input name="q" placeholder="Tìm kiếm">'
        f'</form></header>\n<nav class="{p}-menu"><ul><li class="{p}-menu__item {p}-menu__home">'
        f'<a href="/">Trang chủ</a></li>{items}</ul></nav>\n'
    )


def _sidebar(c: Chrome) -> str:
    p = c.portal.css
    most = "".join(f'<li><a href="{m.href}">{esc(m.title)}</a></li>' for m in c.most_read)
    tags = " ".join(f'<a class="{p}-tag" href="{t.href}">{esc(t.title)}</a>' for t in c.hot_tags)
    return (
        f'<aside class="{p}-sidebar"><div class="{p}-box"><h3 class="{p}-box__title">Đọc nhiều</h3>'
        f'<ol class="{p}-mostread">{most}</ol></div>\n<div class="{p}-box"><h3 class="{p}-box__title">'
        f'Chủ đề nóng</h3>{tags}</div>\n<div class="{p}-box {p}-ads"><img src="/static/ads/banner-1.jpg"'
        ' alt="Quảng cáo"></div></aside>\n'
    )


def _footer(c: Chrome) -> str:
    p = c.portal.css
    lines = "".join(f"<p>{esc(line)}</p>" for line in footer_lines(c.portal))
    menu = " | ".join(f'<a href="{m.href}">{esc(m.title)}</a>' for m in c.menu)
    return (
        f'<footer class="{p}-footer"><div class="{p}-footer__menu">{menu}</div>'
        f'<div class="{p}-footer__info">{lines}</div></footer>\n'
        f'<script src="/static/js/{p}.js"></script>\n</body>\n</html>\n'
    )


def _item(c: Chrome, link: Link, cls: str) -> str:
    p = c.portal.css
    when = f'<span class="{p}-time">{dates.line_a(link.when)}</span>' if link.when else ""
    thumb = f'<a href="{link.href}"><img src="{link.thumb}" alt=""></a>' if link.thumb else ""
    summary = f'<p class="{p}-summary">{esc(link.summary)}</p>' if link.summary else ""
    return (
        f'<div class="{cls}">{thumb}<h3 class="{p}-item__title"><a href="{link.href}">{esc(link.title)}'
        f"</a></h3>{when}{summary}</div>\n"
    )


def home(c: Chrome, v: ListingView) -> str:
    """Return the home page."""
    p = c.portal.css
    latest = "".join(_item(c, link, f"{p}-item") for link in v.items)
    blocks = ""
    for cat, links in v.blocks:
        inner = "".join(_item(c, link, f"{p}-item {p}-item--small") for link in links)
        blocks += (
            f'<section class="{p}-cat"><h2 class="{p}-cat__title"><a href="{cat.href}">{esc(cat.title)}</a>'
            f"</h2>{inner}</section>\n"
        )
    return (
        _head(c, c.portal.name + " - Tin tức tỉnh " + c.portal.province.name, v.url)
        + _header(c)
        + f'<main class="{p}-main"><section class="{p}-latest"><h2>Tin mới nhất</h2>\n{latest}</section>\n'
        + blocks
        + "</main>\n"
        + _sidebar(c)
        + _footer(c)
    )


def listing(c: Chrome, v: ListingView) -> str:
    """Return a category (or search) listing page with its pager."""
    p = c.portal.css
    items = "".join(_item(c, link, f"{p}-item") for link in v.items) or "<p>Chưa có bài viết.</p>"
    pager = ""
    if v.pages > 1:
        nums = []
        for n in page_numbers(v.page, v.pages):
            cls = f' class="{p}-pager__current"' if n == v.page else ""
            nums.append(f'<a{cls} href="{v.page_href[n - 1]}">{n}</a>')
        if v.page < v.pages:
            nums.append(f'<a class="{p}-pager__next" rel="next" href="{v.page_href[v.page]}">Trang sau</a>')
        pager = f'<div class="{p}-pager">{" ".join(nums)}</div>\n'
    title = v.title if v.page == 1 else f"{v.title} - Trang {v.page}"
    return (
        _head(c, f"{title} - {c.portal.name}", v.url)
        + _header(c)
        + f'<main class="{p}-main"><div class="{p}-breadcrumb"><a href="/">Trang chủ</a> &gt; '
        + f'<span>{esc(v.title)}</span></div>\n<h1 class="{p}-cat__heading">{esc(v.title)}</h1>\n'
        + items
        + pager
        + "</main>\n"
        + _sidebar(c)
        + _footer(c)
    )


def article(c: Chrome, v: ArticleView) -> str:
    """Return an article page."""
    p = c.portal.css
    a, t = v.article, v.text
    meta = (
        f'<meta property="og:title" content="{esc(a.title)}">\n<meta property="og:type" content="article">\n'
        f'<meta property="og:url" content="{esc(v.url)}">\n'
        f'<meta name="description" content="{esc(t.sapo)}">\n'
        f'<meta property="article:published_time" content="{dates.iso(a.published_at)}">\n'
    )
    if a.updated_at:
        meta += f'<meta property="article:modified_time" content="{dates.iso(a.updated_at)}">\n'
    updated = (
        f'<span class="{p}-updated">Cập nhật: {dates.line_a(a.updated_at)}</span>' if a.updated_at else ""
    )
    body = []
    figures, related = dict(t.figures), dict(t.related_at)
    for i, para in enumerate(t.paragraphs):
        body.append(f"<p>{esc(para)}</p>")
        if i in figures:
            body.append(
                f'<figure class="{p}-image"><img src="{figure_src(c.portal, a, i)}" alt="{esc(a.title)}">'
                f"<figcaption>{esc(figures[i])}</figcaption></figure>"
            )
        if i in related:
            body.append(_inline_related(c, v, i, related[i]))
    author = f'<p class="{p}-author"><strong>{esc(a.author)}</strong></p>' if a.author else ""
    tags = " ".join(f'<a href="{tag.href}">{esc(tag.title)}</a>' for tag in v.tags)
    related = "".join(f'<li><a href="{r.href}">{esc(r.title)}</a></li>' for r in v.related)
    comments = "".join(
        f'<div class="{p}-comment"><b>{esc(name)}</b><p>{esc(text)}</p></div>' for name, text in v.comments
    )
    return (
        _head(c, f"{a.title} - {c.portal.name}", v.url, meta, v.lang)
        + _header(c)
        + f'<main class="{p}-main"><div class="{p}-breadcrumb"><a href="/">Trang chủ</a> &gt; '
        + f'<a href="{v.category.href}">{esc(v.category.title)}</a></div>\n'
        + f'<article class="{p}-detail"><h1 class="{p}-detail__title">{esc(a.title)}</h1>\n'
        + f'<div class="{p}-detail__meta"><span class="{p}-date">{dates.line_a(a.published_at)}</span>'
        + f'{updated} <a class="{p}-print" href="{v.print_href}">Bản in</a></div>\n'
        + f'<div class="{p}-sapo"><strong>{esc(t.sapo)}</strong></div>\n'
        + f'<div class="{p}-content">\n'
        + "\n".join(body)
        + f"\n{author}</div>\n"
        + f'<div class="{p}-tags">Từ khóa: {tags}</div>\n</article>\n'
        + f'<div class="{p}-related"><h3>Tin liên quan</h3><ul>{related}</ul></div>\n'
        + f'<div id="comments" class="{p}-comments"><h3>Ý kiến bạn đọc ({len(v.comments)})</h3>{comments}'
        + f'<form class="{p}-comment-form"><textarea name="noidung"></textarea><button>Gửi bình luận</button>'
        + "</form></div>\n</main>\n"
        + _sidebar(c)
        + _footer(c)
    )


def _inline_related(c: Chrome, v: ArticleView, at: int, kind: str) -> str:
    """An editor's related-article line or box between two body paragraphs."""
    p = c.portal.css
    links = [f'<a href="{link.href}">{esc(link.title)}</a>' for link in inline_links(v, at, 3)]
    if not links:
        return ""
    if kind == "line":
        return f'<p class="{p}-xemthem">&gt;&gt; Xem thêm: {links[0]}</p>'
    if kind == "pair":
        return f"<p><strong>Đọc thêm:</strong> {'; '.join(links[:2])}</p>"
    items = "".join(f"<li>{link}</li>" for link in links)
    if kind == "box":
        return f'<div class="{p}-box-related"><h4>Tin liên quan</h4><ul>{items}</ul></div>'
    return f"<p><strong>Tin liên quan:</strong></p><ul>{items}</ul>"


def print_page(c: Chrome, v: ArticleView) -> str:
    """Return the print version of an article (served under the robots.txt Disallow)."""
    a, t = v.article, v.text
    paras = "".join(f"<p>{esc(x)}</p>" for x in t.paragraphs)
    return (
        _head(c, f"{a.title} - {c.portal.name}", v.url, lang=v.lang)
        + f'<body class="print" onload="window.print()"><h1>{esc(a.title)}</h1>'
        + f"<p>{dates.line_a(a.published_at)}</p><p><strong>{esc(t.sapo)}</strong></p>{paras}"
        + f"<p>{esc(a.author or '')}</p></body>\n</html>\n"
    )
