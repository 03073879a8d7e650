"""Re-extraction from raw captures: changed results become versions, unchanged ones are untouched."""

from __future__ import annotations

from datetime import UTC, datetime

from click.testing import CliRunner
from sqlalchemy import func, select

from crawler.cli.main import main
from pipelines.reextract import reextract
from storage.articles import ArticleData, archive_article
from storage.captures import CaptureData, archive_failure
from storage.models import Article, ArticleFingerprint
from storage.runs import ensure_portal
from storage.text import content_hash
from tests.unit.pipelines.test_pipelines import PARAGRAPHS, article_html

T0 = datetime(2024, 4, 12, 3, 0, tzinfo=UTC)
URL = "https://baoninhthuan.com.vn/thoi-su/so-ket-cong-tac-phong-chong-ma-tuy-1234.html"


def _capture(url: str, body: bytes) -> CaptureData:
    return CaptureData(
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
        portal = ensure_portal(session, "ninhthuan", "Báo Ninh Thuận", "https://baoninhthuan.com.vn/")
        stale = ArticleData(
            url=URL,
            canonical_url=URL,
            text=stale_text,
            content_hash=content_hash(stale_text),
            language="vi",
            language_confidence=0.9,
            title="Tiêu đề cũ",
        )
        archive_article(
            session, _capture(URL, article_html(PARAGRAPHS)), stale, run_id=None, portal_id=portal.id
        )
        archive_failure(
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
        # The recovered page tells the same story (its paragraphs reordered): the dedup stage links it,
        # on fingerprints reextract stored.
        recovered = session.scalars(select(Article).where(Article.url == failed_url)).one()
        assert recovered.status == "duplicate" and recovered.duplicate_of == article.id
        assert recovered.cluster_id == article.cluster_id is not None
        assert session.scalar(select(func.count()).select_from(ArticleFingerprint)) == 2
    assert first.linked == 1

    second = reextract(factory, workers=1, portal="ninhthuan")
    assert (second.changed, second.unchanged, second.recovered, second.linked) == (0, 2, 0, 0)


def test_a_capture_that_fails_now_is_recorded_and_the_run_goes_on(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    broken_url = URL.replace("1234", "4321")
    with factory.begin() as session:
        for url, body in (
            (broken_url, b"%PDF-1.4 \x00\x01 not html any more"),
            (URL, article_html(PARAGRAPHS)),
        ):
            text = "Văn bản đã lưu của bài viết."
            data = ArticleData(
                url=url, canonical_url=url, text=text, content_hash=content_hash(text + url),
                language="vi", language_confidence=0.9,
            )  # fmt: skip
            archive_article(session, _capture(url, body), data, run_id=None, portal_id=None)
    summary = reextract(factory, workers=1)
    assert (summary.examined, summary.failed, summary.changed) == (2, 1, 1)
    assert summary.errors == [f"{broken_url}: binary content (application/pdf)"]
    with factory() as session:
        kept = session.scalars(select(Article).where(Article.url == broken_url)).one()
        assert kept.text == "Văn bản đã lưu của bài viết." and kept.version == 1


def test_reextract_command_since_selects_later_captures(migrated_archive_url: str) -> None:
    from storage.db import open_archive

    archive_url = migrated_archive_url
    engine, factory = open_archive(archive_url)
    with factory.begin() as session:
        for url, fetched in ((URL, T0), (URL.replace("1234", "999"), T0.replace(month=3))):
            failed = _capture(url, article_html(PARAGRAPHS))
            failed.fetched_at = fetched
            archive_failure(
                session, failed, run_id=None, portal_id=None, status="extraction_failed", reason="old bug"
            )
    engine.dispose()
    # 01/04/2024 is day-first: 1 April, so only the capture of 12 April is examined (not the March one).
    result = CliRunner().invoke(
        main, ["reextract", "--db", archive_url, "--workers", "1", "--since", "01/04/2024"]
    )
    assert result.exit_code == 0, result.output
    assert "examined 1: " in result.stdout and "1 recovered" in result.stdout
    missing = CliRunner().invoke(main, ["reextract", "--db", "sqlite:////nonexistent-dir/a.sqlite3"])
    assert missing.exit_code == 1 and "error:" in missing.output
