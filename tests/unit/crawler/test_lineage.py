"""Portal lineage in the registry (aliases, successor, active_until) and what health makes of a portal
that moved or went dark."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.frontier.planner import FrontierPlanner
from crawler.portals import RegistryError, load_registry, portal_for_url
from storage.health import portal_health
from storage.models import CrawlRun, Portal
from storage.runs import Lineage, ensure_portal, record_lineage

REGISTRY = """
[[portal]]
key = "ninhthuan"
name = "Báo Ninh Thuận"
home_url = "https://baoninhthuan.com.vn/"
aliases = ["ninhthuan.example.vn"]
successor = "khanhhoa"
active_until = 2025-06-30

[[portal]]
key = "khanhhoa"
name = "Báo Khánh Hòa"
home_url = "https://baokhanhhoa.vn/"
"""


def _registry(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "portals.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_aliases_are_the_portals_hosts_for_lookup_and_link_rules(tmp_path: Path) -> None:
    portals = load_registry(_registry(tmp_path, REGISTRY))
    old = portals["ninhthuan"]
    assert (old.successor, old.active_until) == ("khanhhoa", date(2025, 6, 30))
    assert old.sites == ("baoninhthuan.com.vn", "ninhthuan.example.vn")
    moved = "https://www.ninhthuan.example.vn/thoi-su/hoi-nghi-so-ket-cong-tac-quy-i-12345.html"
    assert portal_for_url(moved, portals) is old
    assert old.classify(moved) == "article"
    assert portals["khanhhoa"].classify(moved) == "skip"


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('successor = "khanhhoa"', 'successor = "nowhere"', "successor 'nowhere' is no portal key"),
        ('aliases = ["ninhthuan.example.vn"]', 'aliases = ["baokhanhhoa.vn"]', "host baokhanhhoa.vn is both"),
        ("active_until = 2025-06-30", 'active_until = "30/06/2025"', "active_until must be a date like"),
    ],
)
def test_a_wrong_lineage_entry_is_refused_with_the_exact_problem(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    with pytest.raises(RegistryError, match=problem):
        load_registry(_registry(tmp_path, REGISTRY.replace(old, new)))


def _run(session, started: datetime, outcome: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    session.add(
        CrawlRun(spider="portal", portals=["ninhthuan"], started_at=started, finished_at=started,
                 status="failed" if outcome["outcome"] == "unreachable" else "finished",
                 outcomes={"ninhthuan": outcome})
    )  # fmt: skip


def test_health_says_offline_since_the_first_of_the_unanswered_crawls(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    now = datetime(2025, 8, 1, 3, 0, tzinfo=UTC)
    with factory.begin() as session:
        ensure_portal(session, "ninhthuan", "Báo Ninh Thuận", "https://baoninhthuan.com.vn/")
        _run(session, now - timedelta(days=40), {"outcome": "reached"})
        for days in (30, 20, 10):
            _run(session, now - timedelta(days=days), {"outcome": "unreachable"})
    with factory() as session:
        report = portal_health(session, "ninhthuan", now=now)
    offline = [p for p in report.problems if p.startswith("offline since")]
    assert offline == [
        "offline since 02/07/2025 10:00 (GMT+7) (3 crawls unanswered, "
        "last answered 22/06/2025 10:00 (GMT+7)); "
        'suggested registry change once it is gone for good: active_until = "2025-06-22", and '
        "`newsarchive backfill ninhthuan` from a web archive"
    ]
    assert report.level == "error"


def test_health_says_moved_to_a_registered_portal_with_the_successor_to_set(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    now = datetime(2025, 8, 1, 3, 0, tzinfo=UTC)
    with factory.begin() as session:
        ensure_portal(session, "ninhthuan", "Báo Ninh Thuận", "https://baoninhthuan.com.vn/")
        ensure_portal(session, "khanhhoa", "Báo Khánh Hòa", "https://baokhanhhoa.vn/")
        _run(
            session,
            now - timedelta(days=1),
            {"outcome": "nothing_new", "moved_to": "https://baokhanhhoa.vn/"},
        )
    with factory() as session:
        report = portal_health(session, "ninhthuan", now=now)
    assert (
        "moved? the home page redirects to https://baokhanhhoa.vn/, portal khanhhoa's site; suggested "
        'registry change: successor = "khanhhoa" and active_until = the last day it published'
    ) in report.problems


def _lineages(factory) -> dict[str, tuple[object, ...]]:  # type: ignore[no-untyped-def]
    with factory() as session:
        rows = session.scalars(select(Portal).order_by(Portal.key))
        return {row.key: (row.aliases, row.successor, row.active_until) for row in rows}


def test_a_crawl_registering_its_portals_copies_their_lineage_into_the_archive(  # type: ignore[no-untyped-def]
    tmp_path: Path, migrated_archive_url: str, archive
) -> None:
    _, factory = archive
    archive_url = migrated_archive_url
    portals = load_registry(_registry(tmp_path, REGISTRY))
    planner = FrontierPlanner(archive_url)
    planner.open(list(portals.values()))
    planner.close()
    assert _lineages(factory) == {
        "khanhhoa": ([], None, None),
        "ninhthuan": (["ninhthuan.example.vn"], "khanhhoa", date(2025, 6, 30)),
    }
    # A page filed without the registry's lineage (the archive pipeline) leaves it as it is...
    with factory.begin() as session:
        ensure_portal(session, "ninhthuan", "Báo Ninh Thuận", "https://baoninhthuan.com.vn/")
    assert _lineages(factory)["ninhthuan"] == (["ninhthuan.example.vn"], "khanhhoa", date(2025, 6, 30))
    # ...and the next crawl brings the registry's edits: the merger undone.
    edited = REGISTRY.replace('successor = "khanhhoa"\n', "").replace("active_until = 2025-06-30\n", "")
    planner = FrontierPlanner(archive_url)
    planner.open(list(load_registry(_registry(tmp_path, edited)).values()))
    planner.close()
    assert _lineages(factory)["ninhthuan"] == (["ninhthuan.example.vn"], None, None)


def test_an_import_records_the_lineage_of_the_portals_the_archive_holds_only(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    with factory.begin() as session:
        ensure_portal(session, "ninhthuan", "Báo Ninh Thuận", "https://baoninhthuan.com.vn/")
    moved = Lineage(("ninhthuan.example.vn",), "khanhhoa", date(2025, 6, 30))
    with factory.begin() as session:
        record_lineage(session, {"ninhthuan": moved, "khanhhoa": Lineage()})
    assert _lineages(factory) == {"ninhthuan": (["ninhthuan.example.vn"], "khanhhoa", date(2025, 6, 30))}
