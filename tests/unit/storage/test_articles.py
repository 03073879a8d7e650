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


def _versions(factory, url: str) -> tuple[Article, list[tuple[int, str, datetime]]]:  # type: ignore[no-untyped-def]
    with factory() as session:
        article = session.scalars(select(Article).where(Article.canonical_url == url)).one()
        rows = session.scalars(
            select(ArticleVersion)
            .where(ArticleVersion.article_id == article.id)
            .order_by(ArticleVersion.version)
        )
        return article, [(v.version, v.text, v.captured_at) for v in rows]


def test_an_older_capture_of_another_text_becomes_version_1(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    url = "https://p.vn/bai-viet-duoc-luu-tru-tu-nam-truoc-77.html"
    crawled, edited, imported = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC), T0
    for at, text, body in ((crawled, "Bản năm 2026.", b"a"), (edited, "Bản sửa năm 2026.", b"b")):
        with factory.begin() as session:
            archive_article(
                session, _capture(url, body, at), _article(url, text), run_id=None, portal_id=None
            )
    with factory.begin() as session:
        outcome = archive_article(
            session,
            _capture(url, b"old", imported),
            _article(url, "Bản năm 2024."),
            run_id=None,
            portal_id=None,
        )
    assert outcome.kind == "earlier_version"
    article, versions = _versions(factory, url)
    assert [(number, text) for number, text, _ in versions] == [
        (1, "Bản năm 2024."), (2, "Bản năm 2026."), (3, "Bản sửa năm 2026."),
    ]  # fmt: skip
    assert [at for *_, at in versions] == sorted(at for *_, at in versions)
    # The article row still shows its latest text; its history starts in 2024.
    assert article.version == 3 and article.text == "Bản sửa năm 2026."
    assert article.first_captured_at == imported and article.captured_at == edited


def test_an_older_capture_of_the_same_text_moves_that_version_back(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    url = "https://p.vn/bai-viet-khong-doi-tu-nam-truoc-78.html"
    with factory.begin() as session:
        archive_article(
            session, _capture(url, b"new", datetime(2026, 3, 1, tzinfo=UTC)), _article(url, "Cùng một bài."),
            run_id=None, portal_id=None,
        )  # fmt: skip
    with factory.begin() as session:
        outcome = archive_article(
            session, _capture(url, b"old", T0), _article(url, "Cùng một bài."), run_id=None, portal_id=None
        )
    assert outcome.kind == "revisit"
    article, versions = _versions(factory, url)
    assert versions == [(1, "Cùng một bài.", T0)]
    assert article.first_captured_at == T0 and article.version == 1


def test_a_capture_between_two_of_the_current_text_is_placed_between_them(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    url = "https://p.vn/bai-viet-sua-roi-sua-lai-79.html"
    first, again, between = (datetime(2026, m, 1, tzinfo=UTC) for m in (3, 5, 4))
    for at, body in ((first, b"a"), (again, b"a2")):
        with factory.begin() as session:
            archive_article(
                session, _capture(url, body, at), _article(url, "Bản A."), run_id=None, portal_id=None
            )
    with factory.begin() as session:
        archive_article(
            session, _capture(url, b"b", between), _article(url, "Bản B."), run_id=None, portal_id=None
        )
    article, versions = _versions(factory, url)
    assert [(number, text) for number, text, _ in versions] == [(1, "Bản A."), (2, "Bản B."), (3, "Bản A.")]
    assert [at for *_, at in versions] == [first, between, again]
    assert article.version == 3 and article.text == "Bản A."
