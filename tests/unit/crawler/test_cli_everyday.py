"""The operators' commands as used every day (issue 22): dates as search takes them, one zone."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from crawler.cli.main import main
from crawler.ops import run as run_module
from storage.timezone import local_iso


@pytest.fixture
def crawls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record the spider arguments of each crawl the command would start, without crawling."""
    started: list[dict[str, Any]] = []

    def fake_run_crawl(settings: Any, arguments: dict[str, Any]) -> SimpleNamespace:
        started.append(arguments)
        return SimpleNamespace(stats={}, portals=[], elapsed=0.0, exit_status=0, status="finished")

    monkeypatch.setattr(run_module, "run_crawl", fake_run_crawl)
    monkeypatch.setattr(run_module, "crawl_summary", lambda *args: "summary")
    return started


@pytest.mark.parametrize("written", ["01/03/2024", "2024-03-01", "1/3/2024"])
def test_crawl_since_as_search_takes(crawls: list[dict[str, Any]], tmp_path: Path, written: str) -> None:
    result = CliRunner().invoke(
        main, ["crawl", "ninhthuan", "--since", written, "--db", f"sqlite:///{tmp_path}/a.sqlite3"]
    )
    assert result.exit_code == 0, result.output
    assert [crawl["since"] for crawl in crawls] == ["2024-03-01"]


def test_crawl_since_not_a_date_is_one_line(crawls: list[dict[str, Any]], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["crawl", "ninhthuan", "--since", "31/02/2024", "--db", f"sqlite:///{tmp_path}/a.sqlite3"]
    )
    assert result.exit_code == 2 and crawls == []
    assert result.stderr.startswith("error: Invalid value for '--since': '31/02/2024' is not a real date")


def test_reextract_since_takes_day_first_dates(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/a.sqlite3"
    assert CliRunner().invoke(main, ["migrate", "--db", db]).exit_code == 0
    result = CliRunner().invoke(main, ["reextract", "--since", "29/02/2024", "--db", db, "--workers", "1"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["reextract", "--since", "30/02/2024", "--db", db])
    assert result.exit_code == 2 and "'30/02/2024' is not a real date" in result.stderr


def test_the_scheduler_log_is_in_vietnam_time(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/a.sqlite3"
    assert CliRunner().invoke(main, ["migrate", "--db", db]).exit_code == 0
    result = CliRunner().invoke(main, ["schedule", "run", "--once", "--db", db])  # nothing is due
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines and all(line[:25].endswith("+07:00") for line in lines), lines  # was the host's +00:00
    result = CliRunner().invoke(main, ["schedule", "set", "ninhthuan", "--every", "6h", "--db", db])
    assert result.exit_code == 0 and "(GMT+7)" in result.stdout, result.output
    table = CliRunner().invoke(main, ["schedule", "list", "--db", db], env={"COLUMNS": "200"})
    assert "(GMT+7)" in table.stdout.splitlines()[2]
    (row,) = json_rows(CliRunner().invoke(main, ["schedule", "list", "--json", "--db", db]).stdout)
    assert row["next_run"].endswith("+07:00")


def json_rows(text: str) -> list[dict[str, Any]]:
    import json

    return list(json.loads(text))


@pytest.mark.parametrize("written", ["01/03/2024", "2024-03-01", " 1/3/2024 "])
def test_the_spiders_since_takes_what_search_takes(written: str) -> None:
    # `scrapy crawl portal -a since=...` as `newsarchive crawl --since ...`
    from crawler.spiders.bounds import backfill_start

    assert local_iso(backfill_start(written)) == "2024-03-01T00:00:00+07:00"
    with pytest.raises(ValueError, match="is not a real date"):
        backfill_start("31/02/2024")


def test_the_schedulers_warnings_are_stamped_in_vietnam_time() -> None:
    import logging

    from crawler.cli.schedule import _VietnamTimeFormatter

    record = logging.LogRecord("crawler.ops.scheduling", logging.WARNING, __file__, 1, "late", None, None)
    record.created = 1709256600.5  # 01:30 UTC on 1 March 2024
    line = _VietnamTimeFormatter("%(asctime)s %(message)s").format(record)
    assert line == "2024-03-01T08:30:00+07:00 late"


def test_scrapys_log_lines_are_stamped_in_vietnam_time_with_the_offset() -> None:
    import logging

    from crawler import settings

    record = logging.LogRecord("scrapy.core.engine", logging.INFO, __file__, 1, "Spider opened", None, None)
    record.created = 1709256600.5  # 01:30 UTC on 1 March 2024
    formatter = logging.Formatter("%(asctime)s %(message)s", settings.LOG_DATEFORMAT)
    assert formatter.format(record) == "2024-03-01 08:30:00+0700 Spider opened"  # was the host's 01:30:00
