"""Archivist commands (export, search, show, runs) on SQLite and PostgreSQL archives, via click's runner."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from storage.cli.common import db_option
from tests.unit.archive_sample import T0, Sample, invoke


def _jsonl(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


# --- export ---------------------------------------------------------------------------------------


def test_export_jsonl_default_is_archived_only(sample: Sample) -> None:
    result = invoke("export", "--db", sample.url, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    rows = _jsonl(result.stdout)
    assert {row["id"] for row in rows} == {sample.ids["origin"], sample.ids["copy"], sample.ids["blossom"]}
    origin = next(row for row in rows if row["id"] == sample.ids["origin"])
    assert list(origin)[:21] == [
        "id", "url", "canonical_url", "portal", "title", "sapo", "published_at", "updated_at", "author",
        "text", "language", "language_confidence", "status", "reason", "content_hash", "cluster_id",
        "duplicate_of", "captured_at", "version", "categories", "tags",
    ]  # fmt: skip
    assert origin["portal"] == "baohoabinh"
    assert origin["published_at"] == "2024-03-01T08:30:00+07:00"
    assert datetime.fromisoformat(str(origin["published_at"])) == T0
    assert origin["categories"] == ["Thời sự", "Kinh tế"]
    assert "Hòa Bình" in result.stdout  # not ASCII-escaped


def test_export_all_adds_other_statuses_and_failed_captures(sample: Sample) -> None:
    result = invoke("export", "--db", sample.url, "--format", "jsonl", "--all")
    assert result.exit_code == 0, result.output
    rows = _jsonl(result.stdout)
    statuses = {str(row["status"]) for row in rows}
    assert statuses == {"archived", "duplicate", "off_language", "extraction_failed"}
    failed = next(row for row in rows if row["status"] == "extraction_failed")
    assert failed["id"] is None and failed["capture_id"] == sample.ids["failed_capture"]
    assert failed["reason"] == "no text extracted"
    assert failed["url"] == "https://baohoabinh.example/broken.htm" and failed["portal"] == "baohoabinh"


def test_export_csv_and_output_file(sample: Sample, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "out.csv"
    result = invoke("export", "--db", sample.url, "--format", "csv", "--all", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid,url,")  # Excel reads UTF-8 only after a BOM
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 6
    origin = next(row for row in rows if row["id"] == str(sample.ids["origin"]))
    assert origin["categories"] == "Thời sự; Kinh tế"
    assert origin["published_at"] == "2024-03-01T08:30:00+07:00"
    assert "extraction_failed" in {row["status"] for row in rows}
    assert [p.name for p in target.parent.iterdir()] == ["out.csv"]  # no temporary file left behind


def test_export_filters_by_vietnam_day_and_portal(sample: Sample) -> None:
    result = invoke("export", "--db", sample.url, "--since", "29/02/2024", "--until", "2024-02-29")
    assert result.exit_code == 0, result.output
    assert [row["id"] for row in _jsonl(result.stdout)] == [sample.ids["blossom"]]
    result = invoke("export", "--db", sample.url, "--portal", "baolaocai", "--since", "2024-03-01")
    assert [row["id"] for row in _jsonl(result.stdout)] == [sample.ids["copy"]]


def test_bad_dates(sample: Sample) -> None:
    result = invoke("export", "--db", sample.url, "--since", "31/02/2024")
    assert result.exit_code == 2 and "not a real date" in result.output
    result = invoke("search", "cầu", "--db", sample.url, "--until", "yesterday")
    assert result.exit_code == 2 and "YYYY-MM-DD or DD/MM/YYYY" in result.output
    result = invoke("export", "--db", sample.url, "--since", "01/03/2025", "--until", "2025-01-01")
    assert result.exit_code == 2, result.output
    assert result.stderr == "error: --since 01/03/2025 is after --until 01/01/2025\n"  # was 2025-03-01


@pytest.mark.parametrize(
    "command",
    [
        ["search", "cầu", "--until", "9999-12-31"],  # the day after it overflowed: a traceback
        ["export", "--until", "31/12/9999"],
        ["search", "cầu", "--since", "0001-01-01"],  # the database refused it: exit 1, "query failed"
        ["export", "--since", "01/01/1899"],
    ],
)
def test_a_day_outside_the_archive_years_is_a_usage_error(sample: Sample, command: list[str]) -> None:
    result = invoke(*command, "--db", sample.url)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    [line] = result.stderr.splitlines()
    assert line.startswith("error: Invalid value for '--") and "is outside the years 1900-2200" in line


@pytest.mark.parametrize(
    "command",
    [
        ["export", "--portal", "nope"],
        ["export", "--format", "warc", "--portal", "nope"],
        ["search", "cầu", "--portal", "baohoabinh", "--portal", "nope"],
        ["runs", "--portal", "nope"],
        ["health", "baohoabinh", "nope"],
    ],
)
def test_an_unknown_portal_is_a_usage_error_of_one_line(sample: Sample, command: list[str]) -> None:
    result = invoke(*command, "--db", sample.url)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == ["error: unknown portal 'nope' (known: baohoabinh, baolaocai)"]
    assert result.stdout == ""


# --- search ---------------------------------------------------------------------------------------


def _search_ids(sample: Sample, *args: str) -> list[int]:
    result = invoke("search", *args, "--db", sample.url, "--json")
    assert result.exit_code == 0, result.output
    return [hit["id"] for hit in json.loads(result.stdout)]


def test_search_accented_words(sample: Sample) -> None:
    assert set(_search_ids(sample, "hòa bình")) == {sample.ids["origin"], sample.ids["copy"]}
    assert _search_ids(sample, "Hoa đào") == [sample.ids["blossom"]]
    assert _search_ids(sample, "khỏe") == [sample.ids["blossom"]]  # old-style "khoẻ" in the text
    result = invoke("search", "sông đà", "--db", sample.url, "--json")
    hits = json.loads(result.stdout)
    assert set(hits[0]) == {
        "id", "url", "portal", "portal_name", "title", "published_at", "snippet", "score", "title_highlights",
        "snippet_highlights",
    }  # fmt: skip
    snippet = hits[0]["snippet"]
    marked = [snippet[start:end] for start, end in hits[0]["snippet_highlights"]]
    assert set(marked) == {"sông", "Đà"}  # original case and diacritics, not the folded index form
    assert hits[0]["published_at"].endswith("+07:00") and hits[0]["portal_name"].startswith("Báo ")


def test_search_without_diacritics(sample: Sample) -> None:
    assert set(_search_ids(sample, "hoa binh")) == {sample.ids["origin"], sample.ids["copy"]}
    assert set(_search_ids(sample, "song da")) == {sample.ids["origin"], sample.ids["copy"]}  # d finds đ
    assert _search_ids(sample, "hòa") != []


def test_search_status_portal_and_dates(sample: Sample) -> None:
    assert _search_ids(sample, "lúa gạo") == []
    assert _search_ids(sample, "lúa gạo", "--all") == [sample.ids["duplicate"]]
    assert _search_ids(sample, "hòa bình", "--portal", "baolaocai") == [sample.ids["copy"]]
    assert set(_search_ids(sample, "cầu", "--since", "2024-03-01")) == {
        sample.ids["origin"],
        sample.ids["copy"],
    }
    assert _search_ids(sample, "cầu", "--until", "2024-02-29") == []
    assert _search_ids(sample, "đào", "--until", "28/02/2024") == []
    assert _search_ids(sample, "đào", "--since", "29/02/2024", "--until", "29/02/2024") == [
        sample.ids["blossom"]
    ]
    assert len(_search_ids(sample, "hòa bình", "--limit", "1")) == 1


@pytest.mark.parametrize("query", ["AND (", 'cầu" OR', "NEAR(", "hòa*", "^đà", "a:b", "OR cầu OR", "cầu -"])
def test_hostile_queries_do_not_crash(sample: Sample, query: str) -> None:
    result = invoke("search", query, "--db", sample.url)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("query", ['"', "*", "-", "''", "-cầu", '-"sông đà"', "OR"])
def test_queries_without_words_are_one_line_errors(sample: Sample, query: str) -> None:
    result = invoke("search", "--db", sample.url, "--", query)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("error: the query")


def test_search_table_output(sample: Sample) -> None:
    result = invoke("search", "đào", "--db", sample.url)
    assert result.exit_code == 0, result.output
    header, rule, row = result.stdout.splitlines()
    assert header.split() == ["id", "published", "portal", "title", "snippet"]
    assert "29/02/2024 01:00 (GMT+7)" in row and "baolaocai" in row and "[đào]" in row
    result = invoke("search", "khôngcó", "--db", sample.url)
    assert result.exit_code == 0 and result.stdout == "" and "no matches" in result.stderr


# --- show -----------------------------------------------------------------------------------------


def test_show_by_id_lists_provenance(sample: Sample) -> None:
    result = invoke("show", str(sample.ids["origin"]), "--db", sample.url)
    assert result.exit_code == 0, result.output
    out = result.stdout
    # Dates for people (issue 22): dd/mm/yyyy HH:MM (GMT+7); the raw date the page wrote is quoted beside.
    assert "baohoabinh" in out and "published:     01/03/2024 08:30 (GMT+7)  (raw '01/03/2024 08:30'" in out
    assert "+00:00" not in out and "+07:00" not in out
    assert "time zone assumed" in out and "Minh Anh" in out
    assert "v1" in out and "v2" in out
    assert f"#{sample.ids['capture1']}" in out and "HTTP 200" in out and "via sitemap" in out
    assert (
        "this article is the origin" in out and "https://baolaocai.example/hoa-binh-khoi-cong-cau.htm" in out
    )
    assert out.rstrip().endswith("Cầu dài 300 mét.")


@pytest.mark.parametrize(
    "address",
    [
        "https://baohoabinh.example/khoi-cong-cau.htm#binh-luan",  # a browser's #fragment
        "https://baohoabinh.example/khoi-cong-cau.htm?utm_source=zalo",  # a shared link
        "HTTPS://www.baohoabinh.example/khoi-cong-cau.htm",
        "http://baohoabinh.example/khoi-cong-cau.htm",
    ],
)
def test_show_and_cite_find_a_url_as_the_crawl_stored_it(sample: Sample, address: str) -> None:
    # Each was "no article with id or URL ...": only the exact stored strings were looked up.
    shown = invoke("show", address, "--db", sample.url, "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["id"] == sample.ids["origin"]
    assert invoke("cite", address, "--db", sample.url).exit_code == 0


def test_show_by_url_json(sample: Sample) -> None:
    for key in ("https://baolaocai.example/hoa-binh-khoi-cong-cau.htm?utm=x",
                "https://baolaocai.example/hoa-binh-khoi-cong-cau.htm"):  # fmt: skip
        result = invoke("show", key, "--db", sample.url, "--json")
        assert result.exit_code == 0, result.output
        details = json.loads(result.stdout)
        assert details["id"] == sample.ids["copy"]
        assert details["cluster"]["is_origin"] is False
        assert details["cluster"]["others"] == [
            {
                "id": sample.ids["origin"],
                "portal": "baohoabinh",
                "url": "https://baohoabinh.example/khoi-cong-cau.htm?utm=x",
                "published_at": "2024-03-01T08:30:00+07:00",
                "origin": True,
            }
        ]
    result = invoke("show", str(sample.ids["origin"]), "--db", sample.url, "--json")
    details = json.loads(result.stdout)
    assert [v["version"] for v in details["versions"]] == [1, 2]
    assert len(details["captures"]) == 2 and details["captures"][0]["id"] == sample.ids["capture1"]
    result = invoke("show", str(sample.ids["duplicate"]), "--db", sample.url, "--json")
    assert json.loads(result.stdout)["duplicate_of"] == sample.ids["origin"]


def test_show_unknown_is_one_line_error(sample: Sample) -> None:
    result = invoke("show", "999999", "--db", sample.url)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["error: no article with id or URL '999999'"]
    result = invoke("show", "https://baohoabinh.example/broken.htm", "--db", sample.url)
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1 and "extraction_failed (no text extracted)" in result.stderr


@pytest.mark.parametrize("command", [["export"], ["search", "cầu"]])
@pytest.mark.parametrize("option", ["--author", "--category"])
def test_an_overlong_author_or_category_is_a_usage_error(
    sample: Sample, command: list[str], option: str
) -> None:
    # 100,000 characters: SQLite refused the LIKE pattern, "error: archive query failed" with exit 1.
    result = invoke(*command, option, "đ" * 100_000, "--db", sample.url)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {option} has 100,000 characters; at most 200 are matched\n"


# --- runs -----------------------------------------------------------------------------------------


def test_runs_limit_too_large_is_a_usage_error(sample: Sample) -> None:
    # 20 digits: past SQLite's INTEGER, it was an OverflowError traceback from the query.
    result = invoke("runs", "--limit", "99999999999999999999", "--db", sample.url)
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("error: Invalid value for '--limit'") and "2147483647" in line
    result = invoke("runs", "--limit", "2147483647", "--db", sample.url, "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) >= 1


def test_runs_lists_stats(sample: Sample) -> None:
    result = invoke("runs", "--db", sample.url, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    header, _rule, row = result.stdout.splitlines()
    assert header.split()[:5] == ["id", "started_at", "finished_at", "status", "portals"]
    for value in ("321", "42", "7", "300.2", "finished", "baohoabinh, baolaocai"):
        assert value in row
    result = invoke("runs", "--db", sample.url, "--json")
    (run,) = json.loads(result.stdout)
    assert run["pages"] == 321 and run["stored"] == 42 and run["failed"] == 3 and run["off_language"] == 1
    result = invoke("runs", "--db", sample.url, "--csv")
    assert result.stdout.splitlines()[0].startswith("\ufeffid,started_at,finished_at,status,portals,pages")
    result = invoke("runs", "--db", sample.url, "--csv", "--no-bom")
    assert result.stdout.splitlines()[0].startswith("id,started_at,finished_at,status,portals,pages")
    result = invoke("runs", "--db", sample.url, "--jsonl")
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [sample.ids["run"]]


# --- unavailable archives and help ----------------------------------------------------------------


@pytest.mark.parametrize("command", [["export"], ["search", "cầu"], ["show", "1"], ["runs"], ["health"]])
def test_missing_archive_is_one_line_error(command: list[str], tmp_path: Path) -> None:
    for url in ("sqlite:////nonexistent/dir/x.sqlite3", f"sqlite:///{tmp_path}/absent.sqlite3"):
        result = invoke(*command, "--db", url)
        assert result.exit_code == 1
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("error: ")
    assert not (tmp_path / "absent.sqlite3").exists()
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    result = invoke(*command, "--db", f"sqlite:///{empty}")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no archive at") and len(result.stderr.splitlines()) == 1


def test_db_defaults_to_environment(sample: Sample, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVE_DATABASE_URL", sample.url)
    result = invoke("runs", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["id"] == sample.ids["run"]


def test_db_option_is_reusable() -> None:
    @click.command()
    @db_option
    def probe(db: str | None) -> None:
        click.echo(repr(db))

    assert CliRunner().invoke(probe, []).stdout.strip() == "None"
    assert CliRunner().invoke(probe, ["--db", "sqlite:///x"]).stdout.strip() == "'sqlite:///x'"


@pytest.mark.parametrize("name", ["export", "search", "show", "runs", "cite"])
def test_every_command_has_help_with_example(name: str) -> None:
    result = invoke(name, "--help")
    assert result.exit_code == 0, result.output
    assert "Example:" in result.stdout and f"newsarchive {name}" in result.stdout
    assert "--db DBURL" in result.stdout
