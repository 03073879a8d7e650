"""Archivist commands facing bad arguments and hostile archived text: one-line errors, inert output."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from storage.cli.output import Column, format_table
from storage.db import make_engine
from storage.safe_text import csv_safe, terminal_safe
from storage.search.snippets import Highlighted
from tests.unit.archive_sample import Sample, invoke, overwrite_article

HOSTILE_SAPO = "Tin \x1b[2J\x1b]0;pwned\x07 \x1b]8;;https://evil.example\x1b\\bấm\x1b]8;;\x1b\\ \u202eabc"


def _sqlite_file(sample: Sample) -> Path:
    return Path(sample.url.removeprefix("sqlite:///"))


def _one_line_error(result: object, code: int = 2) -> str:
    assert result.exit_code == code, result.output  # type: ignore[attr-defined]
    lines = result.stderr.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "Traceback" not in result.output  # type: ignore[attr-defined]
    return str(lines[0])


@pytest.mark.parametrize(
    "args",
    [
        ["show", "99999999999999999999"],
        ["show", "²"],
        ["show", "١٢"],
        ["show", "not-an-id"],
        ["cite", "99999999999999999999"],
        ["show", "1", "--version", "0"],
        ["show", "1", "--diff", "1"],
        ["search", "cầu", "--limit", "0"],
        ["search", "cầu", "--page", "-1"],
        ["search", "cầu", "--since", "2024-03-02", "--until", "2024-03-01"],
        ["search", "cầu", "--status", "bogus"],
        ["export", "--format", "pdf"],
        ["cite", "1", "--style", "apa"],
    ],
)
def test_bad_arguments_are_one_line_exit_2(sample: Sample, args: list[str]) -> None:
    _one_line_error(invoke(*args[:2], "--db", sample.url, *args[2:]))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "cầu", "--json", "--csv"], "error: --json and --csv conflict"),
        (["search", "cầu", "--csv", "--table", "--jsonl"], "error: --table, --jsonl and --csv conflict"),
        (["runs", "--jsonl", "--json"], "error: --json and --jsonl conflict"),
        (["health", "--csv", "--table"], "error: --table and --csv conflict"),
        (["show", "1", "--json", "--raw"], "error: --json and --raw conflict"),
        (["show", "1", "--diff", "1", "2", "--json"], "error: --json and --diff conflict"),
    ],
)
def test_conflicting_output_options_are_refused(sample: Sample, args: list[str], message: str) -> None:
    line = _one_line_error(invoke(*args, "--db", sample.url))
    assert line.startswith(message), line


@pytest.mark.parametrize("url", ["foo://bar", "mysql://u@h/db", "::::", "sqlite+bogus:///x"])
@pytest.mark.parametrize("command", [["search", "cầu"], ["show", "1"], ["export"], ["runs"], ["cite", "1"]])
def test_bad_database_urls(command: list[str], url: str) -> None:
    _one_line_error(invoke(*command, "--db", url))


def test_export_refuses_symlinks_and_devices(sample: Sample, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "out.jsonl"
    link.symlink_to(victim)
    message = _one_line_error(invoke("export", "--db", sample.url, "-o", str(link)))
    assert "symbolic link" in message and victim.read_text() == "keep me" and link.is_symlink()
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "nowhere")
    _one_line_error(invoke("export", "--db", sample.url, "--format", "csv", "-o", str(dangling)))
    assert not (tmp_path / "nowhere").exists()
    _one_line_error(invoke("export", "--db", sample.url, "-o", os.devnull))
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    _one_line_error(invoke("export", "--db", sample.url, "-o", str(fifo)))
    _one_line_error(invoke("show", "1", "--db", sample.url, "--raw", "-o", str(link)))
    _one_line_error(invoke("export", "--db", sample.url, "--format", "warc", "-o", str(link)))
    # a regular file is still replaced atomically
    target = tmp_path / "plain.jsonl"
    target.write_text("old")
    assert invoke("export", "--db", sample.url, "-o", str(target)).exit_code == 0
    assert (
        target.read_text().startswith("{")
        and sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    )


def test_read_only_archive_file(sample: Sample, tmp_path: Path) -> None:
    if not sample.url.startswith("sqlite"):
        pytest.skip("a read-only file is a SQLite matter; PostgreSQL sessions are read-only anyway")
    path = _sqlite_file(sample)
    engine = create_engine(sample.url)
    with engine.connect() as connection:  # checkpoint, so the file alone holds everything
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        for args in (["search", "cầu"], ["show", "1"], ["export"], ["runs"], ["cite", "1"]):
            result = invoke(*args, "--db", sample.url)
            assert result.exit_code == 0, (args, result.output)
        health = invoke("health", "--json", "--db", sample.url)  # exit 0, 1 or 2 by verdict
        assert {report["portal"] for report in json.loads(health.stdout)} == {"baohoabinh", "baolaocai"}
        assert health.stderr == ""
        assert path.read_bytes() == before
    finally:
        path.chmod(0o644)


def test_read_only_engines_cannot_write(sample: Sample) -> None:
    engine = make_engine(sample.url, read_only=True)
    try:
        with engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM articles")).scalar()
        with pytest.raises(Exception, match="(?i)read.?only|readonly"), engine.begin() as connection:
            connection.execute(text("DELETE FROM articles"))
    finally:
        engine.dispose()


def test_read_only_sqlite_uses_immutable_without_a_writable_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.sqlite3").write_bytes(b"")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == tmp_path else real_access(p, mode))
    engine = make_engine(f"sqlite:///{tmp_path}/a.sqlite3", read_only=True)
    assert "immutable=1" in str(engine.url)
    engine.dispose()


@pytest.fixture
def hostile(sample: Sample) -> Sample:
    overwrite_article(
        sample, "blossom", sapo=HOSTILE_SAPO, canonical_url="https://x.example/\x1b[2Ja",
        title="=HYPERLINK(\"http://evil\")",
    )  # fmt: skip
    return sample


def _inert(output: str) -> None:
    assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output


def test_escape_sequences_never_reach_the_terminal(hostile: Sample) -> None:
    blossom = str(hostile.ids["blossom"])
    result = invoke("show", blossom, "--db", hostile.url)
    assert result.exit_code == 0 and "\\x1b[2J" in result.stdout
    _inert(result.stdout)
    for args in (["search", "đào"], ["search", "tin", "--json"], ["search", "tin", "--jsonl"], ["runs"]):
        result = invoke(*args, "--db", hostile.url)
        assert result.exit_code == 0, result.output
        _inert(result.stdout)
    result = invoke("show", blossom, "--db", hostile.url, "--json")
    _inert(result.stdout)
    assert json.loads(result.stdout)["sapo"] == HOSTILE_SAPO  # escaped for the terminal, same JSON value
    result = invoke("export", "--db", hostile.url)
    assert [json.loads(line)["sapo"] for line in result.stdout.splitlines() if "Tin" in line] == [
        HOSTILE_SAPO
    ]


def test_csv_formula_cells_are_neutralised(hostile: Sample) -> None:
    for args in (["export", "--format", "csv"], ["search", "đào", "--csv"]):
        result = invoke(*args, "--db", hostile.url)
        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader(io.StringIO(result.stdout.removeprefix("\ufeff"))))
        titles = [row["title"] for row in rows if "HYPERLINK" in row["title"]]
        assert titles == ['\'=HYPERLINK("http://evil")'], args
    for cell in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert csv_safe(cell) == "'" + cell
    assert csv_safe(-1) == -1 and csv_safe("a=b") == "a=b" and csv_safe(["=a", "b"]) == "'=a; b"


def test_terminal_safe_and_table_width() -> None:
    assert terminal_safe("a\x1b[31mb\nc\x9bd") == "a\\x1b[31mb\nc\\x9bd"
    assert terminal_safe("a\nb", multiline=False) == "a\\x0ab"
    rows = [[1, "Tiêu đề rất dài về hội nghị tổng kết công tác năm 2024 của tỉnh", "x" * 200]]
    columns = [Column("id"), Column("title", flexible=True), Column("snippet", flexible=True)]
    for width in (40, 80, 160):
        table = format_table(columns, rows, width=width)
        assert max(len(line) for line in table.splitlines()) <= width
    marked = Highlighted((("trước ", False), ("cồn", True), (" sau", False)))
    assert "[cồn]" in format_table([Column("s")], [[marked]], width=80)
    assert "\x1b[1mcồn\x1b[0m" in format_table([Column("s")], [[marked]], width=80, bold=True)


def test_export_to_a_terminal_is_escaped(hostile: Sample, monkeypatch: pytest.MonkeyPatch) -> None:
    from storage.cli import export

    monkeypatch.setattr(export, "_stdout_is_terminal", lambda: True)
    result = invoke("export", "--db", hostile.url, "--format", "csv")
    _inert(result.stdout)
    assert "\\x1b" in result.stdout
