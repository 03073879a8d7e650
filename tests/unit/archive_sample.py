"""A small archive written through the real archive path, and a runner for the commands that read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from storage.articles import ArticleData, archive_article
from storage.captures import CaptureData, archive_failure
from storage.cli.article import cite_command, show_command
from storage.cli.base import CommandGroup
from storage.cli.export import export_command
from storage.cli.health import health_command
from storage.cli.runs import runs_command
from storage.cli.search import search_command
from storage.models import Article, Capture, Cluster, CrawlRun, Portal
from storage.text import content_hash

T0 = datetime(2024, 3, 1, 1, 30, tzinfo=UTC)  # 08:30 on 1 March 2024 in Vietnam


def group() -> click.Group:
    """Return a group of the commands that only read the archive, as `newsarchive` runs them (without
    the crawler)."""
    commands = [export_command, search_command, show_command, runs_command, cite_command, health_command]
    return CommandGroup("newsarchive", commands=commands)


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(group(), list(args), env=env)


@dataclass
class Sample:
    url: str
    ids: dict[str, int]


def overwrite_article(sample: Sample, name: str, **columns: object) -> None:
    """Set ``columns`` of the sample article ``name`` in its database directly, as whatever a portal
    sent (a title with markup, escape sequences) would have been archived."""
    engine = create_engine(sample.url)
    assignments = ", ".join(f"{column} = :{column}" for column in columns)
    with engine.begin() as connection:
        connection.execute(
            text(f"UPDATE articles SET {assignments} WHERE id = :id"), {**columns, "id": sample.ids[name]}
        )
    engine.dispose()


def archive_row(
    session: Session,
    portal: Portal,
    run: CrawlRun,
    slug: str,
    title: str,
    text: str,
    published: datetime | None,
    *,
    fetched: int = 6,
    body: bytes | None = None,
    **extra: object,
) -> Article:
    """Archive one article through the real archive path (which also writes its search fields)."""
    url = f"{portal.home_url}/{slug}.htm?utm=x"
    language = str(extra.pop("language", "vi"))
    capture = CaptureData(
        url=url, final_url=url, http_status=200,
        headers={"Content-Type": ["text/html; charset=utf-8"], "Content-Length": ["999"]},
        body=body or f"<html><title>{title}</title><p>{text}</p></html>".encode(),
        content_type="text/html; charset=utf-8", discovered_via="sitemap",
        fetched_at=T0 + timedelta(hours=fetched),
        request_headers={"User-Agent": ["newsarchive-test"], "Accept": ["text/html"]}, protocol="HTTP/1.1",
    )  # fmt: skip
    data = ArticleData(
        url=url, canonical_url=f"{portal.home_url}/{slug}.htm", text=text, content_hash=content_hash(text),
        language=language, language_confidence=0.99, title=title, published_at=published,
        off_language_reason="detected en" if language != "vi" else None, **extra,  # type: ignore[arg-type]
    )  # fmt: skip
    outcome = archive_article(session, capture, data, run_id=run.id, portal_id=portal.id)
    article = session.get(Article, outcome.article_id)
    assert article is not None
    return article


def failed_capture(session: Session, portal: Portal, run: CrawlRun, url: str, n: int) -> Capture:
    data = CaptureData(
        url=url, final_url=url, http_status=200, headers={}, body=b"<html></html>" + bytes([n]),
        content_type="text/html", discovered_via="sitemap", fetched_at=T0 + timedelta(hours=n),
    )  # fmt: skip
    outcome = archive_failure(
        session, data, run_id=run.id, portal_id=portal.id, status="extraction_failed",
        reason="no text extracted",
    )  # fmt: skip
    capture = session.get(Capture, outcome.capture_id)
    assert capture is not None
    return capture


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
        head = dict(
            sapo="Cây cầu nối hai bờ sông.", author="Minh Anh", categories=["Thời sự", "Kinh tế"],
            tags=["cầu"], date_raw="01/03/2024 08:30", date_source="meta",
            date_warnings=["time zone assumed"],
        )  # fmt: skip
        # Version 1, then the same URL with an edited title and text: version 2.
        archive_row(
            session, hb, run, "khoi-cong-cau", "Hòa Bình khởi công cầu",
            "Ủy ban nhân dân tỉnh Hòa Bình khởi công cầu qua sông Đà.", T0, fetched=1, **head,
        )  # fmt: skip
        origin = archive_row(
            session, hb, run, "khoi-cong-cau", "Hòa Bình khởi công cầu mới",
            "Ủy ban nhân dân tỉnh Hòa Bình khởi công cầu qua sông Đà.\nCầu dài 300 mét.", T0, fetched=2,
            **head,
        )  # fmt: skip
        copy = archive_row(
            session, lc, run, "hoa-binh-khoi-cong-cau", "Hòa Bình khởi công cầu mới (theo Báo Hòa Bình)",
            "Ủy ban nhân dân tỉnh Hòa Bình khởi công cầu qua sông Đà, theo báo bạn.", T0 + timedelta(hours=4),
            fetched=4,
        )  # fmt: skip
        # 18:00 UTC on 28 Feb is 01:00 on 29 Feb in Vietnam: the day filters must use Vietnam time.
        blossom = archive_row(
            session, lc, run, "mua-hoa-dao", "Lào Cai mùa hoa đào", "Hoa đào nở rộ khắp Sa Pa, khoẻ khoắn.",
            datetime(2024, 2, 28, 18, 0, tzinfo=UTC), fetched=5,
        )  # fmt: skip
        duplicate = archive_row(session, hb, run, "khoi-cong-cau-2", "Hòa Bình khởi công cầu mới",
                             "Bản sao lúa gạo.", T0, fetched=7)  # fmt: skip
        english = archive_row(
            session,
            hb,
            run,
            "english",
            "Hoa Binh news",
            "English text about rice.",
            T0,
            fetched=8,
            language="en",
        )
        failed = failed_capture(session, hb, run, "https://baohoabinh.example/broken.htm", 3)
        # Cluster membership is the dedup stage's business; set it as that stage leaves it.
        origin.cluster_id = copy.cluster_id = cluster.id
        cluster.origin_article_id = origin.id
        duplicate.status, duplicate.duplicate_of = "duplicate", origin.id
        first = session.scalars(
            select(Capture).where(Capture.article_id == origin.id).order_by(Capture.id)
        ).first()
        assert first is not None
        ids = {
            "origin": origin.id, "copy": copy.id, "blossom": blossom.id, "duplicate": duplicate.id,
            "english": english.id, "failed_capture": failed.id, "capture1": first.id, "run": run.id,
        }  # fmt: skip
    return Sample(str(engine.url.render_as_string(hide_password=False)), ids)
