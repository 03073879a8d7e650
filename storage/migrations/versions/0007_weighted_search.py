"""weighted search: title, sapo and body indexed apart, with and without diacritics; capture request data

Revision ID: 0007
Revises: 0006

articles.search_document (title, sapo and body folded into one text) becomes three columns,
search_title, search_sapo and search_body (storage.search.fields.search_fields, written only by
storage.articles), so ranking can weigh a title match above a body match. Each is indexed twice: without
diacritics (every spelling matches: "nong do con" finds "nồng độ cồn" and "nông đỗ còn") and as typed
(an accented query ranks exact-diacritic matches first).

SQLite: two contentless FTS5 tables kept in sync by triggers; PostgreSQL: two generated, weighted
tsvector columns (title A, sapo B, body C) with GIN indexes. Existing archives are backfilled.

captures gains request_headers (JSON) and protocol ("HTTP/1.1"), nullable: captures archived before
this revision have neither, and the WARC export says so.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.text import search_key

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Lowercase Vietnamese letters with diacritics and their bare letters (the search columns are lowercase).
VI_ACCENTED = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
VI_BARE = "aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd"
COLUMNS = ("search_title", "search_sapo", "search_body")
# Articles folded per round trip while backfilling the new columns.
BACKFILL_BATCH = 2000


def _fts_tables() -> list[str]:
    # unicode61 with remove_diacritics 2 strips every mark (ồ -> o), but "đ" is a letter of its own, so
    # the folded table is fed the text with đ replaced by d. Both tables are contentless (content=''):
    # the text lives in articles; the tables hold only the index.
    return [
        """CREATE VIRTUAL TABLE articles_fts USING fts5(
            search_title, search_sapo, search_body, content='',
            tokenize='unicode61 remove_diacritics 2')""",
        """CREATE VIRTUAL TABLE articles_fts_exact USING fts5(
            search_title, search_sapo, search_body, content='',
            tokenize='unicode61 remove_diacritics 0')""",
    ]


def _values(prefix: str, folded: bool) -> str:
    if folded:
        return ", ".join(f"replace({prefix}.{name}, 'đ', 'd')" for name in COLUMNS)
    return ", ".join(f"{prefix}.{name}" for name in COLUMNS)


def _fts_triggers() -> list[str]:
    names = ", ".join(COLUMNS)
    statements = []
    for table, folded in (("articles_fts", True), ("articles_fts_exact", False)):
        insert = f"INSERT INTO {table}(rowid, {names}) VALUES (new.id, {_values('new', folded)});"
        delete = (
            f"INSERT INTO {table}({table}, rowid, {names}) "
            f"VALUES ('delete', old.id, {_values('old', folded)});"
        )
        statements += [
            f"CREATE TRIGGER {table}_insert AFTER INSERT ON articles BEGIN {insert} END",
            f"CREATE TRIGGER {table}_delete AFTER DELETE ON articles BEGIN {delete} END",
            f"CREATE TRIGGER {table}_update AFTER UPDATE OF {names} ON articles BEGIN {delete} {insert} END",
        ]
    return statements


def _weighted_vector(folded: bool) -> str:
    parts = []
    for name, weight in zip(COLUMNS, "ABC", strict=True):
        source = f"translate({name}, '{VI_ACCENTED}', '{VI_BARE}')" if folded else name
        parts.append(f"setweight(to_tsvector('simple', {source}), '{weight}')")
    return " || ".join(parts)


def _backfill(bind: Any) -> None:
    articles = sa.table(
        "articles", sa.column("id"), sa.column("title"), sa.column("sapo"), sa.column("text"),
        *(sa.column(name) for name in COLUMNS),
    )  # fmt: skip
    last = 0
    while True:
        rows = bind.execute(
            sa.select(articles.c.id, articles.c.title, articles.c.sapo, articles.c.text)
            .where(articles.c.id > last)
            .order_by(articles.c.id)
            .limit(BACKFILL_BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            articles.update().where(articles.c.id == sa.bindparam("row_id")),
            [
                {
                    "row_id": row.id,
                    "search_title": search_key(row.title or ""),
                    "search_sapo": search_key(row.sapo or ""),
                    "search_body": search_key(row.text or ""),
                }
                for row in rows
            ],
        )
        last = rows[-1].id


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "sqlite":
        for name in ("articles_fts_insert", "articles_fts_delete", "articles_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_search")
        op.execute("ALTER TABLE articles DROP COLUMN IF EXISTS search_vector")
    with op.batch_alter_table("articles") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))
    _backfill(bind)
    if dialect == "sqlite":
        # SQLite >= 3.35 drops a column in place; a batch copy of a large articles table is not needed.
        op.execute("ALTER TABLE articles DROP COLUMN search_document")
        for statement in _fts_tables() + _fts_triggers():
            op.execute(statement)
        names = ", ".join(COLUMNS)
        op.execute(
            f"INSERT INTO articles_fts(rowid, {names}) SELECT id, {_values('articles', True)} FROM articles"
        )
        op.execute(f"INSERT INTO articles_fts_exact(rowid, {names}) SELECT id, {names} FROM articles")
    else:
        op.execute("ALTER TABLE articles DROP COLUMN search_document")
        if dialect == "postgresql":
            for column, folded in (("search_vector", True), ("search_vector_exact", False)):
                op.execute(
                    f"ALTER TABLE articles ADD COLUMN {column} tsvector "
                    f"GENERATED ALWAYS AS ({_weighted_vector(folded)}) STORED"
                )
            op.execute("CREATE INDEX ix_articles_search ON articles USING gin (search_vector)")
            op.execute("CREATE INDEX ix_articles_search_exact ON articles USING gin (search_vector_exact)")
    with op.batch_alter_table("captures") as batch:
        batch.add_column(sa.Column("request_headers", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("protocol", sa.String(length=16), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    with op.batch_alter_table("captures") as batch:
        batch.drop_column("protocol")
        batch.drop_column("request_headers")
    if dialect == "sqlite":
        for table in ("articles_fts", "articles_fts_exact"):
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{event}")
            op.execute(f"DROP TABLE IF EXISTS {table}")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_search_exact")
        op.execute("DROP INDEX IF EXISTS ix_articles_search")
        op.execute("ALTER TABLE articles DROP COLUMN IF EXISTS search_vector_exact")
        op.execute("ALTER TABLE articles DROP COLUMN IF EXISTS search_vector")
    op.execute("ALTER TABLE articles ADD COLUMN search_document TEXT NOT NULL DEFAULT ''")
    joined = "search_title || char(10) || search_sapo || char(10) || search_body"
    if dialect == "postgresql":
        joined = "concat_ws(E'\\n', search_title, search_sapo, search_body)"
    op.execute(f"UPDATE articles SET search_document = {joined}")
    for name in COLUMNS:
        op.execute(f"ALTER TABLE articles DROP COLUMN {name}")
    if dialect == "sqlite":
        op.execute(
            """CREATE VIRTUAL TABLE articles_fts USING fts5(
            search_document, content='articles', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2')"""
        )
        op.execute(
            """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
            INSERT INTO articles_fts(rowid, search_document) VALUES (new.id, new.search_document); END"""
        )
        op.execute(
            """CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
            INSERT INTO articles_fts(articles_fts, rowid, search_document)
            VALUES ('delete', old.id, old.search_document); END"""
        )
        op.execute(
            """CREATE TRIGGER articles_fts_update AFTER UPDATE OF search_document ON articles BEGIN
            INSERT INTO articles_fts(articles_fts, rowid, search_document)
            VALUES ('delete', old.id, old.search_document);
            INSERT INTO articles_fts(rowid, search_document) VALUES (new.id, new.search_document); END"""
        )
        op.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
    elif dialect == "postgresql":
        op.execute(
            "ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            f"(to_tsvector('simple', translate(search_document, '{VI_ACCENTED}', '{VI_BARE}'))) STORED"
        )
        op.execute("CREATE INDEX ix_articles_search ON articles USING gin (search_vector)")
