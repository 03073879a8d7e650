"""Migration 0007 upgrades an existing archive: search columns backfilled, both indexes built, and back."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from storage.db import _alembic_config, make_engine, session_factory
from storage.search.engine import search_articles

ARTICLE = """INSERT INTO articles (id, url, canonical_url, title, sapo, text, categories, tags, date_warnings,
    language, language_confidence, status, content_hash, version, first_captured_at, captured_at,
    search_document, published_at)
VALUES (:id, :url, :url, :title, :sapo, :text, '[]', '[]', '[]', 'vi', 0.9, 'archived', :hash, 1,
    '2024-01-01 00:00:00+00:00', '2024-01-01 00:00:00+00:00', '', '2024-01-01 00:00:00+00:00')"""


def test_upgrade_backfills_search(archive_url: str) -> None:
    engine = make_engine(archive_url)
    config = _alembic_config(engine)
    command.upgrade(config, "0006")
    with engine.begin() as connection:
        for n, (title, body) in enumerate([("Xử phạt nồng độ cồn", "Kiểm tra xe."), ("Nông dân", "Còn đỗ.")]):
            connection.execute(
                text(ARTICLE),
                {"id": n + 1, "url": f"https://x.example/{n}", "title": title, "sapo": "Tin", "text": body,
                 "hash": str(n) * 64},
            )  # fmt: skip
    command.upgrade(config, "head")
    factory = session_factory(engine)
    with factory() as session:
        columns = session.execute(text("SELECT search_title, search_body FROM articles ORDER BY id")).all()
        assert columns[0] == ("xử phạt nồng độ cồn", "kiểm tra xe.")
        assert [hit.id for hit in search_articles(session, "nồng độ cồn").hits][0] == 1
        assert {hit.id for hit in search_articles(session, "nong do con").hits} == {1, 2}
    command.downgrade(config, "0006")
    with engine.connect() as connection:
        documents = (
            connection.execute(text("SELECT search_document FROM articles ORDER BY id")).scalars().all()
        )
    assert "nồng độ cồn" in documents[0]
    engine.dispose()
