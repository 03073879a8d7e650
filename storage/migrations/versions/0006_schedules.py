"""recurring crawl schedules

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("portal_key", sa.String(length=100), nullable=False),
        sa.Column("every_seconds", sa.Integer(), nullable=True),
        sa.Column("cron", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("next_run_at", _TS, nullable=False),
        sa.Column("running_since", _TS, nullable=True),
        sa.Column("running_on", sa.Text(), nullable=True),
        sa.Column("last_started_at", _TS, nullable=True),
        sa.Column("last_finished_at", _TS, nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("last_status", sa.String(length=30), nullable=True),
        sa.Column("last_outcome", sa.Text(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("portal_key", name=op.f("pk_schedules")),
    )


def downgrade() -> None:
    op.drop_table("schedules")
