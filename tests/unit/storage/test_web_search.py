"""The search page: years expanding to months over the archive's whole span, a from/to range, bad dates
shown, an empty result that says why, snippets of unaccented queries marking the phrase."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from storage.models import CrawlRun, Portal
from storage.search.query import parse_query
from storage.search.snippets import snippet
from storage.web.app import create_app
from tests.unit.archive_sample import Sample, archive_row


@pytest.fixture
def client(sample: Sample) -> Iterator[tuple[TestClient, Sample]]:
    # One article two years before the sample's (March 2024), so the year facet has two years.
    engine = create_engine(sample.url)
    with Session(engine) as session, session.begin():
        portal = session.scalars(select(Portal).where(Portal.key == "baohoabinh")).one()
        run = session.get(CrawlRun, sample.ids["run"])
        assert run is not None
        old = archive_row(
            session, portal, run, "cau-cu", "Cầu cũ Hòa Bình", "Ủy ban nhân dân sửa cầu cũ.",
            datetime(2022, 1, 31, 18, 0, tzinfo=UTC), fetched=9,
        )  # fmt: skip
        sample.ids["old"] = old.id
    engine.dispose()
    with TestClient(create_app(sample.url)) as test_client:
        yield test_client, sample


def _facet(page: str, facet: str) -> dict[str, int]:
    pattern = rf'data-facet="{facet}">([^<]+)</a> <span class="count">(\d+)</span>'
    return {label: int(n) for label, n in re.findall(pattern, page)}


def test_years_expand_to_months(client: tuple[TestClient, Sample]) -> None:
    test_client, sample = client
    page = test_client.get("/search", params={"q": "uy ban"}).text
    assert _facet(page, "year") == {"2024": 2, "2022": 1} and _facet(page, "month") == {}
    # 18:00 UTC on 31 January is 1 February in Vietnam
    page = test_client.get("/search", params={"q": "uy ban", "year": "2022"}).text
    assert _facet(page, "year") == {"2024": 2, "2022": 1} and _facet(page, "month") == {"02/2022": 1}
    assert f'href="/article/{sample.ids["old"]}"' in page and f'/article/{sample.ids["origin"]}"' not in page
    page = test_client.get("/search", params={"q": "uy ban", "month": "2022-02"}).text
    assert re.search(r'class="chosen"><a [^>]*data-facet="month">02/2022', page)
    assert f'href="/article/{sample.ids["old"]}"' in page
    # The month names its year: year=2024 left beside it is replaced, not intersected (nothing matched).
    page = test_client.get("/search", params={"q": "uy ban", "year": "2024", "month": "2022-02"}).text
    assert f'href="/article/{sample.ids["old"]}"' in page and f'/article/{sample.ids["origin"]}"' not in page


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("01/02/2022", "28/02/2022", {"old"}),
        ("2024-01-01", "", {"origin", "copy"}),
        ("", "31/12/2023", {"old"}),
    ],
)
def test_date_range(client: tuple[TestClient, Sample], since: str, until: str, expected: set[str]) -> None:
    test_client, sample = client
    page = test_client.get("/search", params={"q": "uy ban", "from": since, "to": until}).text
    found = {name for name in ("old", "origin", "copy") if f'href="/article/{sample.ids[name]}"' in page}
    assert found == expected


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"since": "2024-13-01"},
            "from (từ ngày): &#39;2024-13-01&#39; is not a real date (month must be in 1..12)",
        ),
        ({"to": "31/02/2024"}, "to (đến ngày): &#39;31/02/2024&#39; is not a real date (day is out of range"),
        ({"from": "yesterday"}, "is not a date; use YYYY-MM-DD or DD/MM/YYYY"),
        ({"from": "02/03/2024", "to": "01/03/2024"}, "from 02/03/2024 is after to 01/03/2024"),
        ({"from": "9" * 5000}, "is not a date; use DD/MM/YYYY"),
        ({"from": "01/01/0001"}, "&#39;01/01/0001&#39; is outside the years 1900–2200"),
        ({"month": "2024-13"}, "is not a month; use YYYY-MM"),
        ({"year": "20244"}, "is not a year; use YYYY"),
        ({"portal": "baohoabin"}, "portal (báo): no portal &#39;baohoabin&#39; in this archive"),
        (
            {"status": "archivd"},
            "status (trạng thái): &#39;archivd&#39; is not a status; use one of archived,",
        ),
    ],
)
def test_a_bad_date_is_shown(client: tuple[TestClient, Sample], params: dict[str, str], message: str) -> None:
    response = client[0].get("/search", params={"q": "uy ban", **params})
    assert response.status_code == 400 and 'id="problems"' in response.text
    assert message in response.text, response.text[response.text.find("problems") :][:400]


def test_a_page_past_the_last_says_so(client: tuple[TestClient, Sample]) -> None:
    # It showed "page 5/1" and nothing else: no hit, no hint, no way back but the page numbers.
    response = client[0].get("/search", params={"q": "uy ban", "page": "5", "sort": "date"})
    assert response.status_code == 200
    assert "(page 5 is past the last page)" in response.text
    assert '<a href="/search?q=uy+ban&amp;page=1&amp;sort=date">trang 1' in response.text
    first = client[0].get("/search", params={"q": "uy ban"}).text
    assert 'id="past-last"' not in first and 'class="hit"' in first


def test_empty_result_says_why(client: tuple[TestClient, Sample]) -> None:
    test_client = client[0]
    page = test_client.get("/search", params={"q": 'cầu "sông Hồng', "portal": "baolaocai"}).text
    assert 'id="no-results"' in page and "0 kết quả" in page
    assert "unclosed quote" in page and "try without accents" in page and "try fewer words" in page
    assert "clear the filters" in page
    # no facet heading without values
    assert "<h3>" not in page


def test_unaccented_snippet_marks_the_phrase() -> None:
    text = "Chúng tôi thăm khu nhà cũ. Người dân ở chung cư Đông Hà đã chuyển đi, chung cư mới khang trang."
    marked = [piece for piece, hit in snippet(text, parse_query("chung cu")).segments if hit]
    assert marked == ["chung", "cư", "chung", "cư"]
    # a word of the query that no phrase of the text holds keeps all its hits
    marked = [piece for piece, hit in snippet(text, parse_query("nha moi")).segments if hit]
    assert marked == ["nhà", "mới"]
