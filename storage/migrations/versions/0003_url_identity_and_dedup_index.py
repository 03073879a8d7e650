"""one URL identity (w3lib canonical URLs, merged collisions) and the dedup band index and queue

Revision ID: 0003
Revises: 0002

Existing articles get the canonical URL storage.urls.canonical_url gives their stored one today
(percent-encoding, scheme, edition hosts folded). Articles that now share a canonical URL are merged into
the earliest captured one: every capture moves to it, every version is kept (renumbered in capture
order), the newest text becomes the current one, cluster links and duplicate_of pointers follow, and the
cluster's origin is elected again. Signatures get their LSH band keys (storage.fingerprints).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.fingerprints import band_keys
from storage.urls import canonical_url

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

_meta = sa.MetaData()
articles = sa.Table(
    "articles",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    *(
        sa.Column(name, sa.String)
        for name in (
            "url",
            "canonical_url",
            "title",
            "sapo",
            "text",
            "author",
            "image",
            "site_name",
            "date_raw",
            "date_source",
            "language",
            "status",
            "reason",
            "content_hash",
            "search_document",
        )
    ),  # fmt: skip
    *(sa.Column(name, sa.JSON) for name in ("categories", "tags", "date_warnings")),
    *(
        sa.Column(name, sa.DateTime)
        for name in ("published_at", "updated_at", "first_captured_at", "captured_at")
    ),
    sa.Column("language_confidence", sa.Float),
    sa.Column("cluster_id", sa.Integer),
    sa.Column("duplicate_of", sa.Integer),
    sa.Column("version", sa.Integer),
)
captures = sa.Table(
    "captures", _meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("article_id", sa.Integer)
)
versions = sa.Table(
    "article_versions",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("article_id", sa.Integer),
    sa.Column("version", sa.Integer),
    sa.Column("captured_at", sa.DateTime),
)
fingerprint_rows = sa.Table(
    "article_fingerprints",
    _meta,
    sa.Column("article_id", sa.Integer, primary_key=True),
    sa.Column("minhash", sa.LargeBinary),
)
clusters = sa.Table(
    "clusters",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("origin_article_id", sa.Integer),
)
# The article's content: what the newest of merged rows contributes to the surviving row.
_CONTENT = (
    "url", "title", "sapo", "text", "author", "categories", "tags", "image", "site_name", "published_at",
    "updated_at", "date_raw", "date_source", "date_warnings", "language", "language_confidence",
    "content_hash", "search_document",
)  # fmt: skip
_LINKABLE = ("archived", "duplicate")


def upgrade() -> None:
    op.create_table(
        "article_bands",
        sa.Column("band_key", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_bands_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("band_key", "article_id", name=op.f("pk_article_bands")),
    )
    op.create_index(op.f("ix_article_bands_article_id"), "article_bands", ["article_id"])
    op.create_table(
        "dedup_queue",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_dedup_queue_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_dedup_queue")),
    )
    lock = op.create_table(
        "dedup_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dedup_lock")),
    )
    op.bulk_insert(lock, [{"id": 1, "taken_at": None}])
    connection = op.get_bind()
    merged, renamed = recanonicalise(connection)
    if merged or renamed:
        logger.info("canonical URLs: %d articles renamed, %d merged into an earlier row", renamed, merged)
    bands = sa.table("article_bands", sa.column("band_key"), sa.column("article_id"))
    rows = connection.execute(sa.select(fingerprint_rows.c.article_id, fingerprint_rows.c.minhash)).all()
    batch: list[dict[str, int]] = []
    for article_id, minhash in rows:
        batch += [
            {"band_key": key, "article_id": article_id} for key in dict.fromkeys(band_keys(bytes(minhash)))
        ]
        if len(batch) >= 10_000:
            connection.execute(bands.insert(), batch)
            batch = []
    if batch:
        connection.execute(bands.insert(), batch)


def downgrade() -> None:
    # Merged articles stay merged: the earlier canonical URLs are not recoverable, nor needed.
    op.drop_table("dedup_lock")
    op.drop_table("dedup_queue")
    op.drop_index(op.f("ix_article_bands_article_id"), table_name="article_bands")
    op.drop_table("article_bands")


def recanonicalise(connection: sa.Connection) -> tuple[int, int]:
    """Give every article today's canonical URL, merging rows that collide; return (merged, renamed)."""
    rows = connection.execute(
        sa.select(articles.c.id, articles.c.canonical_url, articles.c.first_captured_at)
    ).all()
    groups: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        groups[canonical_url(row.canonical_url)].append(row)
    merged = 0
    for members in groups.values():
        if len(members) > 1:
            ordered = sorted(members, key=lambda r: (r.first_captured_at, r.id))
            _merge(connection, ordered[0].id, [r.id for r in ordered[1:]])
            merged += len(ordered) - 1
    # Only now: a survivor's new URL may be a merged row's old one, which must be gone first.
    renamed = 0
    for key, members in groups.items():
        survivor = min(members, key=lambda r: (r.first_captured_at, r.id))
        if survivor.canonical_url != key:
            connection.execute(
                articles.update().where(articles.c.id == survivor.id).values(canonical_url=key)
            )
            renamed += 1
    return merged, renamed


def _merge(connection: sa.Connection, survivor: int, others: Sequence[int]) -> None:
    ids = [survivor, *others]
    rows = {r.id: r for r in connection.execute(sa.select(articles).where(articles.c.id.in_(ids)))}
    connection.execute(captures.update().where(captures.c.article_id.in_(others)).values(article_id=survivor))
    # Every version is kept, renumbered in capture order (negative first: (article, version) is unique).
    history = connection.execute(
        sa.select(versions.c.id)
        .where(versions.c.article_id.in_(ids))
        .order_by(versions.c.captured_at, versions.c.id)
    ).all()
    for (version_id,) in history:
        connection.execute(versions.update().where(versions.c.id == version_id).values(version=-version_id))
    for number, (version_id,) in enumerate(history, start=1):
        connection.execute(
            versions.update().where(versions.c.id == version_id).values(article_id=survivor, version=number)
        )
    newest = max(rows.values(), key=lambda r: (r.captured_at, r.id))
    values: dict[str, Any] = {
        "version": max(1, len(history)),
        "first_captured_at": min(r.first_captured_at for r in rows.values()),
        "captured_at": newest.captured_at,
    }
    if newest.id != survivor:
        values.update({name: getattr(newest, name) for name in _CONTENT})
        if {rows[survivor].status, newest.status} <= {"archived", "off_language"}:
            values.update(status=newest.status, reason=newest.reason)
        # The signature of the text that is now current.
        connection.execute(fingerprint_rows.delete().where(fingerprint_rows.c.article_id == survivor))
        connection.execute(
            fingerprint_rows.update()
            .where(fingerprint_rows.c.article_id == newest.id)
            .values(article_id=survivor)
        )
    connection.execute(articles.update().where(articles.c.id == survivor).values(**values))
    connection.execute(
        articles.update().where(articles.c.duplicate_of.in_(others)).values(duplicate_of=survivor)
    )
    connection.execute(
        clusters.update().where(clusters.c.origin_article_id.in_(others)).values(origin_article_id=survivor)
    )
    cluster_ids = list(dict.fromkeys(r.cluster_id for r in rows.values() if r.cluster_id is not None))
    connection.execute(articles.update().where(articles.c.id.in_(others)).values(cluster_id=None))
    connection.execute(fingerprint_rows.delete().where(fingerprint_rows.c.article_id.in_(others)))
    connection.execute(articles.delete().where(articles.c.id.in_(others)))
    if cluster_ids:
        target = rows[survivor].cluster_id or cluster_ids[0]
        for other in cluster_ids:
            if other != target:
                connection.execute(
                    articles.update().where(articles.c.cluster_id == other).values(cluster_id=target)
                )
                connection.execute(clusters.delete().where(clusters.c.id == other))
        connection.execute(articles.update().where(articles.c.id == survivor).values(cluster_id=target))
        _elect_origin(connection, target)


def _elect_origin(connection: sa.Connection, cluster_id: int) -> None:
    """The earliest published member is the origin, the others its duplicates; one member dissolves it."""
    members = connection.execute(
        sa.select(
            articles.c.id, articles.c.published_at, articles.c.first_captured_at, articles.c.status
        ).where(articles.c.cluster_id == cluster_id)
    ).all()
    if len(members) < 2:
        connection.execute(
            articles.update()
            .where(articles.c.cluster_id == cluster_id)
            .values(
                cluster_id=None,
                duplicate_of=None,
                status=sa.case((articles.c.status == "duplicate", "archived"), else_=articles.c.status),
            )
        )
        connection.execute(clusters.delete().where(clusters.c.id == cluster_id))
        return
    origin = min(
        members,
        key=lambda m: (m.published_at is None, m.published_at or m.first_captured_at, m.id),
    )
    connection.execute(
        clusters.update().where(clusters.c.id == cluster_id).values(origin_article_id=origin.id)
    )
    connection.execute(
        articles.update()
        .where(articles.c.id == origin.id)
        .values(
            duplicate_of=None,
            status=sa.case((articles.c.status == "duplicate", "archived"), else_=articles.c.status),
        )
    )
    connection.execute(
        articles.update()
        .where(
            articles.c.cluster_id == cluster_id,
            articles.c.id != origin.id,
            articles.c.status.in_(_LINKABLE),
        )
        .values(status="duplicate", duplicate_of=origin.id)
    )
