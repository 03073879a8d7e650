"""Vietnamese date parsing and date finding on article pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pipelines.extract.dates import find_dates, parse_date, parse_date_details
from storage.timezone import VN_TZ

PLUS7 = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thứ Sáu, 12/04/2024 - 08:30", datetime(2024, 4, 12, 8, 30, tzinfo=VN_TZ)),
        ("12/04/2024 08:30 (GMT+7)", datetime(2024, 4, 12, 8, 30, tzinfo=PLUS7)),
        ("Ngày 12 tháng 4 năm 2024", datetime(2024, 4, 12, tzinfo=VN_TZ)),
        ("08:30 12/4/2024", datetime(2024, 4, 12, 8, 30, tzinfo=VN_TZ)),
        ("Cập nhật: 13/04/2024 09:15", datetime(2024, 4, 13, 9, 15, tzinfo=VN_TZ)),
        ("Thứ 6, 12/4/2024, 08:30", datetime(2024, 4, 12, 8, 30, tzinfo=VN_TZ)),
        ("12-04-2024 08:30", datetime(2024, 4, 12, 8, 30, tzinfo=VN_TZ)),
        ("12.04.2024 | 8h30", datetime(2024, 4, 12, 8, 30, tzinfo=VN_TZ)),
        ("T6, 12/04/2024 14:05", datetime(2024, 4, 12, 14, 5, tzinfo=VN_TZ)),
        ("Chủ nhật, 14/4/2024 10:00", datetime(2024, 4, 14, 10, 0, tzinfo=VN_TZ)),
        ("07-03-2026 - 00:01 AM", datetime(2026, 3, 7, 0, 1, tzinfo=VN_TZ)),
        ("12/04/2024 02:30 CH", datetime(2024, 4, 12, 14, 30, tzinfo=VN_TZ)),
        ("2024-04-12T08:30:00+07:00", datetime(2024, 4, 12, 8, 30, tzinfo=PLUS7)),
        ("2024-04-12T01:30:00Z", datetime(2024, 4, 12, 1, 30, tzinfo=UTC)),
        ("2026-03-07T00:01:00", datetime(2026, 3, 7, 0, 1, tzinfo=VN_TZ)),
        ("2026-03-07T08:52:11.000 +07:00", datetime(2026, 3, 7, 8, 52, 11, tzinfo=PLUS7)),
        ("April 12, 2024", datetime(2024, 4, 12, tzinfo=VN_TZ)),
        ("12 April 2024 8:30 PM", datetime(2024, 4, 12, 20, 30, tzinfo=VN_TZ)),
        ("Fri, 12 Apr 2024 08:30:00 +0700", datetime(2024, 4, 12, 8, 30, tzinfo=PLUS7)),
    ],
)
def test_formats(text: str, expected: datetime) -> None:
    parsed = parse_date(text)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == expected.utcoffset()


def test_day_first_by_default() -> None:
    # news-please and newspaper4k read this as 12 April
    assert parse_date("04/12/2024") == datetime(2024, 12, 4, tzinfo=VN_TZ)


def test_month_first_only_when_day_first_is_impossible() -> None:
    assert parse_date("04/13/2024") == datetime(2024, 4, 13, tzinfo=VN_TZ)


def test_default_tz_is_used_without_offset() -> None:
    parsed = parse_date("12/04/2024 08:30", default_tz=UTC)
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["", "không có ngày", "31/02/2024", "12/04/1870", "Thứ Sáu", "99:99"])
def test_no_date(text: str) -> None:
    assert parse_date(text) is None


def test_weekday_mismatch_is_a_warning() -> None:
    parsed = parse_date_details("Thứ Năm, 12/04/2024 - 08:30")  # 12/04/2024 is a Friday
    assert parsed is not None and parsed.value == datetime(2024, 4, 12, 8, 30, tzinfo=VN_TZ)
    assert parsed.warning is not None and "Friday" in parsed.warning
    ok = parse_date_details("Thứ Sáu, 12/04/2024 - 08:30")
    assert ok is not None and ok.warning is None


def test_weekday_words_do_not_eat_the_year() -> None:
    # "Thứ Năm" (Thursday) and "năm 2024" (year 2024) share the word "năm"
    parsed = parse_date_details("Thứ Năm, ngày 11 tháng 4 năm 2024")
    assert parsed is not None and parsed.value.date().isoformat() == "2024-04-11" and parsed.warning is None


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
