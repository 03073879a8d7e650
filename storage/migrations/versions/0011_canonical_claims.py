"""canonical claims: what a capture's rel=canonical or og:url claimed, and what the archive made of it

Revision ID: 0011
Revises: 0007

A page's canonical tag is the portal's claim that it is another URL's article. The archive no longer
trusts it (issue 21): it joins the page to that article only when both hold the same text, and records
the claim and its verdict on the capture (pipelines.canonical). Both columns are nullable: a capture that
claimed nothing, or was archived before this revision, has neither.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("captures") as batch:
        batch.add_column(sa.Column("canonical_claim", sa.Text(), nullable=True))
        batch.add_column(sa.Column("canonical_verdict", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("captures") as batch:
        batch.drop_column("canonical_verdict")
        batch.drop_column("canonical_claim")
