"""The spider's discovery records and the archive's fetch records write the same frontier entries from
concurrent transactions (PostgreSQL): neither may undo what the other committed while it worked.

Found by an unchanged recrawl that asked again for articles the first crawl had archived: a sitemap
discovery recorded next to the article's fetch left the entry due at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from storage import frontier
from storage.db import open_archive
from storage.frontier import Discovery, FetchOutcome, RevisitPolicy
from storage.runs import ensure_portal

URL = "https://baoninhthuan.com.vn/kinh-te/binh-bac-thao-go-kho-khan-132635.html"
PLANNED = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # when the spider planned the sitemap's discovery
FETCHED = PLANNED + timedelta(seconds=2)  # when the archive recorded the article's fetch
OLD = PLANNED - timedelta(days=400)  # the article's publication and its sitemap lastmod
# How long the other writer is given to finish while the first one holds its transaction open: it
# finishes at once when nothing makes it wait (the race), and is still waiting when the row is locked.
WAIT = 1.0


@pytest.fixture
def factory(postgres_url: str) -> Iterator[sessionmaker[Session]]:
    engine, factory = open_archive(postgres_url, create=True)
    try:
        yield factory
    finally:
        engine.dispose()


def _listed(factory: sessionmaker[Session]) -> int:
    """The entry as a listing left it: discovered, no sitemap lastmod, never fetched."""
    with factory.begin() as session:
        portal_id = ensure_portal(session, "ninhthuan", "Báo Ninh Thuận", "https://baoninhthuan.com.vn/").id
        frontier.record_discoveries(session, portal_id, [Discovery(URL, "listing", OLD)], now=PLANNED)
    return portal_id


def _record_sitemap_discovery(session: Session, portal_id: int) -> None:
    frontier.record_discoveries(session, portal_id, [Discovery(URL, "sitemap", OLD)], now=PLANNED)


def _record_archived_fetch(session: Session, portal_id: int) -> None:
    outcome = FetchOutcome(URL, FETCHED, 200, "archived", published_at=OLD)
    frontier.record_fetch(session, portal_id, outcome, RevisitPolicy())


def _race(
    factory: sessionmaker[Session],
    first: Callable[[Session], None],
    second: Callable[[Session], None],
) -> None:
    """Run ``first`` in a transaction; while it is open, ``second`` in another (a thread) that commits
    if it can; then commit ``first`` and wait for ``second``."""
    errors: list[BaseException] = []

    def other() -> None:
        try:
            with factory.begin() as session:
                second(session)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    with factory.begin() as session:
        first(session)
        session.flush()
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(WAIT)
    thread.join(30)
    assert not thread.is_alive()
    assert not errors, errors


def _owed_after(factory: sessionmaker[Session], portal_id: int) -> tuple[list[str], frontier.Plan]:
    """What an unchanged recrawl an hour later owes the entry: due() and the plan of the same sitemap
    discovery."""
    later = FETCHED + timedelta(hours=1)
    with factory() as session:
        owed = [entry.url for entry in frontier.due(session, portal_id, now=later)]
        (plan,) = frontier.plan(session, [Discovery(URL, "sitemap", OLD)], now=later)
    return owed, plan


def test_a_discovery_recorded_while_the_fetch_is_archived_leaves_the_archived_entry_alone(
    factory: sessionmaker[Session],
) -> None:
    portal_id = _listed(factory)
    # The planner's flush holds the entry while the archive records the article's fetch.
    _race(
        factory,
        lambda s: _record_sitemap_discovery(s, portal_id),
        lambda s: _record_archived_fetch(s, portal_id),
    )
    owed, plan = _owed_after(factory, portal_id)
    assert owed == []
    assert (plan.fetch, plan.why, plan.done) == (False, "known", True)


def test_a_fetch_archived_while_the_discovery_is_recorded_is_not_made_due_again(
    factory: sessionmaker[Session],
) -> None:
    portal_id = _listed(factory)
    # The archive holds the entry while the planner's flush records the sitemap's discovery.
    _race(
        factory,
        lambda s: _record_archived_fetch(s, portal_id),
        lambda s: _record_sitemap_discovery(s, portal_id),
    )
    owed, plan = _owed_after(factory, portal_id)
    assert owed == []
    assert (plan.fetch, plan.why, plan.done) == (False, "known", True)
