"""The recycled PostgreSQL archive (tests/databases.py): each test must get what a fresh copy of the
migrated template would be, never a trace of the test before it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.databases import RecycledPostgres


@pytest.fixture
def recycled(postgres_template_name: str) -> Iterator[RecycledPostgres]:
    """A recycler of its own, so these tests see its copies come and go without disturbing others."""
    with RecycledPostgres(postgres_template_name) as recycled:
        yield recycled


def _run(url: str, *statements: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            results = (connection.execute(text(statement)) for statement in statements)
            return [result.scalar() if result.returns_rows else None for result in results]
    finally:
        engine.dispose()


def test_rows_sequences_and_statistics_are_gone_but_the_copy_is_kept(recycled: RecycledPostgres) -> None:
    with recycled.checkout() as first:
        _run(
            first,
            "INSERT INTO portals (key, name, home_url, created_at) VALUES ('a', 'A', 'https://a', now())",
            "INSERT INTO portals (key, name, home_url, created_at) VALUES ('b', 'B', 'https://b', now())",
            "DELETE FROM portals WHERE key = 'b'",
            "ANALYZE portals",
            "UPDATE dedup_lock SET taken_at = now()",  # the row migration 0003 seeded
        )
        # A connection the test forgot, idle in a transaction holding a lock on the table.
        leaked = create_engine(first).connect()
        leaked.execute(text("LOCK TABLE portals IN ACCESS SHARE MODE"))
    with recycled.checkout() as second:
        count, next_id, statistics, pages, estimate, lock = _run(
            second,
            "SELECT count(*) FROM portals",
            "INSERT INTO portals (key, name, home_url, created_at) VALUES ('c', 'C', 'https://c', now())"
            " RETURNING id",
            "SELECT count(*) FROM pg_statistic WHERE starelid = 'portals'::regclass",
            "SELECT relpages FROM pg_class WHERE relname = 'portals'",
            "SELECT reltuples FROM pg_class WHERE relname = 'portals'",
            "SELECT json_agg(dedup_lock)::text FROM dedup_lock",
        )
    assert second == first  # the same database, not a new copy
    assert count == 0
    assert next_id == 1  # the sequence restarted as in a fresh copy
    assert statistics == 0 and pages == 0 and estimate == -1  # the planner sees a never-analysed table
    assert lock == '[{"id":1,"taken_at":null}]'  # seeded rows are put back as the migration left them
    with pytest.raises(OperationalError):  # the forgotten session was ended, not waited for
        leaked.execute(text("SELECT 1"))
    leaked.invalidate()


def test_a_changed_schema_gets_a_new_copy(recycled: RecycledPostgres) -> None:
    with recycled.checkout() as first:
        _run(first, "CREATE INDEX portals_name ON portals (name)")
    with recycled.checkout() as second:
        (indexes,) = _run(second, "SELECT count(*) FROM pg_indexes WHERE indexname = 'portals_name'")
    assert second != first
    assert indexes == 0


def test_a_downgraded_revision_gets_a_new_copy(recycled: RecycledPostgres) -> None:
    with recycled.checkout() as first:
        (revision,) = _run(first, "UPDATE alembic_version SET version_num = 'older' RETURNING version_num")
    with recycled.checkout() as second:
        (now,) = _run(second, "SELECT version_num FROM alembic_version")
    assert second != first
    assert revision == "older" and now != "older"
