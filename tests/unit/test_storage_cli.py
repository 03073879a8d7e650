"""Archivist commands (export, search, show, runs) on SQLite and PostgreSQL archives, via click's runner."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.cli import db_option, export_command, runs_command, search_command, show_command
from storage.models import Article, ArticleVersion, Capture, Cluster, CrawlRun, Portal
from storage.text import search_key

T0 = datetime(2024, 3, 1, 1, 30, tzinfo=UTC)  # 08:30 on 1 March 2024 in Vietnam


def _group() -> click.Group:
    group = click.Group("newsarchive")
    for command in (export_command, search_command, show_command, runs_command):
        group.add_command(command)
    return group


def invoke(*args: str) -> Result:
    return CliRunner().invoke(_group(), list(args))


@dataclass
class Sample:
    url: str
    ids: dict[str, int]


def _article(
    portal: Portal, slug: str, title: str, text: str, published: datetime | None, **extra: object
) -> Article:
    sapo = str(extra.pop("sapo", "")) or None
    article = Article(
        portal=portal,
        url=f"{portal.home_url}/{slug}.htm?utm=x",
        canonical_url=f"{portal.home_url}/{slug}.htm",
        title=title,
        sapo=sapo,
        text=text,
        published_at=published,
        language=str(extra.pop("language", "vi")),
        language_confidence=0.99,
        status=str(extra.pop("status", "archived")),
        content_hash=f"hash-{slug}".ljust(64, "0"),
        first_captured_at=T0 + timedelta(hours=6),
        captured_at=T0 + timedelta(hours=6),
        search_document=search_key("\n".join(part for part in (title, sapo or "", text) if part)),
        **extra,
    )
    return article


def _capture(
    portal: Portal, url: str, run: CrawlRun, status: str, article: Article | None, n: int
) -> Capture:
    return Capture(
        run_id=run.id,
        portal=portal,
        url=url,
        final_url=url,
        http_status=200,
        headers={},
        body_compressed=b"x",
        body_sha256=f"{n:064x}",
        body_size=1000 + n,
        content_type="text/html",
        discovered_via="sitemap",
        fetched_at=T0 + timedelta(hours=n),
        last_fetched_at=T0 + timedelta(hours=n + 1),
        fetch_count=2,
        status=status,
        reason="no text extracted" if article is None else None,
        article_id=article.id if article else None,
    )


@pytest.fixture
def sample(archive: tuple[Engine, sessionmaker[Session]]) -> Sample:
    engine, factory = archive
    with factory.begin() as session:
        hb = Portal(key="baohoabinh", name="Báo Hòa Bình", home_url="https://baohoabinh.example")
        lc = Portal(key="baolaocai", name="Báo Lào Cai", home_url="https://baolaocai.example")
        run = CrawlRun(
            spider="portal",
            portals=["baohoabinh", "baolaocai"],
            started_at=T0,
            finished_at=T0 + timedelta(minutes=5),
            status="finished",
            finish_reason="finished",
            stats={
                "downloader/response_count": 321,
                "archive/stored": 42,
                "archive/duplicate": 7,
                "archive/off_language": 1,
                "archive/failed": 3,
                "elapsed_time_seconds": 300.25,
            },
        )
        cluster = Cluster()
        session.add_all([hb, lc, run, cluster])
        session.flush()
        origin = _article(
            hb, "khoi-cong-cau", "Hòa Bình khởi công cầu mới",
            "Ủy ban nhân dân tỉnh Hòa Bình khởi công cầu qua sông Đà.\nCầu dài 300 mét.",
            T0, sapo="Cây cầu nối hai bờ sông.", cluster_id=cluster.id, version=2, author="Minh Anh",
            categories=["Thời sự", "Kinh tế"], tags=["cầu"], date_raw="01/03/2024 08:30",
            date_source="meta", date_warnings=["time zone assumed"],
        )  # fmt: skip
        copy = _article(
            lc, "hoa-binh-khoi-cong-cau", "Hòa Bình khởi công cầu mới (theo Báo Hòa Bình)",
            "Ủy ban nhân dân tỉnh Hòa Bình khởi công cầu qua sông Đà.", T0 + timedelta(hours=4),
            cluster_id=cluster.id,
        )  # fmt: skip
        # 18:00 UTC on 28 Feb is 01:00 on 29 Feb in Vietnam: the day filters must use Vietnam time.
        blossom = _article(
            lc, "mua-hoa-dao", "Lào Cai mùa hoa đào", "Hoa đào nở rộ khắp Sa Pa, khoẻ khoắn.",
            datetime(2024, 2, 28, 18, 0, tzinfo=UTC),
        )  # fmt: skip
        session.add_all([origin, copy, blossom])
        session.flush()
        duplicate = _article(
            hb, "khoi-cong-cau-2", "Hòa Bình khởi công cầu mới", "Bản sao lúa gạo.", T0,
            status="duplicate", duplicate_of=origin.id,
        )  # fmt: skip
        english = _article(
            hb,
            "english",
            "Hoa Binh news",
            "English text about rice.",
            T0,
            status="off_language",
            language="en",
        )
        session.add_all([duplicate, english])
        session.flush()
        cluster.origin_article_id = origin.id
        first = _capture(hb, origin.url, run, "archived", origin, 1)
        second = _capture(hb, origin.url, run, "archived", origin, 2)
        failed = _capture(hb, "https://baohoabinh.example/broken.htm", run, "extraction_failed", None, 3)
        session.add_all([first, second, failed, _capture(lc, copy.url, run, "archived", copy, 4)])
        session.flush()
        for number, capture, title in ((1, first, "Hòa Bình khởi công cầu"), (2, second, origin.title)):
            session.add(ArticleVersion(
                article_id=origin.id, version=number, content_hash=f"v{number}".ljust(64, "0"), title=title,
                text=origin.text, published_at=T0, capture_id=capture.id, captured_at=capture.fetched_at,
            ))  # fmt: skip
        ids = {
            "origin": origin.id, "copy": copy.id, "blossom": blossom.id, "duplicate": duplicate.id,
            "english": english.id, "failed_capture": failed.id, "capture1": first.id, "run": run.id,
        }  # fmt: skip
    return Sample(str(engine.url.render_as_string(hide_password=False)), ids)


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
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
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


def test_bad_date_and_unknown_portal(sample: Sample) -> None:
    result = invoke("export", "--db", sample.url, "--since", "31/02/2024")
    assert result.exit_code == 2 and "not a real date" in result.output
    result = invoke("search", "cầu", "--db", sample.url, "--until", "yesterday")
    assert result.exit_code == 2 and "YYYY-MM-DD or DD/MM/YYYY" in result.output
    result = invoke("export", "--db", sample.url, "--portal", "nope")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: unknown portal 'nope' (known: baohoabinh, baolaocai)"
    ]


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
    assert set(hits[0]) == {"id", "url", "portal", "title", "published_at", "snippet", "score"}
    assert "[sông]" in hits[0]["snippet"] and hits[0]["published_at"].endswith("+07:00")


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


@pytest.mark.parametrize("query", ['"', "AND (", "*", 'cầu" OR', "NEAR(", "-", "hòa*", "^đà", "a:b", "''"])
def test_hostile_queries_do_not_crash(sample: Sample, query: str) -> None:
    result = invoke("search", query, "--db", sample.url)
    assert result.exit_code == 0, result.output


def test_search_table_output(sample: Sample) -> None:
    result = invoke("search", "đào", "--db", sample.url)
    assert result.exit_code == 0, result.output
    header, rule, row = result.stdout.splitlines()
    assert header.split() == ["id", "published", "portal", "title", "snippet"]
    assert "2024-02-29" in row and "baolaocai" in row and "[đào]" in row
    result = invoke("search", "khôngcó", "--db", sample.url)
    assert result.exit_code == 0 and result.stdout == "" and "no matches" in result.stderr


# --- show -----------------------------------------------------------------------------------------


def test_show_by_id_lists_provenance(sample: Sample) -> None:
    result = invoke("show", str(sample.ids["origin"]), "--db", sample.url)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "baohoabinh" in out and "2024-03-01T08:30:00+07:00" in out and "01/03/2024 08:30" in out
    assert "time zone assumed" in out and "Minh Anh" in out
    assert "v1" in out and "v2" in out
    assert f"#{sample.ids['capture1']}" in out and "HTTP 200" in out and "via sitemap" in out
    assert (
        "this article is the origin" in out and "https://baolaocai.example/hoa-binh-khoi-cong-cau.htm" in out
    )
    assert out.rstrip().endswith("Cầu dài 300 mét.")


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
    assert len(details["captures"]) == 2 and details["captures"][0]["size"] == 1001
    result = invoke("show", str(sample.ids["duplicate"]), "--db", sample.url, "--json")
    assert json.loads(result.stdout)["duplicate_of"] == sample.ids["origin"]


def test_show_unknown_is_one_line_error(sample: Sample) -> None:
    result = invoke("show", "999999", "--db", sample.url)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["error: no article with id or URL '999999'"]
    result = invoke("show", "https://baohoabinh.example/broken.htm", "--db", sample.url)
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1 and "extraction_failed (no text extracted)" in result.stderr


# --- runs -----------------------------------------------------------------------------------------


def test_runs_lists_stats(sample: Sample) -> None:
    result = invoke("runs", "--db", sample.url)
    assert result.exit_code == 0, result.output
    header, _rule, row = result.stdout.splitlines()
    assert header.split()[:5] == ["id", "started_at", "finished_at", "status", "portals"]
    for value in ("321", "42", "7", "300.2", "finished", "baohoabinh, baolaocai"):
        assert value in row
    result = invoke("runs", "--db", sample.url, "--json")
    (run,) = json.loads(result.stdout)
    assert run["pages"] == 321 and run["stored"] == 42 and run["failed"] == 3 and run["off_language"] == 1
    result = invoke("runs", "--db", sample.url, "--csv")
    assert result.stdout.splitlines()[0].startswith("id,started_at,finished_at,status,portals,pages")


# --- unavailable archives and help ----------------------------------------------------------------


@pytest.mark.parametrize("command", [["export"], ["search", "cầu"], ["show", "1"], ["runs"]])
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


@pytest.mark.parametrize("name", ["export", "search", "show", "runs"])
def test_every_command_has_help_with_example(name: str) -> None:
    result = invoke(name, "--help")
    assert result.exit_code == 0, result.output
    assert "Example:" in result.stdout and f"newsarchive {name}" in result.stdout
    assert "--db DBURL" in result.stdout
