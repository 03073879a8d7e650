"""Re-extraction from raw captures: changed results become versions, unchanged ones are untouched."""

from __future__ import annotations

from datetime import UTC, datetime

from click.testing import CliRunner
from sqlalchemy import select

from crawler.cli import main
from pipelines.reextract import reextract
from storage import repository
from storage.models import Article
from storage.text import content_hash
from tests.unit.test_pipelines import PARAGRAPHS, article_html

T0 = datetime(2024, 4, 12, 3, 0, tzinfo=UTC)
URL = "https://baoninhthuan.com.vn/thoi-su/so-ket-cong-tac-phong-chong-ma-tuy-1234.html"


def _capture(url: str, body: bytes) -> repository.CaptureData:
    return repository.CaptureData(
        url=url,
        final_url=url,
        http_status=200,
        headers={},
        body=body,
        content_type="text/html; charset=utf-8",
        discovered_via="listing",
        fetched_at=T0,
    )


def test_reextract_versions_changed_articles_and_recovers_failures(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    stale_text = "Văn bản cũ do một quy tắc trích xuất lỗi tạo ra."
    failed_url = URL.replace("1234", "5678")
    with factory.begin() as session:
        portal = repository.ensure_portal(
            session, "ninhthuan", "Báo Ninh Thuận", "https://baoninhthuan.com.vn/"
        )
        stale = repository.ArticleData(
            url=URL,
            canonical_url=URL,
            text=stale_text,
            content_hash=content_hash(stale_text),
            language="vi",
            language_confidence=0.9,
            title="Tiêu đề cũ",
        )
        repository.archive_article(
            session, _capture(URL, article_html(PARAGRAPHS)), stale, run_id=None, portal_id=portal.id
        )
        repository.archive_failure(
            session,
            _capture(failed_url, article_html(PARAGRAPHS[::-1])),
            run_id=None,
            portal_id=portal.id,
            status="extraction_failed",
            reason="old bug",
        )

    first = reextract(factory, workers=1)
    assert (first.examined, first.changed, first.recovered) == (2, 1, 1)
    with factory() as session:
        article = session.scalars(select(Article).where(Article.canonical_url == URL)).one()
        assert article.version == 2 and "35 vụ với 52 đối tượng" in article.text
        assert (
            article.published_at is not None
            and article.published_at.isoformat() == "2024-04-12T01:30:00+00:00"
        )
        assert [v.text for v in article.versions][0] == stale_text
        assert session.scalars(select(Article).where(Article.url == failed_url)).one().status == "archived"

    second = reextract(factory, workers=1, portal="ninhthuan")
    assert (second.changed, second.unchanged, second.recovered) == (0, 2, 0)


def test_reextract_command(archive_url: str, tmp_path: object) -> None:
    from storage.db import open_archive

    engine, _ = open_archive(archive_url, create=True)
    engine.dispose()
    result = CliRunner().invoke(
        main, ["reextract", "--db", archive_url, "--workers", "1", "--since", "01/04/2024"]
    )
    assert result.exit_code == 0, result.output
    assert "examined 0" in result.output
    missing = CliRunner().invoke(main, ["reextract", "--db", "sqlite:////nonexistent-dir/a.sqlite3"])
    assert missing.exit_code == 1 and "error:" in missing.output
