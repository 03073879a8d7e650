"""The `newsarchive` command: one group holding every command once, help everywhere, usage errors in
one line; extract, lang, migrate and crawl."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import shlex
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import crawler.cli
import storage.cli
from crawler.cli.main import COMMANDS, main
from crawler.ops.run import crawl_summary
from crawler.portals import load_registry
from tests.unit.pipelines.test_pipelines import PARAGRAPHS, article_html


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found.extend(_commands(command, (*prefix, name)))
    return found


def _defined_commands() -> list[tuple[str, click.Command]]:
    """Every command object the CLI packages define at module level, with its module."""
    found = []
    for package in (crawler.cli, storage.cli):
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            for value in vars(importlib.import_module(info.name)).values():
                defined_here = getattr(getattr(value, "callback", None), "__module__", "") == info.name
                if isinstance(value, click.Command) and defined_here and value is not main:
                    found.append((info.name, value))
    return found


def _reachable(group: click.Group) -> list[click.Command]:
    found: list[click.Command] = []
    for command in group.commands.values():
        found.append(command)
        if isinstance(command, click.Group):
            found.extend(_reachable(command))
    return found


def test_every_command_defined_is_registered_once() -> None:
    assert len(COMMANDS) == len({id(command) for command in COMMANDS}) == len(main.commands)
    reachable = _reachable(main)
    defined = _defined_commands()
    assert len(defined) >= len(reachable) > len(COMMANDS)
    for module, command in defined:
        assert command in reachable, f"{module}: {command.name} is not a `newsarchive` command"


def test_contract_commands_exist() -> None:
    names = {path[0] for path in _commands(main)}
    assert {"crawl", "export", "search", "show", "extract", "lang", "runs", "reextract", "eval"} <= names


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


@pytest.mark.parametrize("path", _commands(main))
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: newsarchive {' '.join(path)} ")
    description = (_command(path).help or "").split("\n\n")[0]
    # Compared without whitespace: click rewraps the text, breaking lines at hyphens too.
    assert len(description) > 20 and "".join(description.split()) in "".join(result.output.split())


def test_the_error_style_is_in_the_groups_help() -> None:
    shown = " ".join(CliRunner().invoke(main, ["--help"]).output.split())
    assert 'Errors are one line on stderr starting "error: "' in shown
    assert "1 for a failure" in shown and "2 for a usage error" in shown


# Commands whose arguments are portal keys, besides every --portal option.
PORTAL_ARGUMENTS = {("crawl",), ("health",), ("schedule", "set"), ("schedule", "remove")}


def _portal_keys_in_examples() -> list[tuple[str, str]]:
    found = []
    for path in _commands(main):
        lines = iter(CliRunner().invoke(main, [*path, "--help"], terminal_width=200).output.splitlines())
        for line in lines:
            if line.strip() not in ("Example:", "Examples:"):
                continue
            for example in lines:
                if not example.strip().startswith("newsarchive "):
                    break
                words = shlex.split(example)[1 + len(path) :]
                found += [(example, key) for flag, key in pairwise(words) if flag == "--portal"]
                while path in PORTAL_ARGUMENTS and words and not words[0].startswith("-"):
                    found.append((example, words.pop(0)))
    return found


def test_examples_name_registered_portals() -> None:
    keys = set(load_registry())
    found = _portal_keys_in_examples()
    assert len(found) >= 8  # crawl, schedule set/remove, health, runs, search, export, reextract
    assert [(example, key) for example, key in found if key not in keys] == []


def test_python_m_crawler_is_the_same_command() -> None:
    result = subprocess.run([sys.executable, "-m", "crawler", "nosuch"], capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr == "error: No such command 'nosuch'.\n"


def test_help_loads_neither_scrapy_nor_the_extractors() -> None:
    heavy = ["scrapy", "twisted", "trafilatura", "langdetect", "pipelines", "uvicorn", "starlette"]
    probe = (
        "import sys\n"
        "from crawler.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(sorted({{name.split('.')[0] for name in sys.modules}} & {set(heavy)!r}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "[]"


def test_extract_prints_fields_as_json(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(article_html(PARAGRAPHS))
    url = "https://baoninhthuan.com.vn/thoi-su/so-ket-cong-tac-phong-chong-ma-tuy-1234.html"
    result = CliRunner().invoke(main, ["extract", str(page), "--url", url])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["title"] == "Sơ kết công tác phòng, chống ma túy"
    assert record["published_at"] == "2024-04-12T08:30:00+07:00"
    assert record["language"] == "vi" and 0 < record["language_confidence"] <= 1
    assert "35 vụ với 52 đối tượng" in record["text"]


def test_extract_binary_is_one_clear_error(tmp_path: Path) -> None:
    page = tmp_path / "doc.pdf"
    page.write_bytes(b"%PDF-1.7\x00\x01\x02")
    result = CliRunner().invoke(main, ["extract", str(page), "--url", "https://x.vn/a"])
    assert result.exit_code == 1
    assert result.output.startswith("error: cannot extract") and len(result.output.strip().splitlines()) == 1


def test_lang_reads_lines() -> None:
    text = (
        "Ủy ban nhân dân tỉnh tổ chức hội nghị sơ kết công tác quý I\n"
        "The committee held a meeting on Friday to review the work\n"
    )
    result = CliRunner().invoke(main, ["lang"], input=text)
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["language"] for line in lines] == ["vi", "en"]
    assert all(set(line) == {"language", "confidence"} for line in lines)


def test_migrate_creates_archive(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/a.sqlite3"
    result = CliRunner().invoke(main, ["migrate", "--db", db])
    assert result.exit_code == 0 and "current schema" in result.output


def test_crawl_argument_errors_are_one_line(tmp_path: Path) -> None:
    unknown = CliRunner().invoke(main, ["crawl", "nowhere", "--db", f"sqlite:///{tmp_path}/a.sqlite3"])
    assert unknown.exit_code == 2 and unknown.output.startswith("error: unknown portal nowhere")
    bad_set = CliRunner().invoke(
        main,
        [
            "crawl",
            "--start-url",
            "http://127.0.0.1:9/",
            "--set",
            "NOEQUALS",
            "--db",
            f"sqlite:///{tmp_path}/b",
        ],
    )
    assert bad_set.exit_code == 2 and "NAME=VALUE" in bad_set.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["extract"], "error: Missing argument 'FILE'"),
        (["extract", "README.md"], "error: Missing option '--url'"),
        (["nosuch"], "error: No such command 'nosuch'"),
        (["--bogus"], "error: No such option '--bogus'"),
        (["schedule", "set"], "error: Missing argument 'PORTAL_KEY'"),
        (["eval", "language", "--bogus"], "error: No such option '--bogus'"),
        (["schedule", "list", "--json", "--csv"], "error: --json and --csv conflict"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("group", [[], ["schedule"], ["eval"]])
def test_a_group_without_a_command_prints_its_help(group: list[str]) -> None:
    result = CliRunner().invoke(main, group)
    assert result.exit_code == 2  # click's convention: no command is a usage error, answered with help
    assert result.output.startswith(f"Usage: {' '.join(['newsarchive', *group])} [OPTIONS] COMMAND")
    assert "Commands:" in result.output


def test_an_unknown_portal_is_a_usage_error_of_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/a.sqlite3"
    assert CliRunner().invoke(main, ["migrate", "--db", db]).exit_code == 0
    for args, message in (
        (["crawl", "ninhthuan", "nowhere"], "error: unknown portal nowhere; known: binhthuan, khanhhoa"),
        (["schedule", "set", "nowhere", "--every", "6h"], "error: unknown portal nowhere; known: "),
        (["reextract", "--portal", "nowhere"], "error: unknown portal 'nowhere' (known: none)"),
        (["health", "nowhere"], "error: unknown portal 'nowhere' (known: none)"),
    ):
        result = CliRunner().invoke(main, [*args, "--db", db])
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stdout == ""


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("DOWNLOAD_DELAY=abc", "error: --set DOWNLOAD_DELAY=abc: DOWNLOAD_DELAY is a number (now "),
        ("CLOSESPIDER_ITEMCOUNT=", "error: --set CLOSESPIDER_ITEMCOUNT=: CLOSESPIDER_ITEMCOUNT is a number"),
        ("ROBOTSTXT_OBEY=maybe", "error: --set ROBOTSTXT_OBEY=maybe: ROBOTSTXT_OBEY is true or false"),
    ],
)
def test_a_set_value_of_the_wrong_type_is_a_usage_error(tmp_path: Path, setting: str, message: str) -> None:
    # DOWNLOAD_DELAY=abc crawled: a summary, "crawl failed (finish reason: None)" and Twisted tracebacks.
    db = f"sqlite:///{tmp_path}/a.sqlite3"
    args = ["crawl", "--start-url", "http://127.0.0.1:9/", "--set", setting, "--db", db]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stdout == ""


def test_reextract_workers_are_bounded(tmp_path: Path) -> None:
    # One process per worker: 100000 would have been started (no bound), stalling the machine.
    db = f"sqlite:///{tmp_path}/a.sqlite3"
    result = CliRunner().invoke(main, ["reextract", "--workers", "100000", "--db", db])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        "error: Invalid value for '--workers': 100000 is not in the range 1<=x<=256"
    )


@pytest.mark.parametrize("every", ["999999999d", "99999999999999999d", "53w", "366d"])
def test_an_interval_longer_than_a_year_is_a_usage_error(tmp_path: Path, every: str) -> None:
    # 999999999d was accepted, and then `schedule run` died computing the next run past the year 9999;
    # 99999999999999999d was an OverflowError traceback at once.
    db = f"sqlite:///{tmp_path}/a.sqlite3"
    result = CliRunner().invoke(main, ["schedule", "set", "ninhthuan", "--every", every, "--db", db])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {every!r} is longer than a recurring crawl may wait (at most 365d)\n"
    result = CliRunner().invoke(main, ["schedule", "set", "ninhthuan", "--every", "365d", "--db", db])
    assert result.exit_code == 0, result.output
    # due now, said as every date for people (it was ISO 8601 with microseconds)
    assert re.fullmatch(
        r"ninhthuan: every 365d; next due \d\d/\d\d/\d{4} \d\d:\d\d \(GMT\+7\)\n", result.stdout
    )


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("extraction", "error: eval extraction: data missing: "),
        ("language", "error: eval language: data not found: "),
    ],
)
def test_eval_without_its_data_is_an_error_line(tmp_path: Path, kind: str, message: str) -> None:
    # Errors are one line starting "error: " (README); these two began "eval ...:".
    result = CliRunner().invoke(main, ["eval", kind, "--data", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl", "--start-url", "notaurl"], "error: start URL 'notaurl' is not an http(s) URL"),
        (["crawl", "--start-url", "http://[bad/"], "error: start URL 'http://[bad/' is malformed"),
        (["crawl", "--start-url", "file:///etc/passwd"], "error: start URL 'file:///etc/passwd' is not"),
        (
            ["crawl", "--start-url", "http://x.vn:99999/"],
            "error: start URL 'http://x.vn:99999/' is malformed",
        ),
        (["extract", "README.md", "--url", "http://[bad/"], "error: --url 'http://[bad/' is not an http(s)"),
    ],
)
def test_bad_urls_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(message) and len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "command",
    [
        ["crawl", "--start-url", "http://127.0.0.1:9/"],
        ["migrate"],
        ["reextract"],
        ["health"],
        ["schedule", "list"],
    ],
)
@pytest.mark.parametrize("database", ["foo://bar", "mysql://root@127.0.0.1/test", "not a url"])
def test_an_unusable_database_url_is_a_usage_error_of_one_line(command: list[str], database: str) -> None:
    result = CliRunner().invoke(main, [*command, "--db", database])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: Invalid value for '--db'"), result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "command",
    [
        ["crawl", "--start-url", "http://127.0.0.1:9/"],
        ["migrate"],
        ["reextract"],
        ["health"],
        ["schedule", "list"],
        ["schedule", "set", "ninhthuan", "--every", "6h"],
        ["schedule", "run", "--once"],
    ],
)
def test_an_archive_that_cannot_be_opened_is_a_failure_of_one_line(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--db", "sqlite:////nonexistent-dir/a.sqlite3"])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1, result.stderr
    assert "nonexistent-dir" in result.stderr


def test_crawl_summary_lists_the_figures() -> None:
    import re

    stats = {
        "downloader/response_count": 100,
        "archive/stored": 90,
        "archive/duplicate": 3,
        "archive/failed": 2,
        "bounds/article_hops": 4,
        "bounds/page_budget": 1,
    }
    rows = dict(
        re.split(r"\s{2,}", line, maxsplit=1)
        for line in crawl_summary(stats, ["ninhthuan"], 10.0).splitlines()
    )
    assert rows["articles archived"] == "90" and rows["exact duplicates"] == "3"
    assert rows["elapsed"] == "10.0 s (10.0 pages/s)"
    assert rows["limits reached"] == "article_hops x4, page_budget x1"
    assert "limits reached" not in crawl_summary({}, [], 1.0)
