"""captures gain provenance: where an imported or backfilled capture came from

Revision ID: 0014
Revises: 0011

captures.provenance (JSON, nullable): for a capture brought in by `newsarchive import` or
`newsarchive backfill`, the source named by the operator ("commoncrawl CC-NEWS", "wayback"), the WARC
file and its WARC-Record-ID, or the CDX server and replay URL. None for the archive's own crawls.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("captures") as batch:
        batch.add_column(sa.Column("provenance", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("captures") as batch:
        batch.drop_column("provenance")
