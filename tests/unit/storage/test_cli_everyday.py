"""The archivists' commands as used every day (issue 22): queries as the shell splits them, filters with
optional accents, dates people read in tables and ISO 8601 in JSON/CSV, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

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
