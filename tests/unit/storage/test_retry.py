"""The archive's one retry policy (storage.db): waits that double within a budget, then the last error."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from storage import db
from storage.models import Portal
from storage.runs import ensure_portal


def _dropped_out() -> OperationalError:
    return OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits retrying sleeps, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(db, "sleep", slept.append)
    return slept


def test_waits_double_within_the_budget() -> None:
    assert db.retry_waits() == [0.5, 1.0, 2.0, 4.0]  # the archive writer's five attempts, 7.5 s
    assert db.retry_waits(60) == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 28.5]
    assert db.retry_waits(0) == []


def test_a_database_that_comes_back_is_retried(waits: list[float]) -> None:
    failures = [_dropped_out() for _ in range(4)]
    heard: list[int] = []

    def work() -> str:
        if failures:
            raise failures.pop()
        return "written"

    assert db.retrying(work, on_retry=lambda exc, attempt: heard.append(attempt)) == "written"
    assert waits == [0.5, 1.0, 2.0, 4.0] and heard == [1, 2, 3, 4]


def test_the_last_error_is_raised_once_the_budget_is_spent(waits: list[float]) -> None:
    calls = []

    def work() -> None:
        calls.append(1)
        raise _dropped_out()

    with pytest.raises(OperationalError, match="database is locked"):
        db.retrying(work, budget=1.5)
    assert waits == [0.5, 1.0] and len(calls) == 3


def test_other_errors_are_not_retried(waits: list[float]) -> None:
    def work() -> None:
        raise IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))

    with pytest.raises(IntegrityError):
        db.retrying(work)
    assert waits == []


def test_run_transaction_rolls_back_each_failed_attempt(archive, waits: list[float]) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    attempts = []

    def work(session):  # type: ignore[no-untyped-def]
        attempts.append(1)
        ensure_portal(session, f"p{len(attempts)}", "Báo P", "https://p.vn/")
        if len(attempts) == 1:
            raise _dropped_out()
        return len(attempts)

    assert db.run_transaction(factory, work) == 2 and waits == [0.5]
    with factory() as session:
        assert session.scalars(select(Portal.key)).all() == ["p2"]
