"""The archive's time zone: Vietnam's days and ISO dates, the same instants as in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

from storage.timezone import day_end, day_start, local_iso


def test_a_vietnam_day_starts_at_five_in_the_afternoon_utc_the_day_before() -> None:
    assert day_start(date(2024, 3, 1)) == datetime(2024, 2, 29, 17, tzinfo=UTC)
    assert day_end(date(2024, 2, 29)) == day_start(date(2024, 3, 1))


def test_local_iso_keeps_the_instant_in_plus_seven() -> None:
    assert local_iso(datetime(2024, 2, 29, 17, 30, tzinfo=UTC)) == "2024-03-01T00:30:00+07:00"
    assert local_iso(None) is None


def test_human_datetime_is_day_first_with_the_offset_people_read() -> None:
    from storage.timezone import human_datetime

    assert human_datetime(datetime(2026, 12, 6, 20, 29, 53, 177136, tzinfo=UTC)) == (
        "07/12/2026 03:29 (GMT+7)"
    )
    assert human_datetime(None) == ""


def test_human_date_is_the_vietnam_calendar_day() -> None:
    from storage.timezone import human_date

    assert human_date(datetime(2024, 2, 29, 17, 30, tzinfo=UTC)) == "01/03/2024"
    assert human_date(date(2024, 3, 1)) == "01/03/2024"


def test_parse_day_takes_iso_and_day_first_and_names_what_is_wrong() -> None:
    import pytest

    from storage.timezone import parse_day

    assert parse_day("2024-03-01") == parse_day("01/03/2024") == date(2024, 3, 1)
    with pytest.raises(ValueError, match="not a real date"):
        parse_day("2024-13-01")
    with pytest.raises(ValueError, match="DD/MM/YYYY"):
        parse_day("yesterday")
