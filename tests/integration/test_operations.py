"""Operators: schedules that survive restarts and catch up once, the scheduler's --once and SIGTERM,
two schedulers sharing one archive, and health exit codes when a portal stops answering or its
template changes."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select, text

from crawler.cli.main import main
from crawler.ops.rules import Rule
from storage import schedules
from storage.db import open_archive
from storage.models import Article, CrawlRun, Lease, Schedule
from tests.demo import write_registry
from tests.replica import ReplicaServer, build_world

if TYPE_CHECKING:
    from tests.integration.conftest import Newsarchive, ReadArchive

# The crawls a scheduler starts read their download delay from the environment.
NO_DELAY = {"NEWSARCHIVE_DOWNLOAD_DELAY": "0"}


def _registry(replica: ReplicaServer, path: Path) -> Path:
    return write_registry(replica.registry_entries(), path)


def test_schedule_commands(tmp_path: Path) -> None:
    with ReplicaServer(build_world(portals=2, articles=5, seed=41), first_host=140, port=0) as replica:
        registry = str(_registry(replica, tmp_path / "portals.toml"))
    db = f"sqlite:///{tmp_path}/s.sqlite3"
    runner = CliRunner()
    first, second = replica.world.portal_keys
    assert (
        runner.invoke(
            main, ["schedule", "set", first, "--every", "2h", "--db", db, "--registry", registry]
        ).exit_code
        == 0
    )
    cron = runner.invoke(
        main, ["schedule", "set", second, "--cron", "30 5 * * *", "--db", db, "--registry", registry]
    )
    assert cron.exit_code == 0 and "cron 30 5 * * *" in cron.output
    listed = runner.invoke(main, ["schedule", "list", "--db", db, "--json"])
    rows = {row["portal"]: row for row in json.loads(listed.stdout)}
    assert rows[first]["rule"] == "every 2h" and rows[second]["rule"] == "cron 30 5 * * *"
    assert rows[second]["next_run"].endswith("+07:00") and "T05:30:00" in rows[second]["next_run"]
    for bad in (["--every", "soon"], ["--cron", "every day"], [], ["--every", "1h", "--cron", "0 * * * *"]):
        result = runner.invoke(main, ["schedule", "set", first, *bad, "--db", db, "--registry", registry])
        assert result.exit_code == 2 and result.output.startswith("error:"), bad
    unknown = runner.invoke(
        main, ["schedule", "set", "nowhere", "--every", "1h", "--db", db, "--registry", registry]
    )
    assert unknown.exit_code == 2 and "unknown portal nowhere" in unknown.output
    assert runner.invoke(main, ["schedule", "remove", first, "--db", db]).exit_code == 0
    assert runner.invoke(main, ["schedule", "remove", first, "--db", db]).exit_code == 2


def test_schedules_survive_restarts_and_a_downtime_runs_each_once(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    rule = Rule.parse(every="1h")
    downtime_start = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)
    with factory.begin() as session:
        schedules.set_schedule(session, "p", every=rule.every, cron=None, first_run=downtime_start)
    # Five hours later a scheduler (a new process: nothing in memory) finds the schedule overdue by
    # five slots: it starts one crawl, and the next is due an hour after now, not five times at once.
    now = downtime_start + timedelta(hours=5, minutes=3)
    with factory.begin() as session:
        claimed = schedules.claim_due(session, "host:1", lambda row, at: Rule.of(row).next_after(at), now=now)
        assert [row.portal_key for row in claimed] == ["p"]
    with factory.begin() as session:
        assert (
            schedules.claim_due(session, "host:2", lambda row, at: Rule.of(row).next_after(at), now=now) == []
        )
        row = session.get(Schedule, "p")
        assert row is not None and row.next_run_at == now + timedelta(hours=1) and row.running_on == "host:1"
    # host:1 dies with the claim. An hour on, the schedule is due again: while the crawl it started
    # still holds the portal's lease, the claim stands; once no crawl holds it, the next scheduler runs it.
    later = now + timedelta(hours=1, minutes=1)
    with factory.begin() as session:
        session.add(
            Lease(
                portal_key="p",
                holder="host:1-crawl",
                acquired_at=now,
                expires_at=later + timedelta(minutes=5),
            )
        )
    with factory.begin() as session:
        assert (
            schedules.claim_due(session, "host:3", lambda row, at: Rule.of(row).next_after(at), now=later)
            == []
        )
    with factory.begin() as session:
        session.execute(delete(Lease))
    with factory.begin() as session:
        claimed = schedules.claim_due(
            session, "host:3", lambda row, at: Rule.of(row).next_after(at), now=later
        )
        assert [(row.portal_key, row.running_on) for row in claimed] == [("p", "host:3")]
    cron = Rule.parse(cron="0 6 * * *")  # six in the morning, Vietnam time
    assert cron.next_after(datetime(2026, 11, 29, 0, 30, tzinfo=UTC)) == datetime(
        2026, 11, 29, 23, 0, tzinfo=UTC
    )


@pytest.fixture(scope="module")
def replica() -> Iterator[ReplicaServer]:
    with ReplicaServer(build_world(portals=2, articles=30, seed=42), first_host=145, port=0) as server:
        yield server


@pytest.mark.slow
def test_once_runs_what_is_due_then_nothing(
    replica: ReplicaServer, newsarchive: Newsarchive, read_archive: ReadArchive, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path}/once.sqlite3"
    registry = str(_registry(replica, tmp_path / "portals.toml"))
    for key in replica.world.portal_keys:
        scheduled = newsarchive(
            "schedule", "set", key, "--every", "6h", "--db", db, "--registry", registry, cwd=tmp_path
        )
        assert scheduled.returncode == 0
    once = ["schedule", "run", "--once", "--db", db, "--registry", registry]
    first = newsarchive(*once, "--tick", "0.5", cwd=tmp_path, env=NO_DELAY)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count("crawl started") == 2 and first.stdout.count("crawl finished") == 2
    # Each crawl's log goes to a file of its own under the default log directory, named where it starts;
    # the scheduler's output is its own lines only (issue 22: every crawl's log was mixed into it).
    named = sorted(line.rsplit("; log ", 1)[1] for line in first.stdout.splitlines() if "; log " in line)
    assert [Path(name).parent for name in named] == [Path("logs")] * 2
    assert sorted(path.name for path in (tmp_path / "logs").iterdir()) == sorted(Path(n).name for n in named)
    for name in named:
        log = (tmp_path / name).read_text(encoding="utf-8")
        assert "articles archived" in log and "[scrapy.core.engine] INFO" in log and "Will assume" not in log
    assert "articles archived" not in first.stdout and "[scrapy" not in first.stdout + first.stderr
    second = newsarchive(*once, cwd=tmp_path, env=NO_DELAY)
    assert (
        second.returncode == 0 and "nothing is due" in second.stdout and "crawl started" not in second.stdout
    )
    with read_archive(db) as session:
        rows = {row.portal_key: row for row in schedules.schedules(session)}
        runs = list(session.scalars(select(CrawlRun)))
    assert len(runs) == 2 and all(run.job_id and run.job_id.startswith("sched-") for run in runs)
    for row in rows.values():
        assert row.last_status == "finished" and row.last_outcome and "reached" in row.last_outcome
        assert row.running_since is None and row.next_run_at > datetime.now(UTC) + timedelta(hours=5)


@pytest.mark.slow
def test_two_schedulers_on_one_archive_crawl_each_portal_once(
    replica: ReplicaServer, newsarchive: Newsarchive, read_archive: ReadArchive, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path}/two.sqlite3"
    registry = str(_registry(replica, tmp_path / "portals.toml"))
    for key in replica.world.portal_keys:
        newsarchive("schedule", "set", key, "--every", "6h", "--db", db, "--registry", registry, cwd=tmp_path)
    command = ["schedule", "run", "--once", "--tick", "0.3", "--db", db, "--registry", registry]
    schedulers = [newsarchive.start(*command, cwd=tmp_path) for _ in range(2)]
    outputs = [process.communicate(timeout=600)[0] for process in schedulers]
    assert all(process.returncode == 0 for process in schedulers), outputs
    assert sum(output.count("crawl started") for output in outputs) == 2
    with read_archive(db) as session:
        runs = list(session.scalars(select(CrawlRun)))
    assert sorted(key for run in runs for key in run.outcomes) == sorted(replica.world.portal_keys)


@pytest.mark.slow
def test_sigterm_stops_starting_and_interrupts_after_the_grace(
    newsarchive: Newsarchive, read_archive: ReadArchive, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path}/term.sqlite3"
    with ReplicaServer(build_world(portals=1, articles=500, seed=43), first_host=150, port=0) as replica:
        registry = str(_registry(replica, tmp_path / "portals.toml"))
        (key,) = replica.world.portal_keys
        newsarchive("schedule", "set", key, "--every", "1d", "--db", db, "--registry", registry, cwd=tmp_path)
        command = ["schedule", "run", "--grace", "1", "--tick", "0.3", "--db", db, "--registry", registry]
        scheduler = newsarchive.start(*command, cwd=tmp_path)
        deadline = time.monotonic() + 120
        while (
            time.monotonic() < deadline
            and len([p for _, p in replica.requested() if p.endswith(".html")]) < 20
        ):
            time.sleep(0.2)
        scheduler.send_signal(signal.SIGTERM)
        output, _ = scheduler.communicate(timeout=120)  # only stops a hung scheduler
    assert scheduler.returncode == 1, output  # the interrupted crawl counts as not finished
    assert "stopping: no new crawls" in output and "grace period over: interrupting" in output
    assert f"{key}: crawl interrupted" in output
    with read_archive(db) as session:
        (run,) = session.scalars(select(CrawlRun))
        row = session.get(Schedule, key)
        archived = session.scalar(select(func.count()).select_from(Article))
    assert run.status == "interrupted" and row is not None and row.last_status == "interrupted"
    # Interrupted after the grace, not awaited to its end: the portal's 500 articles are not all in.
    assert archived is not None and archived < 500, archived


def _shift_history(database: str, days: int) -> None:
    """Move everything the archive holds ``days`` into the past, as if crawled then (a baseline)."""
    engine, factory = open_archive(database)
    shift = timedelta(days=days)
    with factory.begin() as session:
        for table, columns in (
            ("articles", ("first_captured_at", "captured_at")),
            ("captures", ("fetched_at", "last_fetched_at")),
            ("crawl_runs", ("started_at", "finished_at", "heartbeat_at")),
        ):
            for column in columns:
                rows = session.execute(text(f"SELECT id, {column} FROM {table}")).all()
                for row_id, value in rows:
                    if value is not None:
                        when = datetime.fromisoformat(value) if isinstance(value, str) else value
                        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when
                        session.execute(
                            text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),
                            {"value": (when - shift).astimezone(UTC).replace(tzinfo=None), "id": row_id},
                        )
    engine.dispose()


@pytest.mark.slow
def test_health_flags_a_portal_that_stops_answering_and_one_whose_template_changes(
    newsarchive: Newsarchive, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path}/health.sqlite3"
    registry = tmp_path / "portals.toml"
    first, second = build_world(portals=2, articles=1).portal_keys

    def crawl(replica: ReplicaServer, seed: int, *, answering: bool = True, broken: bool = False) -> None:
        """A day's crawl: the portals (same addresses) with seed's articles; the second one silent when
        not ``answering``; the first one's template broken when ``broken``."""
        replica.serve(build_world(portals=2, articles=40, seed=seed))
        replica.silent = set() if answering else {second}
        for server in replica._servers:
            server.site.template_broken = broken
        _registry(replica, registry)
        newsarchive("crawl", "--db", db, "--registry", str(registry), cwd=tmp_path, fast=True)

    def health() -> tuple[int, dict[str, dict[str, object]]]:
        result = CliRunner().invoke(main, ["health", "--db", db, "--json"])
        return result.exit_code, {row["portal"]: row for row in json.loads(result.stdout)}

    # One server for every day, so the portals keep their addresses (a portal's key is its host and port).
    with ReplicaServer(build_world(portals=2, articles=40, seed=51), first_host=152, port=0) as replica:
        crawl(replica, 51)
        status, rows = health()
        assert status == 0, rows  # no history yet, but the crawl archived articles
        _shift_history(db, days=10)  # that crawl becomes the baseline
        crawl(replica, 52)  # new articles, the same portals
        status, rows = health()
        assert status == 0 and {row["level"] for row in rows.values()} == {"ok"}, rows
        _shift_history(db, days=10)
        crawl(replica, 53, answering=False)  # the second portal stops answering
        status, rows = health()
        assert status == 2 and rows[second]["level"] == "error", rows
        assert "unreachable" in str(rows[second]["problems"]), rows[second]
        assert rows[first]["level"] == "ok", rows[first]["problems"]
        crawl(replica, 54, broken=True)  # the first portal's template changes: no article body can be found
    status, rows = health()
    assert rows[first]["level"] == "error" and "extraction failures" in str(rows[first]["problems"])
    figures = rows[first]["figures"]
    assert isinstance(figures, dict)  # --json carries the figures each verdict rests on
    assert figures["recent"]["extraction_failure_rate"] > figures["baseline"]["extraction_failure_rate"]
    table = CliRunner().invoke(main, ["health", "--db", db], terminal_width=160)
    assert table.exit_code == 2 and "baseline" in table.output
    print("\n" + table.output)  # pytest -s: the report on a replica portal that broke, and one that went away
    assert "error" in json.dumps(rows[first])
