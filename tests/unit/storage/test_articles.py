"""The archive's write rules on SQLite and PostgreSQL: idempotent, versioned, failures kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage.articles import ArticleData, archive_article
from storage.captures import CaptureData, archive_failure, capture_body
from storage.models import Article, ArticleVersion, Capture
from storage.runs import ensure_portal
from storage.text import content_hash

T0 = datetime(2024, 4, 12, 1, 30, tzinfo=UTC)


def _capture(url: str, body: bytes, at: datetime = T0) -> CaptureData:
    return CaptureData(
        url=url,
        final_url=url,
        http_status=200,
        headers={"Content-Type": ["text/html"]},
        body=body,
        content_type="text/html",
        discovered_via="listing",
        fetched_at=at,
    )


def _article(url: str, text: str, published: datetime | None = T0, language: str = "vi") -> ArticleData:
    return ArticleData(
        url=url,
        canonical_url=url,
        text=text,
        content_hash=content_hash(text),
        language=language,
        language_confidence=0.99,
        title="Hội nghị sơ kết",
        published_at=published,
    )


def test_unchanged_article_is_one_row_across_crawls(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    url = "https://p.vn/hoi-nghi-so-ket-cong-tac-1234.html"
    for day in range(3):
        with factory.begin() as session:
            portal = ensure_portal(session, "p", "Báo P", "https://p.vn/")
            outcome = archive_article(
                session,
                _capture(url, b"<html>same</html>", T0 + timedelta(days=day)),
                _article(url, "Nội dung bài viết."),
                run_id=None,
                portal_id=portal.id,
            )
        assert outcome.kind == ("new" if day == 0 else "revisit")
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 1
        assert session.scalar(select(func.count()).select_from(ArticleVersion)) == 1
        capture = session.scalars(select(Capture)).one()
        assert capture.fetch_count == 3
        assert capture.last_fetched_at == T0 + timedelta(days=2)
        assert capture_body(capture) == b"<html>same</html>"


def test_changed_article_gets_a_new_version(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    url = "https://p.vn/bai-viet-duoc-sua-lai-sau-khi-dang-99.html"
    with factory.begin() as session:
        archive_article(session, _capture(url, b"v1"), _article(url, "Bản đầu."), run_id=None, portal_id=None)
    with factory.begin() as session:
        outcome = archive_article(
            session, _capture(url, b"v2"), _article(url, "Bản đã sửa."), run_id=None, portal_id=None
        )
    assert outcome.kind == "version"
    with factory() as session:
        article = session.scalars(select(Article)).one()
        assert article.version == 2 and article.text == "Bản đã sửa."
        assert [v.text for v in article.versions] == ["Bản đầu.", "Bản đã sửa."]


def test_nfd_copy_hashes_like_nfc() -> None:
    import unicodedata

    text = "Hội nghị Ban Chấp hành Đảng bộ tỉnh Khánh Hòa"
    assert content_hash(unicodedata.normalize("NFD", text)) == content_hash(text)


def test_failures_and_off_language_are_kept(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    with factory.begin() as session:
        failed = archive_failure(
            session,
            _capture("https://p.vn/tai-lieu-1234.html", b"%PDF-1.4 \x00\x01"),
            run_id=None,
            portal_id=None,
            status="extraction_failed",
            reason="binary content (application/pdf)",
        )
        english = _article(
            "https://p.vn/english-news-page-about-tourism.html", "Tourism grows.", language="en"
        )
        english.off_language_reason = "language en (0.99)"
        off = archive_article(session, _capture(english.url, b"en"), english, run_id=None, portal_id=None)
    assert failed.status == "extraction_failed" and off.status == "off_language"
    with factory() as session:
        capture = session.get(Capture, failed.capture_id)
        assert capture is not None and capture.reason == "binary content (application/pdf)"
        assert capture_body(capture) == b"%PDF-1.4 \x00\x01"
        assert session.scalars(select(Article.status)).all() == ["off_language"]


def test_naive_datetimes_are_refused(archive) -> None:  # type: ignore[no-untyped-def]
    import pytest
    from sqlalchemy.exc import StatementError

    _, factory = archive
    article = _article(
        "https://p.vn/bai-khong-co-mui-gio-1234.html", "Văn bản.", published=datetime(2024, 4, 12)
    )
    with pytest.raises(StatementError, match="naive datetime"), factory.begin() as session:
        archive_article(session, _capture(article.url, b"x"), article, run_id=None, portal_id=None)


def test_a_new_version_in_another_language_becomes_off_language(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    url = "https://p.vn/bai-viet-bi-thay-bang-ban-tieng-anh-99.html"
    with factory.begin() as session:
        archive_article(
            session, _capture(url, b"v1"), _article(url, "Bản tiếng Việt."), run_id=None, portal_id=None
        )
    english = _article(url, "An English replacement text.", language="en")
    english.off_language_reason = "language en (0.99)"
    with factory.begin() as session:
        outcome = archive_article(session, _capture(url, b"v2"), english, run_id=None, portal_id=None)
    assert (outcome.kind, outcome.status) == ("version", "off_language")
    with factory() as session:
        article = session.scalars(select(Article)).one()
        assert article.version == 2 and article.reason == "language en (0.99)"


def test_page_values_of_any_length_are_archived(archive) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL refused a Content-Type over 200 characters, a URL over 2,000, an author over 500: the
    page left no row. Now nothing a page sends is too long (URLs beyond an index entry are indexed by
    hash), on both backends."""
    _, factory = archive
    url = "https://p.vn/tin/" + "duong-dan-rat-dai-" * 400 + "1.html"  # 7,000+ characters
    data = _capture(url, b"<html>long</html>")
    data.content_type = "text/html; charset=utf-8; x=" + "y" * 300
    article = _article(url, "Nội dung bài viết.")
    article.author, article.image = "Nhóm phóng viên " * 50, "https://p.vn/" + "a" * 3000 + ".jpg"
    with factory.begin() as session:
        first = archive_article(session, data, article, run_id=None, portal_id=None)
    with factory.begin() as session:
        again = archive_article(session, data, article, run_id=None, portal_id=None)
    assert (first.kind, again.kind) == ("new", "revisit")
    with factory() as session:
        capture = session.scalars(select(Capture)).one()
        stored = session.scalars(select(Article)).one()
    assert capture.final_url == url and capture.url.startswith(url[:2000]) and "#sha256=" in capture.url
    assert len(capture.content_type or "") > 300 and stored.author == article.author
