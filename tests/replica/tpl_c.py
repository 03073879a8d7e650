"""Template of style C portals: older ASP.NET-style CMS, no metadata (the date is only the visible line)."""

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


def _head(c: Chrome, title: str, url: str, lang: str = "vi") -> str:
    feed = f'<link rel="alternate" type="application/rss+xml" href="{c.feed}" />\n' if c.feed else ""
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml" lang="{lang}">\n<head>\n'
        f'<meta http-equiv="Content-Type" content="text/html; charset={c.charset}" />\n'
        f'<title>{esc(title)}</title>\n<link rel="canonical" href="{esc(url)}" />\n{feed}'
        f'<link href="/Content/{c.portal.css}/style.css" rel="stylesheet" type="text/css" />\n</head>\n'
    )


def _top(c: Chrome) -> str:
    p = c.portal.css
    menu = "".join(f'<td class="{p}_menuitem"><a href="{m.href}">{esc(m.title)}</a></td>' for m in c.menu)
    return (
        f'<body>\n<form id="form1" action="/tim-kiem/" method="get">\n<div class="{p}_wrapper">\n'
        f'<div class="{p}_banner"><a href="/">'
        f'<img src="/Content/{p}/banner.jpg" alt="{esc(c.portal.name)}" />'
        f'</a></div>\n<table class="{p}_menu" cellpadding="0" cellspacing="0"><tr><td class="{p}_menuitem">'
        f'<a href="/">TRANG CHỦ</a></td>{menu}</tr></table>\n'
        f'<div class="{p}_searchbox"><input type="text" name="q" />'
        '<input type="submit" value="Tìm" /></div>\n'
    )


def _right(c: Chrome) -> str:
    p = c.portal.css
    most = "".join(
        f'<div class="{p}_docnhieu_item"><a href="{m.href}">{esc(m.title)}</a></div>' for m in c.most_read
    )
    tags = " | ".join(f'<a href="{t.href}">{esc(t.title)}</a>' for t in c.hot_tags)
    return (
        f'<div class="{p}_right"><div class="{p}_boxtitle">ĐỌC NHIỀU</div>{most}\n'
        f'<div class="{p}_boxtitle">TIÊU ĐIỂM</div><div class="{p}_tieudiem">{tags}</div></div>\n'
    )


def _bottom(c: Chrome) -> str:
    p = c.portal.css
    lines = "<br />".join(esc(line) for line in footer_lines(c.portal))
    return (
        f'<div class="{p}_clear"></div>\n<div class="{p}_footer">{lines}</div>\n</div>\n</form>\n'
        '<script type="text/javascript">var _gaq = _gaq || [];</script>\n</body>\n</html>\n'
    )


def _row(c: Chrome, link: Link) -> str:
    p = c.portal.css
    when = f'<span class="{p}_ngay">({dates.line_c(link.when)})</span>' if link.when else ""
    thumb = f'<img src="{link.thumb}" width="120" align="left" />' if link.thumb else ""
    summary = f'<div class="{p}_tomtat_ds">{esc(link.summary)}</div>' if link.summary else ""
    return (
        f'<div class="{p}_tinkhac">{thumb}<a class="{p}_tieude_ds" href="{link.href}">{esc(link.title)}</a> '
        f"{when}{summary}</div>\n"
    )


def home(c: Chrome, v: ListingView) -> str:
    """Return the home page."""
    p = c.portal.css
    rows = "".join(_row(c, link) for link in v.items)
    blocks = ""
    for cat, links in v.blocks:
        inner = "".join(_row(c, link) for link in links)
        blocks += f'<div class="{p}_khoi"><div class="{p}_khoi_ten"><a href="{cat.href}">{esc(cat.title)}</a>'
        blocks += f"</div>{inner}</div>\n"
    return (
        _head(c, c.portal.name + " - Trang chủ", v.url)
        + _top(c)
        + f'<div class="{p}_left"><div class="{p}_tinmoi">'
        + f'<div class="{p}_boxtitle">TIN MỚI</div>{rows}</div>\n'
        + blocks
        + "</div>\n"
        + _right(c)
        + _bottom(c)
    )


def listing(c: Chrome, v: ListingView) -> str:
    """Return a category (or search) listing page with its pager."""
    p = c.portal.css
    rows = "".join(_row(c, link) for link in v.items) or "<div>Không có dữ liệu</div>"
    pager = ""
    if v.pages > 1:
        cells = []
        for n in page_numbers(v.page, v.pages):
            if n == v.page:
                cells.append(f"<b>{n}</b>")
            else:
                cells.append(f'<a href="{v.page_href[n - 1]}">{n}</a>')
        if v.page < v.pages:
            cells.append(f'<a href="{v.page_href[v.page]}" title="Trang sau">Trang sau</a>')
        pager = f'<div class="{p}_phantrang">Trang: {" ".join(cells)}</div>\n'
    head_title = v.title if v.page == 1 else f"{v.title} - Trang {v.page}"
    return (
        _head(c, f"{head_title} - {c.portal.name}", v.url)
        + _top(c)
        + f'<div class="{p}_left"><div class="{p}_duongdan">'
        + f'<a href="/">Trang chủ</a> / {esc(v.title)}</div>\n'
        + f'<h1 class="{p}_chuyenmuc">{esc(v.title)}</h1>\n{rows}{pager}</div>\n'
        + _right(c)
        + _bottom(c)
    )


def article(c: Chrome, v: ArticleView) -> str:
    """Return an article page."""
    p = c.portal.css
    a, t = v.article, v.text
    figures, inline = dict(t.figures), dict(t.related_at)
    body = []
    for i, para in enumerate(t.paragraphs):
        body.append(f'<p style="text-align: justify;">{esc(para)}</p>')
        if i in figures:
            body.append(
                f'<table class="{p}_image" align="center"><tr><td><img src="{figure_src(c.portal, a, i)}" '
                f'width="600" /></td></tr><tr><td class="{p}_chuthich">{esc(figures[i])}</td></tr></table>'
            )
        if i in inline:
            body.append(_inline_related(c, v, i, inline[i]))
    author = f'<p class="{p}_tacgia" align="right"><b>{esc(a.author)}</b></p>' if a.author else ""
    tags = ", ".join(f'<a href="{tag.href}">{esc(tag.title)}</a>' for tag in v.tags)
    related = "".join(
        f'<li><a href="{r.href}">{esc(r.title)}</a> <span class="{p}_ngay">'
        f"({dates.line_c(r.when) if r.when else ''})</span></li>"
        for r in v.related
    )
    comments = "".join(
        f'<div class="{p}_ykien"><span class="{p}_ykien_ten">{esc(name)}</span>: {esc(text)}</div>'
        for name, text in v.comments
    )
    return (
        _head(c, f"{a.title} - {c.portal.name}", v.url, v.lang)
        + _top(c)
        + f'<div class="{p}_left"><div class="{p}_duongdan"><a href="/">Trang chủ</a> / '
        + f'<a href="{v.category.href}">{esc(v.category.title)}</a></div>\n'
        + f'<div class="{p}_chitiet"><h1 class="{p}_tieude">{esc(a.title)}</h1>\n'
        + f'<div class="{p}_ngaydang">{dates.line_c(a.published_at)} | <a href="{v.print_href}">In trang</a>'
        + "</div>\n"
        + f'<div class="{p}_tomtat"><b>{esc(t.sapo)}</b></div>\n'
        + f'<div class="{p}_noidung">\n'
        + "\n".join(body)
        + f"\n{author}</div>\n"
        + f'<div class="{p}_tukhoa">Từ khóa: {tags}</div></div>\n'
        + f'<div class="{p}_tinlienquan"><div class="{p}_boxtitle">CÁC TIN KHÁC</div>'
        + f"<ul>{related}</ul></div>\n"
        + f'<div class="{p}_binhluan"><div class="{p}_boxtitle">Ý KIẾN BẠN ĐỌC</div>{comments}'
        + '<textarea name="ykien" rows="4" cols="60"></textarea></div>\n</div>\n'
        + _right(c)
        + _bottom(c)
    )


def _inline_related(c: Chrome, v: ArticleView, at: int, kind: str) -> str:
    """An editor's related-article line or table box between two body paragraphs."""
    p = c.portal.css
    links = [f'<a href="{link.href}">{esc(link.title)}</a>' for link in inline_links(v, at, 3)]
    if not links:
        return ""
    if kind == "line":
        return f'<p style="text-align: justify;"><b>&gt;&gt; Xem thêm:</b> {links[0]}</p>'
    if kind == "pair":
        return f"<p><i>Đọc thêm:</i> {', '.join(links[:2])}</p>"
    if kind == "box":
        rows = "".join(f'<tr><td class="{p}_tlq">- {link}</td></tr>' for link in links)
        return (
            f'<table class="{p}_tinlienquan_inline" align="center" width="90%"><tr><td><b>TIN LIÊN QUAN</b>'
            f"</td></tr>{rows}</table>"
        )
    items = "".join(f"<li>{link}</li>" for link in links)
    return f"<div><b>Tin liên quan:</b></div><ul>{items}</ul>"


def print_page(c: Chrome, v: ArticleView) -> str:
    """Return the print version of an article (served under the robots.txt Disallow)."""
    a, t = v.article, v.text
    paras = "".join(f"<p>{esc(x)}</p>" for x in t.paragraphs)
    return (
        _head(c, f"{a.title} - {c.portal.name}", v.url, v.lang)
        + f'<body onload="window.print();"><h1>{esc(a.title)}</h1><p>{dates.line_c(a.published_at)}</p>'
        + f"<p><b>{esc(t.sapo)}</b></p>{paras}</body>\n</html>\n"
    )
