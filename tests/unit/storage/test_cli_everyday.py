"""The archivists' commands as used every day (issue 22): queries as the shell splits them, filters with
optional accents, dates people read in tables and ISO 8601 in JSON/CSV, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import pytest

from storage.db import open_archive
from tests.unit.archive_sample import Sample, invoke, overwrite_article


def _ids(sample: Sample, *args: str) -> list[int]:
    result = invoke("search", "--db", sample.url, "--json", *args)
    assert result.exit_code == 0, result.output
    return sorted(hit["id"] for hit in json.loads(result.stdout))


def _export_ids(sample: Sample, *args: str) -> list[int]:
    result = invoke("export", "--db", sample.url, "--format", "jsonl", *args)
    assert result.exit_code == 0, result.output
    return sorted(json.loads(line)["id"] for line in result.stdout.splitlines())


def test_a_query_split_by_the_shell_is_one_query(sample: Sample) -> None:
    # README and docs/search.md: a query starting with - goes after --, its words unquoted.
    both = sorted([sample.ids["origin"], sample.ids["copy"]])
    assert _ids(sample, "--", "-đào", "hòa", "bình") == both
    assert _ids(sample, "--", "-đào hòa bình") == both
    assert _ids(sample, "hòa", "bình", "--portal", "baolaocai") == [sample.ids["copy"]]
    result = invoke("search", "--db", sample.url)
    assert result.exit_code == 2 and result.stderr.startswith("error: Missing argument 'QUERY")


def test_author_filter_accents_optional(sample: Sample) -> None:
    overwrite_article(sample, "blossom", author="Nguyễn Văn Đức")
    blossom = [sample.ids["blossom"]]
    assert _ids(sample, "đào", "--author", "Đức") == blossom
    assert _ids(sample, "đào", "--author", "duc") == blossom  # issue 22: found nothing before
    assert _ids(sample, "đào", "--author", "NGUYEN VAN") == blossom
    assert _ids(sample, "đào", "--author", "đức") == blossom  # case-insensitive beyond ASCII too
    assert _ids(sample, "đào", "--author", "Đục") == []  # typed accents: that spelling only
    assert _ids(sample, "đào", "--author", "d_c") == []  # LIKE wildcards are plain characters
    assert _export_ids(sample, "--author", "van duc") == blossom


def test_category_filter_accents_optional(sample: Sample) -> None:
    origin = [sample.ids["origin"]]
    assert _export_ids(sample, "--category", "Thời sự") == origin
    assert _export_ids(sample, "--category", "thoi su") == origin
    assert _export_ids(sample, "--category", "THỜI SỰ") == origin
    assert _export_ids(sample, "--category", "Thời sứ") == []
    assert _export_ids(sample, "--category", "thoi") == []  # a category is matched whole


def test_tables_print_dates_for_people_json_and_csv_keep_iso(sample: Sample) -> None:
    table = invoke("runs", "--db", sample.url, env={"COLUMNS": "250"})
    assert table.exit_code == 0, table.output
    row = table.stdout.splitlines()[2]
    assert "01/03/2024 08:30 (GMT+7)" in row and "01/03/2024 08:35 (GMT+7)" in row
    (run,) = json.loads(invoke("runs", "--db", sample.url, "--json").stdout)
    assert run["started_at"] == "2024-03-01T08:30:00+07:00"
    csv_text = invoke("runs", "--db", sample.url, "--csv").stdout
    assert "2024-03-01T08:30:00+07:00" in csv_text and "GMT" not in csv_text
    shown = invoke("runs", "show", str(sample.ids["run"]), "--db", sample.url).stdout
    started = next(line for line in shown.splitlines() if line.startswith("started"))
    assert started.endswith("01/03/2024 08:30 (GMT+7)")
    search = invoke("search", "đào", "--db", sample.url, "--csv").stdout
    assert "2024-02-29T01:00:00+07:00" in search and "GMT" not in search


def test_health_json_times_are_in_vietnam_time(sample: Sample) -> None:
    result = invoke("health", "--db", sample.url, "--json")
    assert result.exit_code in (0, 1, 2), result.output
    figures = [portal["figures"] for portal in json.loads(result.stdout)]
    assert {f["last_run"]["finished_at"] for f in figures} == {"2024-03-01T08:35:00+07:00"}  # was +00:00
    assert "+00:00" not in result.stdout


def test_health_of_an_unknown_portal_is_a_usage_error_naming_the_known(sample: Sample) -> None:
    result = invoke("health", "nosuch", "--db", sample.url)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == "error: unknown portal 'nosuch' (known: baohoabinh, baolaocai)\n"


def test_serve_reports_a_busy_port_before_anything_else(sample: Sample) -> None:
    from click.testing import CliRunner

    from storage.cli.serve import listening_socket, serve_command

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = CliRunner().invoke(serve_command, ["--db", sample.url, "--port", str(port)])
    assert result.exit_code == 3 and result.stdout == ""
    assert result.stderr == (
        f"error: cannot listen on 127.0.0.1:{port}: address already in use; another server holds it: "
        "choose another --port\n"
    )  # before: "serving the archive at ..." first, then uvicorn's ERROR line
    with listening_socket("127.0.0.1", 0) as free:
        assert free.getsockname()[1] > 0


def test_opening_an_archive_logs_nothing_at_info(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Alembic's "Will assume non-transactional DDL." came five times into a crawl's INFO log.
    caplog.set_level(logging.INFO)
    url = f"sqlite:///{tmp_path}/new.sqlite3"
    for create in (True, False):
        engine, _ = open_archive(url, create=create)
        engine.dispose()
    assert [record.getMessage() for record in caplog.records if record.name.startswith("alembic")] == []


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--late-hours", "nan", "'nan' is not a number"),  # tracebacks from timedelta, these three
        ("--late-hours", "inf", "inf is not in the range 0<=x<=8784"),
        ("--late-hours", "1e300", "is not in the range 0<=x<=8784"),
        ("--drop-warning", "-5", "-5.0 is not in the range 0<=x<=1"),  # never warned, silently
        ("--off-language", "nan", "'nan' is not a number"),
        ("--min-baseline", "-1", "-1 is not in the range x>=0"),
    ],
)
def test_health_thresholds_out_of_range_are_usage_errors(
    sample: Sample, option: str, value: str, message: str
) -> None:
    result = invoke("health", option, value, "--db", sample.url)
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: Invalid value for '{option}'") and message in line, line
    assert result.stdout == ""
