"""Schema migrations on archives that hold data: revision 0003 re-canonicalises URLs and merges collisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import func, select

from pipelines.neardup import signature
from storage import fingerprints
from storage.db import _alembic_config, make_engine, session_factory, upgrade
from storage.models import (
    Article,
    ArticleBand,
    ArticleFingerprint,
    ArticleVersion,
    Capture,
    Cluster,
)
from storage.text import content_hash, search_key

T0 = datetime(2024, 4, 12, 1, 30, tzinfo=UTC)


def _article(canonical: str, text: str, at: datetime, **extra: object) -> Article:
    values: dict[str, object] = {
        "url": canonical, "canonical_url": canonical, "text": text, "content_hash": content_hash(text),
        "language": "vi", "language_confidence": 0.9, "status": "archived", "version": 1,
        "first_captured_at": at, "captured_at": at, "search_document": search_key(text),
        "categories": [], "tags": [], "date_warnings": [], "title": text[:20], "published_at": at,
    }  # fmt: skip
    values.update(extra)
    return Article(**values)


def _capture(url: str, article_id: int, at: datetime) -> Capture:
    return Capture(
        url=url, final_url=url, http_status=200, headers={}, body_compressed=b"x", body_sha256=url[-12:] * 5,
        body_size=1, fetched_at=at, last_fetched_at=at, status="archived", article_id=article_id,
    )  # fmt: skip


def test_0003_merges_articles_whose_canonical_urls_now_collide(archive_url: str) -> None:
    engine = make_engine(archive_url)
    command.upgrade(_alembic_config(engine), "0002")
    factory = session_factory(engine)
    first_text, newer_text = "Bản đầu của bài hội nghị.", "Bản đã sửa của bài hội nghị, thêm số liệu."
    with factory.begin() as session:
        # One article seen three ways before the w3lib identity: unicode path, lowercase escapes, www.
        earliest = _article("http://x.vn/tin-tức/hoi-nghi", first_text, T0)
        later = _article("https://x.vn/tin-t%e1%bb%a9c/hoi-nghi", newer_text, T0 + timedelta(days=1))
        origin = _article("https://y.vn/ban-goc", newer_text, T0 - timedelta(days=1))
        plain = _article("http://www.z.vn/bai-khac", "Một bài khác hẳn.", T0)
        session.add_all([earliest, later, origin, plain])
        session.flush()
        cluster = Cluster(origin_article_id=origin.id)
        session.add(cluster)
        session.flush()
        origin.cluster_id = later.cluster_id = cluster.id
        later.status, later.duplicate_of = "duplicate", origin.id
        for row in (earliest, later):
            session.add(_capture(row.url, row.id, row.first_captured_at))
            session.add(
                ArticleVersion(
                    article_id=row.id,
                    version=1,
                    content_hash=row.content_hash,
                    title=row.title,
                    text=row.text,
                    capture_id=None,
                    captured_at=row.first_captured_at,
                )  # fmt: skip
            )
        for row in (earliest, later, origin):
            session.add(ArticleFingerprint(article_id=row.id, minhash=signature(row.text)))
        ids = {"earliest": earliest.id, "later": later.id, "origin": origin.id, "plain": plain.id}

    upgrade(engine)

    with factory() as session:
        rows = {a.id: a for a in session.scalars(select(Article))}
        assert set(rows) == {ids["earliest"], ids["origin"], ids["plain"]}  # the later row was merged
        merged = rows[ids["earliest"]]
        assert merged.canonical_url == "https://x.vn/tin-t%E1%BB%A9c/hoi-nghi"
        assert rows[ids["plain"]].canonical_url == "https://z.vn/bai-khac"
        # Both captures and both versions are kept; the newest text is current.
        captures = session.scalars(select(Capture.article_id)).all()
        assert captures == [ids["earliest"], ids["earliest"]]
        history = session.scalars(
            select(ArticleVersion)
            .where(ArticleVersion.article_id == merged.id)
            .order_by(ArticleVersion.version)
        ).all()
        assert [(v.version, v.text) for v in history] == [(1, first_text), (2, newer_text)]
        assert (merged.version, merged.text) == (2, newer_text)
        assert merged.first_captured_at == T0 and merged.captured_at == T0 + timedelta(days=1)
        # The merged row took the later row's place in its cluster, behind the earlier-published origin.
        assert merged.cluster_id == rows[ids["origin"]].cluster_id is not None
        assert merged.status == "duplicate" and merged.duplicate_of == ids["origin"]
        assert session.scalars(select(Cluster.origin_article_id)).all() == [ids["origin"]]
        # The current text's signature, indexed in bands.
        kept = session.get(ArticleFingerprint, merged.id)
        assert kept is not None and kept.minhash == signature(newer_text)
        assert session.scalar(select(func.count()).select_from(ArticleFingerprint)) == 2
        bands = session.scalar(select(func.count()).select_from(ArticleBand))
        assert bands == len(set(fingerprints.band_keys(signature(newer_text)))) * 2
    engine.dispose()
