"""portals gain their lineage: aliases, successor, active_until

Revision ID: 0016
Revises: 0015

The registry's lineage (crawler/portals.toml) copied into the archive when a crawl or an import
registers its portals, so the web's portal page can show it (storage must not import the crawler).
portals.aliases (JSON list of site keys), portals.successor (a portal key), portals.active_until
(date): all nullable, None until a crawl registers the portal again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("portals") as batch:
        batch.add_column(sa.Column("aliases", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("successor", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("active_until", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("portals") as batch:
        batch.drop_column("active_until")
        batch.drop_column("successor")
        batch.drop_column("aliases")
