"""A crawl interrupted at any moment is completed by the next one (issue 20): cut by SIGKILL to its process
group or by SIGINT, late in the crawl too, then rerun with the same command, the archive equals a clean
crawl's. Two late cuts per database here (the suite's time is bounded);
`python -m tests.integration.cutpoints` runs many more and prints the table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.integration.cutpoints import (
    Cut,
    Snapshot,
    clean_crawl,
    cut_crawl,
    fresh_database,
    replica_server,
    snapshot,
    table,
)
from tests.replica import ReplicaServer

if TYPE_CHECKING:
    from tests.integration.conftest import Newsarchive

pytestmark = pytest.mark.slow  # crawls in subprocesses: not in `make test-fast`
# Seeded moments, as shares of the clean crawl's time: late ones (the 85-95 %), where the crawls
# lost articles before; `make cutpoints` spreads many more over the whole crawl.
CUTS = (Cut("SIGKILL", 0.9), Cut("SIGINT", 0.86))


@pytest.fixture(scope="module")
def replica() -> Iterator[ReplicaServer]:
    # Fewer articles, one per listing page: the listings-only portal keeps series of 10+ pages.
    with replica_server(articles=50, page_size=1) as server:
        yield server


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def clean(
    request: pytest.FixtureRequest,
    replica: ReplicaServer,
    newsarchive: Newsarchive,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, float, Snapshot]:
    """The backend, the time of a clean crawl into an empty archive on it, and that archive."""
    backend = str(request.param)
    work = tmp_path_factory.mktemp("clean")
    with fresh_database(backend, work, "clean") as database:
        seconds = clean_crawl(newsarchive, replica, database, work)
        archived, twice = snapshot(database)
    assert archived and not twice
    return backend, seconds, archived


@pytest.mark.parametrize("cut", CUTS, ids=lambda cut: f"{cut.signal}-{cut.fraction:.0%}")
def test_an_interrupted_crawl_rerun_once_equals_a_clean_crawl(
    clean: tuple[str, float, Snapshot],
    cut: Cut,
    replica: ReplicaServer,
    newsarchive: Newsarchive,
    tmp_path: Path,
) -> None:
    backend, seconds, archived = clean
    with fresh_database(backend, tmp_path, "cut") as database:
        result = cut_crawl(newsarchive, replica, database, tmp_path, cut, seconds, archived)
    report = table([(backend, result)])
    assert result.equal, report
    # The rerun (the same command, no extra flag) finished the archive and exited 0.
    assert result.runs == 2 and result.exits[-1] == 0, report
