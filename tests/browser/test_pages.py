"""The browser's everyday pages in Debian's chromium: year and month facets reaching two years back, a
date range, a bad date's message, the month histogram that filters, the portal page's charts against the
archive, the run page, and every page at phone width without sideways scrolling. No request leaves
127.0.0.1 (the route in browser_page records every one)."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from storage.models import Article, CrawlRun, Portal
from storage.timezone import VN_TZ
from storage.web.app import create_app
from tests.browser.test_browser import CHROMIUM, Server, browser_page
from tests.unit.archive_sample import T0, Sample, archive_row

pytestmark = pytest.mark.slow  # a Chromium per test: in `make test`, not `make test-fast`

__all__ = ["browser_page"]  # the fixture, shared with test_browser


def _add_history(sample: Sample) -> None:
    """Add an article two years before the sample's, two more three days after, and a second run."""
    engine = create_engine(sample.url)
    with Session(engine) as session, session.begin():
        portal = session.scalars(select(Portal).where(Portal.key == "baohoabinh")).one()
        run = session.get(CrawlRun, sample.ids["run"])
        assert run is not None
        old = archive_row(
            session, portal, run, "cau-cu", "Cầu cũ Hòa Bình", "Ủy ban nhân dân sửa cầu cũ bên sông.",
            datetime(2022, 1, 31, 18, 0, tzinfo=UTC), fetched=9,
        )  # fmt: skip
        sample.ids["old"] = old.id
        for n in range(2):
            text = f"Ủy ban nhân dân họp phiên {n}."
            when = T0 + timedelta(days=3, hours=n)
            archive_row(session, portal, run, f"sau-{n}", f"Ủy ban họp {n}", text, when, fetched=12 + n)
        later = CrawlRun(
            spider="portal", portals=["baohoabinh"], started_at=T0 + timedelta(days=1),
            finished_at=T0 + timedelta(days=1, minutes=3), status="finished", finish_reason="finished",
            stats={"downloader/response_count": 50, "archive/stored": 9, "archive/failed": 1},
            outcomes={"baohoabinh": {"outcome": "reached", "responses": 40, "new": 8, "failed": 1}},
        )  # fmt: skip
        session.add(later)
        session.flush()
        sample.ids["later"] = later.id
    engine.dispose()


@pytest.fixture
def site(sample: Sample) -> Iterator[tuple[str, Sample]]:
    if not CHROMIUM.exists():
        message = f"Debian's chromium is not installed at {CHROMIUM} (.ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: browser tests must run)")
        pytest.skip(message)
    _add_history(sample)
    server = Server(uvicorn.Config(create_app(sample.url), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}", sample
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _hrefs(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all("ol.hits a.title", "links => links.map(a => a.getAttribute('href'))")
    )


def test_search_reaches_every_year(site: tuple[str, Sample], browser_page: tuple[Any, ...]) -> None:
    base, sample = site
    page, requests = browser_page[0], browser_page[1]
    page.goto(f"{base}/search?q=uy+ban")
    assert page.inner_text("#result-count").startswith("5 kết quả")
    # years, then the months of the one chosen, then the article two years back
    page.click('a[data-facet="year"]:text-is("2022")')
    page.wait_for_url("**year=2022**")
    page.click('a[data-facet="month"]:text-is("02/2022")')
    page.wait_for_url("**month=2022-02**")
    assert _hrefs(page) == [f"/article/{sample.ids['old']}"]
    page.click("ol.hits a.title")
    page.wait_for_selector("article h1")
    assert page.inner_text("article h1") == "Cầu cũ Hòa Bình"
    assert page.get_attribute("dd time", "datetime") == "2022-02-01T01:00:00+07:00"
    assert page.inner_text("dd time") == "01/02/2022 01:00 (GMT+7)"
    # the month histogram: its bars are links that filter the search to their month
    page.goto(f"{base}/search?q=uy+ban")
    # 26 months from 02/2022 to 03/2024: two with matches (links), 24 empty slots between them
    assert page.locator("#month-histogram a").count() == 2
    assert page.locator("#month-histogram g").count() == 24
    page.click('#month-histogram a[data-label="03/2024"]')
    page.wait_for_url("**month=2024-03**")
    assert page.inner_text("#result-count").startswith("4 kết quả")
    # a date range typed day first
    page.fill("#date-range input[name=from]", "02/03/2024")
    page.fill("#date-range input[name=to]", "31/03/2024")
    page.click("#date-range button")
    page.wait_for_url("**from=02%2F03%2F2024**")
    assert page.input_value("#date-range input[name=from]") == "02/03/2024"
    assert page.inner_text("#result-count").startswith("2 kết quả")
    assert all(
        "/article/" in href for href in _hrefs(page)
    ) and f"/article/{sample.ids['old']}" not in _hrefs(page)
    # a bad date is shown, never ignored
    page.goto(f"{base}/search?q=uy+ban&since=2024-13-01")
    assert page.locator("#problems").is_visible()
    assert "'2024-13-01' is not a real date" in page.inner_text("#problems")
    assert page.locator("ol.hits").count() == 0
    assert {urlsplit(url).hostname for url in requests} == {"127.0.0.1"}


def test_portal_and_run_pages(site: tuple[str, Sample], browser_page: tuple[Any, ...]) -> None:
    base, sample = site
    page, requests = browser_page[0], browser_page[1]
    page.goto(f"{base}/portals")
    page.click('a[href="/portal/baohoabinh"]')
    page.wait_for_selector("#articles-chart")
    # the articles chart against the archive: archived articles per publication month in Vietnam
    engine = create_engine(sample.url)
    with Session(engine) as session:
        published = session.scalars(
            select(Article.published_at)
            .join(Portal, Portal.id == Article.portal_id)
            .where(Portal.key == "baohoabinh", Article.status == "archived")
        ).all()
    engine.dispose()
    # two years of span: counted per month
    expected = Counter(f"{p.astimezone(VN_TZ):%m/%Y}" for p in published if p is not None)
    bars = page.eval_on_selector_all(
        "#articles-chart g",
        "gs => gs.map(g => [g.dataset.label, Number(g.querySelector('rect').dataset.value)])",
    )
    assert {label: value for label, value in bars if value} == dict(expected)
    assert len(bars) > len(expected)  # the span is by month from 2022 to 2024: gaps are bars of 0
    # the runs chart: each run's pages, new, failed (the portal's own figures when recorded)
    runs = page.eval_on_selector_all(
        "#runs-chart a rect[data-series]",
        "rs => rs.map(r => [r.closest('a').dataset.label, Number(r.dataset.value)])",
    )
    first, later = f"#{sample.ids['run']}", f"#{sample.ids['later']}"
    assert runs == [[first, 321], [first, 42], [first, 3], [later, 40], [later, 8], [later, 1]]
    # the bars link to the run page, which shows what `runs show` prints
    page.click(f'#runs-chart a[data-label="{later}"]')
    page.wait_for_selector("#run-stats")
    assert "reached" in page.inner_text("#run-outcomes") and "responses 40" in page.inner_text(
        "#run-outcomes"
    )
    assert "downloader/response_count" in page.inner_text("#run-stats")
    assert page.locator("#run-chart rect[data-series]").count() == 3
    assert {urlsplit(url).hostname for url in requests} == {"127.0.0.1"}


def test_every_page_fits_a_phone(site: tuple[str, Sample], browser_page: tuple[Any, ...]) -> None:
    base, sample = site
    page = browser_page[0]
    page.set_viewport_size({"width": 390, "height": 844})
    paths = (
        "/", "/search?q=uy+ban", "/search?q=uy+ban&year=2024", f"/article/{sample.ids['origin']}",
        f"/article/{sample.ids['origin']}/diff", "/portals", "/portal/baohoabinh", "/runs",
        f"/run/{sample.ids['run']}", "/nosuch",
    )  # fmt: skip
    for path in paths:
        page.goto(base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
