"""Schema migrations on archives that hold data: revision 0003 re-canonicalises URLs and merges collisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import Connection, Engine, MetaData, Table, func, insert, select

from pipelines.detect.neardup import signature
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


def _article(canonical: str, text: str, at: datetime, **extra: object) -> dict[str, object]:
    values: dict[str, object] = {
        "url": canonical, "canonical_url": canonical, "text": text, "content_hash": content_hash(text),
        "language": "vi", "language_confidence": 0.9, "status": "archived", "version": 1,
        "first_captured_at": at, "captured_at": at, "search_document": search_key(text),
        "categories": [], "tags": [], "date_warnings": [], "title": text[:20], "published_at": at,
    }  # fmt: skip
    values.update(extra)
    return values


def _old_schema(engine: Engine, revision: str) -> dict[str, Table]:
    """The archive at an earlier revision, and its tables as they were then (not as the models are now)."""
    command.upgrade(_alembic_config(engine), revision)
    metadata = MetaData()
    metadata.reflect(engine)
    return dict(metadata.tables)


def _insert(connection: Connection, table: Table, **values: object) -> int:
    return int(connection.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())


def test_0003_merges_articles_whose_canonical_urls_now_collide(archive_url: str) -> None:
    engine = make_engine(archive_url)
    tables = _old_schema(engine, "0002")
    factory = session_factory(engine)
    first_text, newer_text = "Bản đầu của bài hội nghị.", "Bản đã sửa của bài hội nghị, thêm số liệu."
    articles, clusters = tables["articles"], tables["clusters"]
    with engine.begin() as connection:
        # One article seen two ways before the w3lib identity: unicode path, lowercase escapes.
        ids = {
            "earliest": _insert(
                connection, articles, **_article("http://x.vn/tin-tức/hoi-nghi", first_text, T0)
            ),
            "later": _insert(
                connection,
                articles,
                **_article("https://x.vn/tin-t%e1%bb%a9c/hoi-nghi", newer_text, T0 + timedelta(days=1)),
            ),
            "origin": _insert(
                connection, articles, **_article("https://y.vn/ban-goc", newer_text, T0 - timedelta(days=1))
            ),
            "plain": _insert(
                connection, articles, **_article("http://www.z.vn/bai-khac", "Một bài khác hẳn.", T0)
            ),
        }
        cluster = _insert(connection, clusters, origin_article_id=ids["origin"], created_at=T0)
        connection.execute(
            articles.update()
            .where(articles.c.id.in_([ids["origin"], ids["later"]]))
            .values(cluster_id=cluster)
        )
        connection.execute(
            articles.update()
            .where(articles.c.id == ids["later"])
            .values(status="duplicate", duplicate_of=ids["origin"])
        )
        for name, url, text, at in (
            ("earliest", "http://x.vn/tin-tức/hoi-nghi", first_text, T0),
            ("later", "https://x.vn/tin-t%e1%bb%a9c/hoi-nghi", newer_text, T0 + timedelta(days=1)),
        ):
            _insert(
                connection, tables["captures"], url=url, final_url=url, http_status=200, headers={},
                body_compressed=b"x", body_sha256=name * 8, body_size=1, fetched_at=at, last_fetched_at=at,
                fetch_count=1, status="archived", article_id=ids[name],
            )  # fmt: skip
            _insert(
                connection, tables["article_versions"], article_id=ids[name], version=1,
                content_hash=content_hash(text), title=text[:20], text=text, captured_at=at,
            )  # fmt: skip
        for name, text in (("earliest", first_text), ("later", newer_text), ("origin", newer_text)):
            connection.execute(
                insert(tables["article_fingerprints"]).values(article_id=ids[name], minhash=signature(text))
            )

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
