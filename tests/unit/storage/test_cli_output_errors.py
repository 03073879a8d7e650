"""Commands whose output cannot be written (stdout on a full disk, a pipe its reader closed) and an
over-long article id: one error line on stderr, no traceback, exit 1 (2 for the usage error).

Run as an operator runs them: the `newsarchive` command in a subprocess, its stdout on /dev/full or on
a pipe whose read end is already closed (what `| head -c1` does once it has its byte).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.db import open_archive
from storage.models import CrawlRun, Portal
from tests.unit.archive_sample import T0, archive_row

ROOT = Path(__file__).resolve().parents[3]
FULL_DISK = Path("/dev/full")

# Each writes a different way: export through its own writer, search as a table, show --raw as bytes.
COMMANDS = {
    "export": ("export", "--format", "jsonl"),
    "search": ("search", "cầu"),
    "show --raw": ("show", "1", "--raw"),
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli-output')}/archive.sqlite3"
    engine, factory = open_archive(url, create=True)
    with factory.begin() as session:
        portal = Portal(key="baohoabinh", name="Báo Hòa Bình", home_url="https://baohoabinh.example")
        run = CrawlRun(spider="portal", portals=["baohoabinh"], started_at=T0, status="finished")
        session.add_all([portal, run])
        session.flush()
        for n in range(100):  # ~200 KB of JSON Lines: more than a pipe holds
            text = f"Ủy ban nhân dân tỉnh Hòa Bình khởi công cầu số {n} qua sông Đà. " * 20
            archive_row(session, portal, run, f"cau-so-{n}", f"Khởi công cầu số {n}", text, T0, fetched=n)
    engine.dispose()
    yield url


def newsarchive(*args: str, stdout: int) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("newsarchive")
    program = [str(script)] if script.exists() else [sys.executable, "-m", "crawler"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [*program, *args], stdout=stdout, stderr=subprocess.PIPE, text=True, env=env, timeout=60
    )


def assert_one_error_line(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr, result.stderr
    assert result.stderr.splitlines() == [f"error: {message}"]


@pytest.mark.skipif(not FULL_DISK.exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("command", COMMANDS)
def test_full_disk_on_stdout_is_one_error_line(archive: str, command: str) -> None:
    with FULL_DISK.open("wb") as full:
        result = newsarchive(*COMMANDS[command], "--db", archive, stdout=full.fileno())
    assert_one_error_line(result, "cannot write the output: No space left on device")


@pytest.mark.parametrize("command", COMMANDS)
def test_pipe_closed_by_its_reader_is_one_error_line(archive: str, command: str) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte: every write is EPIPE
    try:
        result = newsarchive(*COMMANDS[command], "--db", archive, stdout=write_end)
    finally:
        os.close(write_end)
    assert_one_error_line(result, "the output was closed before it was complete (broken pipe)")


def test_pipe_closed_after_the_first_byte(archive: str) -> None:
    """`newsarchive export | head -c1`: the reader takes one byte and leaves mid-export."""
    script = Path(sys.executable).with_name("newsarchive")
    program = [str(script)] if script.exists() else [sys.executable, "-m", "crawler"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    export = subprocess.Popen(
        [*program, "export", "--format", "jsonl", "--db", archive],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    assert export.stdout is not None and export.stderr is not None
    assert export.stdout.read(1) == b"{"
    export.stdout.close()
    stderr = export.stderr.read().decode()
    assert export.wait(timeout=60) == 1, stderr
    assert stderr.splitlines() == ["error: the output was closed before it was complete (broken pipe)"]


def test_show_of_a_five_thousand_digit_id_is_a_usage_error(archive: str) -> None:
    result = newsarchive("show", "9" * 5000, "--db", archive, stdout=subprocess.PIPE)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: article id 99999999999999999999... (5000 digits) is too large (ids are at most 2147483647)"
    ]
