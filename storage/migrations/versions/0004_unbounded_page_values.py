"""page-controlled values as Text: no URL, Content-Type, author or image is too long to archive

Revision ID: 0004
Revises: 0003

PostgreSQL refused a capture whose Content-Type exceeded 200 characters or whose URL exceeded 2,000, so
the page left no row. SQLite never enforced the lengths, so only PostgreSQL changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = {
    "captures": {"url": 2000, "final_url": 2000, "content_type": 200},
    "articles": {
        "url": 2000, "canonical_url": 2000, "author": 500, "image": 2000, "site_name": 300, "date_raw": 500,
    },
}  # fmt: skip


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.Text())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        for column, length in columns.items():
            op.alter_column(
                table, column, type_=sa.String(length), postgresql_using=f"left({column}, {length})"
            )
