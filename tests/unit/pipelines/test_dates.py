"""Vietnamese date parsing (pipelines.extract.dates)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pipelines.extract.dates import parse_date, parse_date_details
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
