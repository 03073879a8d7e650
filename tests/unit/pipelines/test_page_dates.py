"""Finding the published and updated dates of article pages (pipelines.extract.page_dates)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import lxml.html

from pipelines.extract.dates import VN_TZ
from pipelines.extract.page_dates import find_dates

PLUS7 = timezone(timedelta(hours=7))


def _page(head: str = "", body: str = "") -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


def test_meta_beats_visible_and_keeps_offset() -> None:
    html = _page(
        '<meta property="article:published_time" content="2024-04-12T08:30:00+07:00">'
        '<meta property="article:modified_time" content="2024-04-13T09:00:00+07:00">',
        '<h1>Một tiêu đề bài báo đủ dài</h1><span class="date">12/04/2024 08:30</span>',
    )
    found = find_dates(html)
    assert found.published_at == datetime(2024, 4, 12, 8, 30, tzinfo=PLUS7)
    assert found.updated_at == datetime(2024, 4, 13, 9, 0, tzinfo=PLUS7)
    assert found.source == "meta:article:published_time"
    assert found.raw == "2024-04-12T08:30:00+07:00"


def test_jsonld_dates() -> None:
    html = _page(
        '<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"NewsArticle",'
        '"datePublished":"2024-04-12T08:30:00+07:00","dateModified":"2024-04-12T10:00:00+07:00"}]}</script>'
    )
    found = find_dates(html)
    assert found.source == "jsonld:datePublished"
    assert found.updated_at == datetime(2024, 4, 12, 10, 0, tzinfo=PLUS7)


def test_itemprop_date_published() -> None:
    html = _page(body='<time itemprop="datePublished" datetime="2024-04-12T08:30:00+07:00">12/04/2024</time>')
    assert find_dates(html).published_at == datetime(2024, 4, 12, 8, 30, tzinfo=PLUS7)


def test_visible_published_and_updated_separate() -> None:
    html = _page(
        body='<header><span class="date">Thứ Hai, 15/04/2024</span></header>'
        "<h1>Một tiêu đề bài báo đủ dài</h1>"
        '<div class="meta-time">Đăng: 12/04/2024 08:30 | Cập nhật: 12/04/2024 10:45</div>'
    )
    found = find_dates(html)
    assert found.published_at == datetime(2024, 4, 12, 8, 30, tzinfo=VN_TZ)
    assert found.updated_at == datetime(2024, 4, 12, 10, 45, tzinfo=VN_TZ)
    assert found.source is not None and found.source.startswith("visible:")


def test_header_today_date_is_ignored() -> None:
    html = _page(
        body='<header><div class="today-date">Thứ Hai, 15/04/2024</div></header><h1>Tiêu đề bài viết dài</h1>'
    )
    assert find_dates(html).published_at is None


def test_feed_date_is_fallback_evidence() -> None:
    found = find_dates(_page(body="<p>Không có ngày</p>"), feed_date="Fri, 12 Apr 2024 08:30:00 +0700")
    assert found.source == "feed" and found.published_at == datetime(2024, 4, 12, 8, 30, tzinfo=PLUS7)
    html = _page('<meta property="article:published_time" content="2024-04-11T07:00:00+07:00">')
    assert (
        find_dates(html, feed_date="Fri, 12 Apr 2024 08:30:00 +0700").source == "meta:article:published_time"
    )


def test_date_only_meta_is_upgraded_by_same_day_time() -> None:
    html = _page(
        '<meta name="pubdate" content="2024-04-12">',
        '<h1>Một tiêu đề bài báo đủ dài</h1><p class="time">12/04/2024 - 08:30</p>',
    )
    assert find_dates(html).published_at == datetime(2024, 4, 12, 8, 30, tzinfo=VN_TZ)


def test_utc_label_on_local_time_is_corrected_with_warning() -> None:
    html = _page(
        '<meta property="article:published_time" content="2024-04-12T08:30:00Z">',
        '<h1>Một tiêu đề bài báo đủ dài</h1><span class="post-date">12/04/2024 08:30</span>',
    )
    found = find_dates(html)
    assert found.published_at == datetime(2024, 4, 12, 8, 30, tzinfo=VN_TZ)
    assert any("offset" in warning for warning in found.warnings)


def test_weekday_warning_in_findings() -> None:
    html = _page(
        body='<h1>Một tiêu đề bài báo đủ dài</h1><div class="date">Thứ Năm, 12/04/2024 - 08:30</div>'
    )
    found = find_dates(html)
    assert found.published_at == datetime(2024, 4, 12, 8, 30, tzinfo=VN_TZ)
    assert len(found.warnings) == 1 and "weekday" in found.warnings[0]


def test_a_walk_the_caller_already_made_gives_the_same_dates() -> None:
    # extraction walks the tree once and hands the nodes over; the nearby date line is ranked by its
    # position among them, so they must count as the tree's own walk does (a comment included)
    tree = lxml.html.document_fromstring(
        _page(
            body="<div><!-- menu --><h1>Một tiêu đề bài báo đủ dài</h1><div><span>x</span></div>"
            "<p>08:30 12/04/2024</p></div>"
        )
    )
    nodes = list(tree.iter())
    assert any(not isinstance(node.tag, str) for node in nodes)
    alone, handed = find_dates(tree), find_dates(tree, nodes=nodes)
    assert handed == alone
    assert handed.source == "nearby:p"
    assert handed.published_at == datetime(2024, 4, 12, 8, 30, tzinfo=VN_TZ)
