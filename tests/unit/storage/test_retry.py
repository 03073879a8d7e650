"""The archive's one retry policy (storage.db): waits that double within a budget, then the last error;
a crawl's ArchiveOutage hears of each failure and success, and ends every caller's wait once one gave up."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError, ProgrammingError

from pipelines.outage import ArchiveOutage
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
    # A crawl's 60 s: the waits stop doubling at 5 s, so a database back after 30 s is used within 5 s.
    assert db.retry_waits(60) == [0.5, 1.0, 2.0, 4.0] + [5.0] * 10 + [2.5]
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


def _lost_connection() -> OperationalError:
    return OperationalError(
        "SELECT 1", {}, Exception("server closed the connection unexpectedly"), connection_invalidated=True
    )


def test_which_errors_are_retried() -> None:
    assert db.is_retriable(_lost_connection())
    assert db.is_retriable(_dropped_out())  # SQLite's lock, PostgreSQL's deadlock victim
    assert db.is_retriable(InterfaceError("SELECT 1", {}, Exception("connection already closed")))
    # An error whose connection was invalidated, whatever its class, ran on a connection that is gone.
    assert db.is_retriable(ProgrammingError("SELECT 1", {}, Exception("x"), connection_invalidated=True))
    assert not db.is_retriable(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not db.is_retriable(DataError("INSERT", {}, Exception("value too long")))
    assert not db.is_retriable(ProgrammingError("SELEC 1", {}, Exception("syntax error")))
    assert not db.is_retriable(ValueError("not a database error"))


def test_an_outage_is_ridden_out_within_the_budget(waits: list[float]) -> None:
    outage = ArchiveOutage(budget=60)
    failures = [_lost_connection() for _ in range(8)]  # down for 0.5 + 1 + 2 + 4 + 5 x 4 = 27.5 s
    seen_down: list[bool] = []

    def work() -> str:
        if failures:
            failures.pop()
            seen_down.append(outage.down)
            raise _lost_connection()
        seen_down.append(outage.down)
        return "written"

    assert db.retrying(work, outage=outage) == "written"
    assert sum(waits) == 27.5 and len(waits) == 8
    assert seen_down == [False] + [True] * 8  # down from the first failure until the success
    assert not outage.down and outage.lost is None and outage.outages == 1


def test_beyond_the_budget_the_archive_is_lost_and_other_callers_stop_waiting(waits: list[float]) -> None:
    outage = ArchiveOutage(budget=5)
    calls: list[str] = []

    def work(name: str):  # type: ignore[no-untyped-def]
        def attempt() -> None:
            calls.append(name)
            raise _lost_connection()

        return attempt

    with pytest.raises(OperationalError):
        db.retrying(work("writer"), outage=outage)
    assert waits == [0.5, 1.0, 2.0, 1.5] and calls == ["writer"] * 5
    assert outage.lost == "(builtins.Exception) server closed the connection unexpectedly"
    assert not outage.down and outage.outages == 1
    # Another component (the run record at the crawl's end, say) makes one attempt, no more waits.
    with pytest.raises(OperationalError):
        db.retrying(work("run record"), outage=outage)
    assert calls.count("run record") == 1 and len(waits) == 4


def test_a_busy_database_is_retried_without_an_outage(waits: list[float]) -> None:
    outage = ArchiveOutage(budget=60)

    class DeadlockDetected(Exception):  # psycopg.errors.DeadlockDetected, by its name
        pass

    deadlock = OperationalError("UPDATE frontier", {}, DeadlockDetected("deadlock detected"))
    failures = [deadlock, _dropped_out()]
    seen_down: list[bool] = []

    def work() -> str:
        seen_down.append(outage.down)
        if failures:
            raise failures.pop()
        return "written"

    assert db.is_busy(deadlock) and db.is_busy(_dropped_out()) and not db.is_busy(_lost_connection())
    assert db.retrying(work, outage=outage) == "written"
    assert seen_down == [False, False, False] and outage.outages == 0 and waits == [0.5, 1.0]


def test_an_error_that_is_not_retried_leaves_the_outage_alone(waits: list[float]) -> None:
    outage = ArchiveOutage(budget=60)

    def work() -> None:
        raise DataError("INSERT", {}, Exception("value too long"))

    with pytest.raises(DataError):
        db.retrying(work, outage=outage)
    assert waits == [] and outage.lost is None and outage.outages == 0


def test_the_budget_is_time_on_the_clock_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Attempts that each take long (a connect timeout against a vanished host) end the budget early."""
    clock = [0.0]
    monkeypatch.setattr(db, "monotonic", lambda: clock[0])
    monkeypatch.setattr(db, "sleep", lambda seconds: clock.__setitem__(0, clock[0] + seconds))
    attempts: list[float] = []

    def work() -> None:
        attempts.append(clock[0])
        clock[0] += 10.0  # connect_timeout
        raise _lost_connection()

    with pytest.raises(OperationalError):
        db.retrying(work, outage=ArchiveOutage(budget=30))
    assert attempts == [0.0, 10.5, 21.5, 33.5]  # the fourth is the last: the clock is past 30 s
