"""`show --version/--diff/--raw` and `cite` on SQLite and PostgreSQL archives."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.unit.archive_sample import Sample, invoke


def test_show_names_the_paper(sample: Sample) -> None:
    result = invoke("show", str(sample.ids["origin"]), "--db", sample.url)
    assert "paper:         Báo Hòa Bình (baohoabinh)" in result.stdout
    details = json.loads(invoke("show", str(sample.ids["origin"]), "--db", sample.url, "--json").stdout)
    assert details["portal_name"] == "Báo Hòa Bình"


def test_show_earlier_version(sample: Sample) -> None:
    result = invoke("show", str(sample.ids["origin"]), "--db", sample.url, "--version", "1")
    assert result.exit_code == 0, result.output
    assert "version 1 of 2" in result.stdout and "Hòa Bình khởi công cầu\n" in result.stdout
    assert "300 mét" not in result.stdout
    data = json.loads(
        invoke("show", str(sample.ids["origin"]), "--db", sample.url, "--version", "2", "--json").stdout
    )
    assert data["version"] == 2 and data["text"].endswith("Cầu dài 300 mét.")
    result = invoke("show", str(sample.ids["origin"]), "--db", sample.url, "--version", "7")
    assert result.exit_code == 1 and result.stderr.strip() == (
        f"error: article {sample.ids['origin']} has no version 7 (versions: 1, 2)"
    )


def test_show_diff_lines_and_words(sample: Sample) -> None:
    result = invoke("show", str(sample.ids["origin"]), "--db", sample.url, "--diff", "1", "2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == ["--- version 1", "+++ version 2"]
    assert "-Hòa Bình khởi công cầu" in lines and "+Hòa Bình khởi công cầu mới" in lines
    assert "+Cầu dài 300 mét." in lines
    result = invoke("show", str(sample.ids["origin"]), "--db", sample.url, "--diff", "1", "2", "--words")
    assert "Hòa Bình khởi công cầu{+ mới+}" in result.stdout and "{+\nCầu dài 300 mét.+}" in result.stdout


def test_show_raw_bytes_exactly(sample: Sample, tmp_path: Path) -> None:
    result = invoke("show", str(sample.ids["origin"]), "--db", sample.url, "--raw")
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(
        b"<html><title>H\xc3\xb2a B\xc3\xacnh kh\xe1\xbb\x9fi c\xc3\xb4ng c\xe1\xba\xa7u m"
    )
    target = tmp_path / "page.html"
    result = invoke(
        "show", str(sample.ids["origin"]), "--db", sample.url, "--raw", "--version", "1", "-o", str(target)
    )
    assert result.exit_code == 0, result.output
    body = target.read_bytes()
    assert hashlib.sha256(body).hexdigest() in result.stderr and b"300" not in body


def test_cite_styles(sample: Sample) -> None:
    origin = str(sample.ids["origin"])
    plain = invoke("cite", origin, "--db", sample.url).stdout.strip()
    assert plain.startswith("Minh Anh. “Hòa Bình khởi công cầu mới”. Báo Hòa Bình, 01/03/2024.")
    assert "https://baohoabinh.example/khoi-cong-cau.htm." in plain
    assert (
        f"newsarchive article {origin}, version 2." in plain and "Archived 01/03/2024 10:30 (GMT+7)" in plain
    )
    bib = invoke("cite", origin, "--db", sample.url, "--style", "bibtex").stdout
    assert bib.startswith(f"@online{{newsarchive-{origin}-v2,") and "journaltitle = {Báo Hòa Bình}" in bib
    assert "author = {{Minh Anh}}" in bib and "date = {2024-03-01}" in bib and bib.rstrip().endswith("}")
    (item,) = json.loads(
        invoke("cite", origin, "--db", sample.url, "--style", "csl-json", "--version", "1").stdout
    )
    assert item["type"] == "article-newspaper" and item["container-title"] == "Báo Hòa Bình"
    assert item["title"] == "Hòa Bình khởi công cầu" and item["issued"] == {"date-parts": [[2024, 3, 1]]}
    assert item["archive_location"] == f"article {origin}, version 1"
    result = invoke("cite", origin, "--db", sample.url, "--version", "9")
    assert result.exit_code == 1 and "has no version 9" in result.stderr


def test_cite_escapes_bibtex(sample: Sample) -> None:
    from storage.export.citation import Citation, bibtex

    citation = Citation(
        1, 1, "Báo & Co", "50% giảm_giá {x}", None, None, "https://x.example/a_b", sample_time(), 3
    )
    entry = bibtex(citation)
    assert r"title = {50\% giảm\_giá \{x\}}" in entry and r"journaltitle = {Báo \& Co}" in entry
    assert "url = {https://x.example/a_b}" in entry


def sample_time():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime(2024, 1, 1, tzinfo=UTC)
