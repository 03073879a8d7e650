"""A time budget for one request's database work: a statement timeout on PostgreSQL, an interrupt on
SQLite, so a costly search answers "took too long" instead of holding a connection and a thread."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

# Seconds a search (its count, ranking and facets together) may spend in the database.
SEARCH_BUDGET_SECONDS = 5.0
# SQLite calls the progress handler every this many virtual-machine instructions (about 1 ms).
_SQLITE_CHECK_EVERY = 10_000


class OverBudget(RuntimeError):
    """The database work did not finish within its budget (the statement was cancelled)."""


@contextmanager
def statement_budget(session: Session, seconds: float = SEARCH_BUDGET_SECONDS) -> Iterator[None]:
    """Run the block's statements under a time limit; raise OverBudget when one is cancelled.

    The session must be in a transaction of its own (PostgreSQL's SET LOCAL ends with it).
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SET LOCAL statement_timeout = {int(seconds * 1000)}"))
        try:
            yield
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == "57014":  # query_canceled
                raise OverBudget(f"the search took longer than {seconds:g} s") from None
            raise
        return
    raw = connection.connection.driver_connection
    deadline = time.monotonic() + seconds
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), _SQLITE_CHECK_EVERY)  # type: ignore[union-attr]
    try:
        yield
    except DBAPIError as exc:
        if "interrupted" in str(exc.orig):
            raise OverBudget(f"the search took longer than {seconds:g} s") from None
        raise
    finally:
        raw.set_progress_handler(None, 0)  # type: ignore[union-attr]
