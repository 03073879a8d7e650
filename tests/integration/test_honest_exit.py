"""Honest exits: `schedule run --once` exits 1 when a due crawl could not start or failed, and a crawl of
an unreachable portal says so (not "finish reason: finished")."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from crawler.cli.main import main
from tests.demo import write_registry

if TYPE_CHECKING:
    from tests.integration.conftest import Newsarchive


def _closed_port() -> int:
    """A port the OS just gave and took back: nothing listens there."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unreachable_portal(tmp_path: Path, db: str) -> str:
    """Write a registry of one portal nobody answers for, scheduled and due in the archive ``db``;
    return the registry's path."""
    home = f"http://127.0.0.1:{_closed_port()}/"
    registry = write_registry(
        [{"key": "nowhere", "name": "Báo Không Đâu", "home_url": home}], tmp_path / "portals.toml"
    )
    scheduled = CliRunner().invoke(
        main, ["schedule", "set", "nowhere", "--every", "1d", "--db", db, "--registry", str(registry)]
    )
    assert scheduled.exit_code == 0, scheduled.output
    return str(registry)


def test_once_exits_1_when_a_due_crawl_could_not_be_started(postgres_url: str, tmp_path: Path) -> None:
    db = postgres_url  # Scrapyd nodes need a shared archive
    registry = _unreachable_portal(tmp_path, db)
    node = f"http://127.0.0.1:{_closed_port()}"  # a Scrapyd node that is down
    result = CliRunner().invoke(
        main, ["schedule", "run", "--once", "--scrapyd", node, "--db", db, "--registry", registry]
    )
    assert "nowhere: could not be started" in result.output
    assert result.exit_code == 1, result.output


@pytest.mark.slow
def test_an_unreachable_portal_fails_its_crawl_and_the_once_scheduler_says_why(
    newsarchive: Newsarchive, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path}/archive.sqlite3"
    registry = _unreachable_portal(tmp_path, db)
    crawl = newsarchive("crawl", "nowhere", "--db", db, "--registry", registry, cwd=tmp_path, fast=True)
    assert crawl.returncode == 1
    (error,) = [line for line in crawl.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith("error: crawl failed: portal nowhere unreachable (")
    assert "Connection" in error and "finish reason" not in error
    assert "Traceback" not in crawl.stderr

    once = newsarchive("schedule", "run", "--once", "--db", db, "--registry", registry, cwd=tmp_path)
    assert once.returncode == 1, once.stdout + once.stderr
    assert "nowhere: crawl failed" in once.stdout
