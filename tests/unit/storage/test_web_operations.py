"""The operators' pages: /portal/KEY (health, backlog, schedule, runs, both charts) and /run/ID."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from storage.models import CrawlRun, FrontierEntry, Portal, Schedule
from storage.web.app import create_app
from storage.web.charts import Series, bar_chart
from tests.unit.archive_sample import T0, Sample, archive_row


@pytest.fixture
def client(sample: Sample) -> Iterator[tuple[TestClient, Sample]]:
    engine = create_engine(sample.url)
    with Session(engine) as session, session.begin():
        portal = session.scalars(select(Portal).where(Portal.key == "baohoabinh")).one()
        run = session.get(CrawlRun, sample.ids["run"])
        assert run is not None
        # Two more articles, 3 days after the sample's (1 March 2024): 2 and 3 March are gaps.
        for n in range(2):
            archive_row(session, portal, run, f"sau-{n}", f"Tin sau {n}", f"Nội dung tin {n}.",
                        T0 + timedelta(days=3, hours=n), fetched=12 + n)  # fmt: skip
        later = CrawlRun(
            spider="portal", portals=["baohoabinh"], started_at=T0 + timedelta(days=1),
            finished_at=T0 + timedelta(days=1, minutes=3), status="finished", finish_reason="finished",
            stats={"downloader/response_count": 50, "archive/stored": 9},
            outcomes={"baohoabinh": {"outcome": "reached", "responses": 40, "new": 8, "failed": 0}},
        )  # fmt: skip
        now = datetime.now(UTC)
        next_run = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
        # Frontier: two discovered (due), one archived whose revisit is due, one not yet due.
        entries = [
            FrontierEntry(portal_id=portal.id, url_key=key, url=f"{portal.home_url}/{key}.htm", **extra)
            for key, extra in (
                ("a", {}), ("b", {}),
                ("c", {"state": "archived", "last_fetched_at": now - timedelta(days=2),
                       "next_fetch_at": now - timedelta(hours=1)}),
                ("d", {"state": "archived", "last_fetched_at": now,
                       "next_fetch_at": now + timedelta(days=1)}),
            )
        ]  # fmt: skip
        schedule = Schedule(portal_key="baohoabinh", every_seconds=6 * 3600, next_run_at=next_run)
        session.add_all([later, schedule, *entries])
        session.flush()
        sample.ids["later"] = later.id
    engine.dispose()
    with TestClient(create_app(sample.url)) as test_client:
        yield test_client, sample


def _bars(page: str, chart: str) -> list[tuple[str, str, int]]:
    """(category, series, value) of every bar of the chart ``chart`` on ``page``."""
    figure = page[page.index(f'<figure class="chart" id="{chart}">') :]
    figure = figure[: figure.index("</figure>")]
    bars = []
    for label, body in re.findall(r'data-label="([^"]*)">(.*?)</(?:g|a)>', figure):
        for series, value in re.findall(r'data-series="([^"]*)" data-value="(\d+)"', body):
            bars.append((label, series, int(value)))
    return bars


def test_portals_page_links_to_each_portal(client: tuple[TestClient, Sample]) -> None:
    page = client[0].get("/portals").text
    assert '<a href="/portal/baohoabinh">Báo Hòa Bình</a>' in page and '<a href="/portal/baolaocai">' in page


def test_portal_page(client: tuple[TestClient, Sample]) -> None:
    test_client, sample = client
    response = test_client.get("/portal/baohoabinh")
    assert response.status_code == 200
    page = response.text
    # articles per publication day, gaps included: origin on 1 March, two on 4 March
    articles = [(label, value) for label, _, value in _bars(page, "articles-chart")]
    assert articles == [("01/03/2024", 1), ("02/03/2024", 0), ("03/03/2024", 0), ("04/03/2024", 2)]
    # the runs, oldest first: the sample's (run totals) and the later one (the portal's own figures)
    runs = _bars(page, "runs-chart")
    first, later = f"#{sample.ids['run']}", f"#{sample.ids['later']}"
    assert [(label, value) for label, _, value in runs] == [
        (first, 321), (first, 42), (first, 3), (later, 40), (later, 8), (later, 0)
    ]  # fmt: skip
    assert f'<a href="/run/{sample.ids["later"]}" data-label="{later}">' in page
    # health with its figures, backlog, schedule and last runs
    assert 'id="health-level">error</span>' in page and "no article archived in the last 35 days" in page
    backlog = re.sub(
        r"<[^>]+>", " ", page[page.index('id="backlog"') : page.index("</table>", page.index('id="backlog"'))]
    )
    assert re.search(r"\(due now\)\s+3\b", backlog) and re.search(r"discovered\s+2\b", backlog)
    assert '<time datetime="2030-01-02T10:04:00+07:00">02/01/2030 10:04 (GMT+7)</time>' in page
    assert 'mỗi <span class="en">(every)</span> 6h' in page
    assert f'<a href="/run/{sample.ids["later"]}">#{sample.ids["later"]}</a>' in page and "reached" in page
    # the last runs table gives the portal's own figures where the run recorded them, as the chart does
    table = page[page.index('id="portal-runs"') :]
    row = table[table.index(f'<a href="/run/{sample.ids["later"]}">') :]
    cells = re.findall(r'<td class="num">([^<]*)</td>', row[: row.index("</tr>")])
    assert cells == ["40", "9", "0"]  # responses 40 and failed 0 of its outcome; no stored there: the run's


def test_portal_without_articles_or_runs(client: tuple[TestClient, Sample]) -> None:
    test_client = client[0]
    engine = create_engine(client[1].url)
    with Session(engine) as session, session.begin():
        session.add(Portal(key="baomoi", name="Báo Mới", home_url="https://baomoi.example"))
    engine.dispose()
    page = test_client.get("/portal/baomoi").text
    assert "no runs yet" in page and "no schedule" in page and _bars(page, "articles-chart") == []


def test_portal_page_shows_the_lineage_both_ways_and_the_move_health_saw(
    client: tuple[TestClient, Sample],
) -> None:
    test_client = client[0]
    engine = create_engine(client[1].url)
    with Session(engine) as session, session.begin():
        old = session.scalars(select(Portal).where(Portal.key == "baolaocai")).one()
        old.aliases, old.successor, old.active_until = ["laocai.example.vn"], "baohoabinh", date(2025, 6, 30)
        moved = {"outcome": "nothing_new", "moved_to": "https://baohoabinh.example/"}
        started = datetime.now(UTC) - timedelta(hours=1)
        session.add(
            CrawlRun(spider="portal", portals=["baolaocai"], started_at=started, status="finished",
                     outcomes={"baolaocai": moved})
        )  # fmt: skip
    engine.dispose()
    page = test_client.get("/portal/baolaocai").text
    lineage = page[page.index('id="lineage"') : page.index("</section>", page.index('id="lineage"'))]
    assert '<dd id="lineage-hosts">baolaocai.example, laocai.example.vn</dd>' in lineage
    assert '<a href="/portal/baohoabinh">Báo Hòa Bình</a>' in lineage and "(successor)" in lineage
    assert '<time datetime="2025-06-30">30/06/2025</time>' in lineage and "(active until)" in lineage
    assert "moved? the home page redirects to https://baohoabinh.example/" in page
    successor = test_client.get("/portal/baohoabinh").text
    lineage = successor[
        successor.index('id="lineage"') : successor.index("</section>", successor.index('id="lineage"'))
    ]
    assert '<dd id="lineage-predecessors"><a href="/portal/baolaocai">Báo Lào Cai</a>' in lineage
    assert "(successor)" not in lineage and "(active until)" not in lineage


def test_unknown_portal_and_run_are_404(client: tuple[TestClient, Sample]) -> None:
    test_client = client[0]
    for path in ("/portal/nosuch", "/portal/" + "x" * 5000, "/run/999999", "/run/" + "9" * 5000, "/run/x"):
        response = test_client.get(path)
        assert response.status_code == 404 and 'class="brand"' in response.text, path


def test_run_page(client: tuple[TestClient, Sample]) -> None:
    test_client, sample = client
    page = test_client.get(f"/run/{sample.ids['run']}").text
    assert "finished" in page and '<a href="/portal/baolaocai">baolaocai</a>' in page
    assert "no outcome recorded" in page
    # every stat `runs show` prints
    for key, value in (
        ("downloader/response_count", 321),
        ("archive/stored", 42),
        ("elapsed_time_seconds", 300.25),
    ):
        assert f'<th class="url">{key}</th><td class="num">{value}</td>' in page
    assert [value for _, _, value in _bars(page, "run-chart")] == [321, 42, 3]
    later = test_client.get(f"/run/{sample.ids['later']}").text
    assert "reached" in later and "responses 40, new 8, failed 0" in later
    runs = test_client.get("/runs").text
    assert f'<a href="/run/{sample.ids["later"]}">' in runs


def test_chart_escapes_and_keeps_empty_slots() -> None:
    chart = str(
        bar_chart(
            "c",
            'a "title" <b>',
            ["<script>", "x"],
            [Series("n", "articles", [0, 5])],
            hrefs=[None, "/s?q=a&b=1"],
        )
    )
    assert "<script>" not in chart and "&lt;script&gt;" in chart and "&#34;title&#34;" in chart
    assert '<g data-label="&lt;script&gt;">' in chart and '<a href="/s?q=a&amp;b=1" data-label="x">' in chart
    assert 'data-value="0"' in chart and 'height="0.00"' in chart
