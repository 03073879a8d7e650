"""What a page says about itself (pipelines.extract.links): article signals, whether bytes are HTML."""

from __future__ import annotations

import lxml.html

from pipelines.extract.links import article_signals, looks_like_html


def _article_page(extra_head: str = "") -> lxml.html.HtmlElement:
    paragraph = (
        "<p>" + "Ủy ban nhân dân tỉnh Ninh Thuận tổ chức hội nghị sơ kết công tác quý I. " * 3 + "</p>"
    )
    return lxml.html.fromstring(
        f"<html><head>{extra_head}</head><body><h1>Tiêu đề</h1>{paragraph * 4}"
        "<a href='/a'>Tin liên quan</a></body></html>"
    )


def test_article_signals() -> None:
    assert article_signals(_article_page('<meta property="og:type" content="article">'))[0]
    ld = '<script type="application/ld+json">{"@graph": [{"@type": "NewsArticle"}]}</script>'
    assert article_signals(_article_page(ld))[0]
    assert article_signals(_article_page())[0]
    assert not article_signals(_article_page('<meta property="og:type" content="website">'))[0]
    links = "".join(
        f"<li><a href='/a{i}'>{'Tin tức mới nhất trong ngày của tỉnh ' * 3}</a></li>" for i in range(40)
    )
    listing = lxml.html.fromstring(
        "<html><body><h1>Thời sự</h1>"
        + "<p>"
        + "Tóm tắt tin chính của chuyên mục thời sự hôm nay trong tỉnh. " * 3
        + "</p>" * 3
        + f"<ul>{links}</ul></body></html>"
    )
    assert not article_signals(listing)[0]


def test_json_ld_nested_past_the_parsers_recursion_is_no_signal_and_no_failure() -> None:
    # A hostile portal's JSON-LD nested 5,000 deep made json.loads raise RecursionError, and the whole
    # page's analysis failed in its worker; it is now simply no JSON-LD Article, and the page's own
    # paragraphs still decide.
    deep = "[" * 5000 + "]" * 5000
    assert article_signals(_article_page(f'<script type="application/ld+json">{deep}</script>')) == (
        True,
        "h1 and 4 long paragraphs",
    )


def test_looks_like_html() -> None:
    assert looks_like_html(b"<!DOCTYPE html><html><body>x</body></html>")
    assert looks_like_html(b"\n\n  <div class='x'>tin</div>")
    assert not looks_like_html(bytes(range(1, 256)) * 4)
    assert not looks_like_html(b"just some text < 5 and > 3")
