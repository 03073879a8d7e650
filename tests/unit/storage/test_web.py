"""The archive browser over HTTP (Starlette's test client): read-only, escaped, strict headers, pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from storage.web.app import create_app
from tests.unit.archive_sample import Sample, overwrite_article

SCRIPT_TITLE = '<script>alert("x")</script> Hòa Bình đào'


@pytest.fixture
def client(sample: Sample) -> Iterator[tuple[TestClient, Sample]]:
    overwrite_article(sample, "blossom", title=SCRIPT_TITLE)
    with TestClient(create_app(sample.url)) as test_client:
        yield test_client, sample


def _strict(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp.split("style-src")[0]
    assert "script-src 'self'" in csp or "sandbox" in csp
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"


def test_only_get_and_head(client: tuple[TestClient, Sample]) -> None:
    test_client, sample = client
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        response = test_client.request(method, f"/article/{sample.ids['origin']}")
        assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"
        _strict(response)
    assert test_client.head("/").status_code == 200


def test_search_page(client: tuple[TestClient, Sample]) -> None:
    test_client, sample = client
    response = test_client.get("/search", params={"q": "hoa binh"})
    assert response.status_code == 200 and response.headers["content-type"] == "text/html; charset=utf-8"
    _strict(response)
    page = response.text
    assert re.search(r"\b2 kết quả", page)  # origin and copy (the blossom's title does not match both)
    assert "<mark>Hòa</mark> <mark>Bình</mark>" in page
    assert 'data-facet="portal">Báo Hòa Bình</a> <span class="count">1</span>' in page
    facet = test_client.get("/search", params={"q": "hoa binh", "portal": "baolaocai"}).text
    assert (
        f'href="/article/{sample.ids["copy"]}"' in facet and f'/article/{sample.ids["origin"]}"' not in facet
    )
    bad = test_client.get("/search", params={"q": "-cầu"})
    assert bad.status_code == 400 and "only excludes" in bad.text


def test_archived_markup_is_escaped(client: tuple[TestClient, Sample]) -> None:
    test_client, sample = client
    for url in (f"/article/{sample.ids['blossom']}", "/search?q=%C4%91%C3%A0o"):
        page = test_client.get(url).text
        assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
        assert "<script" not in page.replace('<script src="/static/copy.js"></script>', "")


def test_article_page(client: tuple[TestClient, Sample]) -> None:
    test_client, sample = client
    page = test_client.get(f"/article/{sample.ids['origin']}").text
    assert "Báo Hòa Bình" in page and "Minh Anh" in page and "Cầu dài 300 mét." in page
    assert f"/capture/{sample.ids['capture1']}" in page and "changes from v1" in page
    assert f'href="/article/{sample.ids["copy"]}"' in page and "origin of its cluster" in page
    assert "newsarchive article" in page and 'data-copy="citation"' in page
    assert "canonical (" not in page  # no claim recorded for the sample's captures
    # dates as a Vietnamese reader writes them, the ISO instant kept in <time>
    published = '<time datetime="2024-03-01T08:30:00+07:00">01/03/2024 08:30 (GMT+7)</time>'
    assert f"<dd>{published} " in page and "T08:30:00+07:00</dd>" not in page
    copy_page = test_client.get(f"/article/{sample.ids['copy']}").text
    assert '<strong class="origin">origin</strong>' in copy_page
    assert test_client.get("/article/99999999999999999999999").status_code == 404
    assert test_client.get("/article/²").status_code == 404


def test_diff_page(client: tuple[TestClient, Sample]) -> None:
    test_client, sample = client
    page = test_client.get(f"/article/{sample.ids['origin']}/diff", params={"a": 1, "b": 2}).text
    assert "<ins> mới</ins>" in page and "<ins>\nCầu dài 300 mét.</ins>" in page
    assert (
        test_client.get(f"/article/{sample.ids['origin']}/diff", params={"a": 1, "b": 5}).status_code == 404
    )


def test_captured_page_is_sandboxed(client: tuple[TestClient, Sample]) -> None:
    test_client, sample = client
    frame = test_client.get(f"/capture/{sample.ids['capture1']}").text
    (tag,) = re.findall(r"<iframe[^>]*>", frame)
    assert " sandbox " in tag and "allow-scripts" not in tag
    body = test_client.get(f"/capture/{sample.ids['capture1']}/body")
    csp = body.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp
    assert body.content.startswith(b"<html><title>H\xc3\xb2a")


def test_portals_and_runs(client: tuple[TestClient, Sample]) -> None:
    test_client, sample = client
    portals = test_client.get("/portals").text
    assert "Báo Lào Cai" in portals and f"#{sample.ids['run']}" in portals
    # Health as `newsarchive health` judges it: the sample's articles are from 2024, long before now.
    assert portals.count('class="health-error"') == 2 and "no article archived in the last 35 days" in portals
    runs = test_client.get("/runs").text
    assert '<a href="/portal/baohoabinh">baohoabinh</a>, <a href="/portal/baolaocai">baolaocai</a>' in runs
    assert '<td class="num">321</td>' in runs and f'<a href="/run/{sample.ids["run"]}">' in runs
    # dates for people, ISO for machines
    assert '<time datetime="2024-03-01T08:30:00+07:00">01/03/2024 08:30 (GMT+7)</time>' in runs


def test_browser_never_writes(client: tuple[TestClient, Sample]) -> None:
    test_client, sample = client
    if not sample.url.startswith("sqlite"):
        pytest.skip("file bytes are a SQLite matter")
    path = Path(sample.url.removeprefix("sqlite:///"))
    engine = create_engine(sample.url)
    with engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    before = path.read_bytes()
    for url in ("/", "/search?q=c%E1%BA%A7u", f"/article/{sample.ids['origin']}", "/portals", "/runs"):
        assert test_client.get(url).status_code == 200
    test_client.post("/search?q=x")
    assert path.read_bytes() == before


def test_serve_command_help_and_bad_archive(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from storage.cli.serve import serve_command

    result = CliRunner().invoke(serve_command, ["--help"])
    assert result.exit_code == 0 and "newsarchive serve" in result.stdout and "--db DBURL" in result.stdout
    result = CliRunner().invoke(serve_command, ["--db", f"sqlite:///{tmp_path}/none.sqlite3"])
    assert (
        result.exit_code == 1 and result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1
    )
    result = CliRunner().invoke(serve_command, ["--db", "foo://bar"])
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1


def test_a_canonical_claim_is_shown_as_untrusted(client: tuple[TestClient, Sample]) -> None:
    test_client, sample = client
    engine = create_engine(sample.url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE captures SET canonical_claim = :c, canonical_verdict = :v WHERE id = :id"),
            {
                "c": "https://baohoabinh.example/<other>.htm",
                "v": "rejected_different_text",
                "id": sample.ids["capture1"],
            },
        )
    engine.dispose()
    page = test_client.get(f"/article/{sample.ids['origin']}").text
    assert (
        "claimed, untrusted): https://baohoabinh.example/&lt;other&gt;.htm · rejected_different_text" in page
    )
