"""Template of style B portals: WordPress-like markup, JSON-LD NewsArticle, absolute links."""

from __future__ import annotations

import json

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
    feed = f'<link rel="alternate" type="application/rss+xml" href="{c.feed}">\n' if c.feed else ""
    return (
        f'<!doctype html>\n<html lang="{lang}" prefix="og: https://ogp.me/ns#">\n<head>\n'
        f'<meta charset="{c.charset}">\n<title>{esc(title)}</title>\n'
        f'<link rel="canonical" href="{esc(url)}">\n{feed}'
        f"<link rel='stylesheet' id='theme-css' href='{c.base}/wp-content/themes/{c.portal.css}/style.css' "
        "media='all'>\n"
        f"{extra}</head>\n"
    )


def _masthead(c: Chrome, body_class: str) -> str:
    items = "".join(
        f'<li class="menu-item menu-item-type-taxonomy"><a href="{m.href}">{esc(m.title)}</a></li>'
        for m in c.menu
    )
    return (
        f'<body class="{body_class}">\n<div id="page" class="site {c.portal.css}">\n'
        '<a class="skip-link screen-reader-text" href="#content">Chuyển đến nội dung</a>\n'
        f'<header id="masthead" class="site-header"><div class="site-branding"><p class="site-title">'
        f'<a href="{c.base}/" rel="home">{esc(c.portal.name)}</a></p><p class="site-description">'
        f"Tin tức - Sự kiện tỉnh {esc(c.portal.province.name)}</p></div>\n"
        f'<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">'
        f'<li class="menu-item menu-item-home"><a href="{c.base}/">Trang chủ</a></li>{items}</ul></nav>'
        '</header>\n<div id="content" class="site-content">\n'
    )


def _secondary(c: Chrome) -> str:
    most = "".join(f'<li><a href="{m.href}">{esc(m.title)}</a></li>' for m in c.most_read)
    tags = "".join(f'<a href="{t.href}" class="tag-cloud-link">{esc(t.title)}</a> ' for t in c.hot_tags)
    return (
        '<aside id="secondary" class="widget-area"><section class="widget widget_search">'
        f'<form role="search" method="get" class="search-form" action="{c.base}/tim-kiem/">'
        '<input type="search" name="q"></form></section>\n'
        '<section class="widget widget_popular"><h2 class="widget-title">Đọc nhiều'
        f'</h2><ul>{most}</ul></section>\n<section class="widget widget_tag_cloud"><h2 class="widget-title">'
        f'Thẻ</h2><div class="tagcloud">{tags}</div></section></aside>\n'
    )


def _colophon(c: Chrome) -> str:
    lines = "<br>".join(esc(line) for line in footer_lines(c.portal))
    return (
        '</div><!-- #content -->\n<footer id="colophon" class="site-footer"><div class="site-info">'
        f"{lines}</div></footer>\n</div><!-- #page -->\n"
        f"<script src='{c.base}/wp-includes/js/jquery/jquery.min.js?ver=3.7.1' id='jquery-core-js'>"
        "</script>\n"
        "</body>\n</html>\n"
    )


def _post(link: Link, n: int) -> str:
    when = ""
    if link.when:
        when = (
            f'<span class="posted-on"><time class="entry-date published" datetime="{dates.iso(link.when)}">'
            f"{dates.line_b(link.when)}</time></span>"
        )
    thumb = (
        f'<a class="post-thumbnail" href="{link.href}"><img src="{link.thumb}" alt=""></a>'
        if link.thumb
        else ""
    )
    summary = f'<div class="entry-summary"><p>{esc(link.summary)}</p></div>' if link.summary else ""
    return (
        f'<article class="post-{n} post type-post status-publish">{thumb}<header class="entry-header">'
        f'<h2 class="entry-title"><a href="{link.href}" rel="bookmark">{esc(link.title)}</a></h2>'
        f'<div class="entry-meta">{when}</div></header>{summary}</article>\n'
    )


def home(c: Chrome, v: ListingView) -> str:
    """Return the home page."""
    posts = "".join(_post(link, i) for i, link in enumerate(v.items))
    blocks = ""
    for cat, links in v.blocks:
        inner = "".join(f'<li><a href="{link.href}">{esc(link.title)}</a></li>' for link in links)
        blocks += (
            f'<section class="home-category"><h2 class="section-title"><a href="{cat.href}">{esc(cat.title)}'
            f"</a></h2><ul>{inner}</ul></section>\n"
        )
    return (
        _head(c, c.portal.name, v.url)
        + _masthead(c, "home blog")
        + f'<main id="primary" class="site-main">\n{posts}{blocks}</main>\n'
        + _secondary(c)
        + _colophon(c)
    )


def listing(c: Chrome, v: ListingView) -> str:
    """Return a category (or search) listing page with its pager."""
    posts = "".join(_post(link, i) for i, link in enumerate(v.items)) or "<p>Không có bài viết nào.</p>"
    nav = ""
    if v.pages > 1:
        links = []
        for n in page_numbers(v.page, v.pages):
            if n == v.page:
                links.append(f'<span aria-current="page" class="page-numbers current">{n}</span>')
            else:
                links.append(f'<a class="page-numbers" href="{v.page_href[n - 1]}">{n}</a>')
        if v.page < v.pages:
            links.append(f'<a class="next page-numbers" href="{v.page_href[v.page]}">Trang sau &raquo;</a>')
        nav = f'<nav class="navigation pagination"><div class="nav-links">{"".join(links)}</div></nav>\n'
    head_title = v.title if v.page == 1 else f"{v.title} - Trang {v.page}"
    return (
        _head(c, f"{head_title} - {c.portal.name}", v.url)
        + _masthead(c, "archive category")
        + '<main id="primary" class="site-main"><header class="page-header"><h1 class="page-title">'
        + f"{esc(v.title)}</h1></header>\n{posts}{nav}</main>\n"
        + _secondary(c)
        + _colophon(c)
    )


def article(c: Chrome, v: ArticleView) -> str:
    """Return an article page."""
    a, t = v.article, v.text
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a.title,
        "datePublished": dates.iso(a.published_at),
        "dateModified": dates.iso(a.updated_at or a.published_at),
        "mainEntityOfPage": v.url,
        "publisher": {"@type": "Organization", "name": c.portal.name},
    }
    if a.author:
        ld["author"] = {"@type": "Person", "name": a.author}
    meta = (
        f'<meta property="og:title" content="{esc(a.title)}">\n<meta property="og:type" content="article">\n'
        f'<meta property="og:site_name" content="{esc(c.portal.name)}">\n'
        f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>\n'
    )
    updated = ""
    if a.updated_at:
        updated = f' <span class="updated-on">Cập nhật: {dates.line_b(a.updated_at)}</span>'
    figures, inline = dict(t.figures), dict(t.related_at)
    body = []
    for i, para in enumerate(t.paragraphs):
        body.append(f"<p>{esc(para)}</p>")
        if i in figures:
            body.append(
                f'<figure class="wp-block-image size-large"><img src="{c.base}{figure_src(c.portal, a, i)}" '
                f'alt=""><figcaption class="wp-element-caption">{esc(figures[i])}</figcaption></figure>'
            )
        if i in inline:
            body.append(_inline_related(v, i, inline[i]))
    author = (
        f'<p class="has-text-align-right tac-gia"><strong>{esc(a.author)}</strong></p>' if a.author else ""
    )
    tags = "".join(f'<a href="{tag.href}" rel="tag">{esc(tag.title)}</a>, ' for tag in v.tags).rstrip(", ")
    related = "".join(
        f'<li><a href="{r.href}">{esc(r.title)}</a> '
        f"<small>({dates.line_b(r.when) if r.when else ''})</small></li>"
        for r in v.related
    )
    comments = "".join(
        f'<li class="comment"><article class="comment-body"><footer class="comment-meta"><b class="fn">'
        f'{esc(name)}</b></footer><div class="comment-content"><p>{esc(text)}</p></div></article></li>'
        for name, text in v.comments
    )
    return (
        _head(c, f"{a.title} - {c.portal.name}", v.url, meta, v.lang)
        + _masthead(c, f"post-template-default single single-post postid-{a.aid}")
        + f'<main id="primary" class="site-main"><nav class="breadcrumbs"><a href="{c.base}/">Trang chủ</a>'
        + f' » <a href="{v.category.href}">{esc(v.category.title)}</a></nav>\n'
        + f'<article id="post-{a.aid}" class="post-{a.aid} post type-post status-publish">\n'
        + f'<header class="entry-header"><h1 class="entry-title">{esc(a.title)}</h1>'
        + f'<div class="entry-meta"><span class="posted-on">{dates.line_b(a.published_at)}</span>{updated}'
        + f' <a class="print-link" href="{v.print_href}">In bài viết</a></div></header>\n'
        + f'<div class="entry-content">\n<p class="sapo"><strong>{esc(t.sapo)}</strong></p>\n'
        + "\n".join(body)
        + f"\n{author}</div>\n"
        + f'<footer class="entry-footer"><span class="tags-links">Thẻ: {tags}</span></footer>\n</article>\n'
        + f'<section class="related-posts"><h3>Bài viết liên quan</h3><ul>{related}</ul></section>\n'
        + f'<div id="comments" class="comments-area"><h2 class="comments-title">{len(v.comments)} bình luận'
        + f'</h2><ol class="comment-list">{comments}</ol><div id="respond" class="comment-respond">'
        + '<h3 id="reply-title">Để lại bình luận</h3><textarea name="comment"></textarea></div></div>\n'
        + "</main>\n"
        + _secondary(c)
        + _colophon(c)
    )


def _inline_related(v: ArticleView, at: int, kind: str) -> str:
    """An editor's related-article line or block between two body paragraphs (absolute links)."""
    chosen = inline_links(v, at, 3)
    links = [f'<a href="{link.href}">{esc(link.title)}</a>' for link in chosen]
    if not links:
        return ""
    if kind == "line":
        return f"<p>&gt;&gt; <em>Xem thêm:</em> {links[0]}</p>"
    if kind == "pair":
        return f"<p><strong>Đọc thêm:</strong> {' | '.join(links[:2])}</p>"
    if kind == "box":
        items = "".join(
            f"<li>{html} <small>({dates.line_b(link.when) if link.when else ''})</small></li>"
            for html, link in zip(links, chosen, strict=True)
        )
        return (
            '<div class="wp-block-group related-inline"><p class="has-text-align-left"><strong>Tin liên quan'
            f'</strong></p><ul class="wp-block-list">{items}</ul></div>'
        )
    items = "".join(f"<li>{link}</li>" for link in links)
    return f'<p>Bài liên quan:</p><ul class="wp-block-list">{items}</ul>'


def print_page(c: Chrome, v: ArticleView) -> str:
    """Return the print version of an article (served under the robots.txt Disallow)."""
    a, t = v.article, v.text
    paras = "".join(f"<p>{esc(x)}</p>" for x in t.paragraphs)
    return (
        _head(c, f"{a.title} - {c.portal.name}", v.url, lang=v.lang)
        + f'<body class="print"><div class="entry-content"><h1 class="entry-title">{esc(a.title)}</h1>'
        + f"<p>{dates.line_b(a.published_at)}</p><p><strong>{esc(t.sapo)}</strong></p>{paras}</div>"
        + "</body>\n</html>\n"
    )
