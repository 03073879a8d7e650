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
