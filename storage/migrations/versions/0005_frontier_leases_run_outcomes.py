"""frontier of discovered URLs, portal leases, honest run records, removed articles

Revision ID: 0005
Revises: 0004

The frontier is filled from what the archive already holds: every article becomes an ``archived``
entry (its newest capture's ETag/Last-Modified, its publication date, its next revisit by the default
policy), every capture without an article a ``failed`` or ``fetched`` one, so the first crawl after the
upgrade is already a recrawl, not a full crawl.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.frontier import RevisitPolicy
from storage.urls import canonical_url, indexable_url

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "frontier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=True),
        sa.Column("url_key", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("sitemap_lastmod", _TS, nullable=True),
        sa.Column("feed_date", _TS, nullable=True),
        sa.Column("published_at", _TS, nullable=True),
        sa.Column("first_seen_at", _TS, nullable=False),
        sa.Column("last_seen_at", _TS, nullable=False),
        sa.Column("last_fetched_at", _TS, nullable=True),
        sa.Column("next_fetch_at", _TS, nullable=True),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["portal_id"], ["portals.id"], name=op.f("fk_frontier_portal_id_portals")),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_frontier_article_id_articles"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier")),
        sa.UniqueConstraint("url_key", name=op.f("uq_frontier_url_key")),
    )
    op.create_index(op.f("ix_frontier_portal_id"), "frontier", ["portal_id"])
    op.create_index(op.f("ix_frontier_next_fetch_at"), "frontier", ["next_fetch_at"])
    op.create_table(
        "leases",
        sa.Column("portal_key", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("acquired_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("portal_key", name=op.f("pk_leases")),
    )
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("outcomes", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("heartbeat_at", _TS, nullable=True))
        batch.add_column(sa.Column("host", sa.Text(), nullable=True))
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("node", sa.Text(), nullable=True))
        batch.add_column(sa.Column("job_id", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("crawl_runs", "finish_reason", type_=sa.Text())
        op.add_column("articles", sa.Column("removed_at", _TS, nullable=True))
        op.add_column("articles", sa.Column("removed_http_status", sa.Integer(), nullable=True))
    else:
        # Plain ADD COLUMN on SQLite: a batch rebuild of articles would drop its full-text triggers.
        op.execute("ALTER TABLE articles ADD COLUMN removed_at DATETIME")
        op.execute("ALTER TABLE articles ADD COLUMN removed_http_status INTEGER")
    _fill_frontier(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("articles", "removed_http_status")
        op.drop_column("articles", "removed_at")
    else:
        op.execute("ALTER TABLE articles DROP COLUMN removed_http_status")
        op.execute("ALTER TABLE articles DROP COLUMN removed_at")
    with op.batch_alter_table("crawl_runs") as batch:
        for column in ("job_id", "node", "pid", "host", "heartbeat_at", "outcomes"):
            batch.drop_column(column)
    op.drop_table("leases")
    op.drop_index(op.f("ix_frontier_next_fetch_at"), table_name="frontier")
    op.drop_index(op.f("ix_frontier_portal_id"), table_name="frontier")
    op.drop_table("frontier")


def _aware(value: Any) -> datetime | None:
    """A stored timestamp as UTC (SQLite hands back naive UTC strings or datetimes)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_COLUMNS = (
    "portal_id", "url", "kind", "state", "reason", "attempts", "http_status", "etag", "last_modified",
    "published_at", "first_seen_at", "last_seen_at", "last_fetched_at", "next_fetch_at", "article_id",
)  # fmt: skip


def _first(headers: Any, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if str(key).lower() == name:
            return str(value[0]) if isinstance(value, list) and value else (str(value) if value else None)
    return None


def _fill_frontier(connection: sa.Connection) -> None:
    meta = sa.MetaData()
    frontier = sa.Table("frontier", meta, autoload_with=connection)
    policy = RevisitPolicy()
    articles = connection.execute(
        sa.text(
            "SELECT a.id, a.portal_id, a.url, a.canonical_url, a.published_at, a.first_captured_at, "
            "a.captured_at, c.headers, c.http_status FROM articles a LEFT JOIN captures c "
            "ON c.article_id = a.id AND c.id IN "
            "(SELECT max(id) FROM captures WHERE article_id IS NOT NULL GROUP BY article_id)"
        )
    ).all()
    rows: dict[str, dict[str, Any]] = {}
    for article in articles:
        fetched = _aware(article.captured_at)
        assert fetched is not None
        published = _aware(article.published_at)
        headers = json.loads(article.headers) if isinstance(article.headers, str) else article.headers
        rows[indexable_url(canonical_url(article.canonical_url))] = {
            "portal_id": article.portal_id, "url": article.url, "kind": "article", "state": "archived",
            "attempts": 0, "http_status": article.http_status, "etag": _first(headers, "etag"),
            "last_modified": _first(headers, "last-modified"), "published_at": published,
            "first_seen_at": _aware(article.first_captured_at), "last_seen_at": fetched,
            "last_fetched_at": fetched, "next_fetch_at": policy.next_fetch(fetched, published),
            "article_id": article.id,
        }  # fmt: skip
    failures = connection.execute(
        sa.text(
            "SELECT portal_id, url, status, reason, http_status, fetched_at, last_fetched_at FROM captures "
            "WHERE article_id IS NULL ORDER BY id"
        )
    ).all()
    for capture in failures:
        key = indexable_url(canonical_url(capture.url))
        if key in rows:
            continue  # the URL has an article: that entry stands
        fetched = _aware(capture.last_fetched_at)
        assert fetched is not None
        failed = capture.status in ("fetch_failed", "refused")
        rows[key] = {
            "portal_id": capture.portal_id, "url": capture.url, "kind": "article",
            "state": "failed" if failed else "fetched", "reason": capture.reason,
            "attempts": 1 if failed else 0,
            "http_status": capture.http_status, "first_seen_at": _aware(capture.fetched_at),
            "last_seen_at": fetched, "last_fetched_at": fetched,
            "next_fetch_at": policy.next_retry(fetched, 1) if failed else None,
        }  # fmt: skip
    batch = []
    for key, values in rows.items():
        row = {"url_key": key, **dict.fromkeys(_COLUMNS), **values}
        # UTC: SQLite's DateTime would otherwise store an aware value's local wall time.
        batch.append({k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in row.items()})
    for start in range(0, len(batch), 5000):
        connection.execute(frontier.insert(), batch[start : start + 5000])
