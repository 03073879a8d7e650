"""`newsarchive migrate`: create the archive or bring its schema to this version."""

from __future__ import annotations

import click

from storage.cli.base import Command
from storage.cli.common import db_option, open_archive_or_fail
from storage.db import database_url


@click.command("migrate", cls=Command)
@db_option
def migrate_command(db: str | None) -> None:
    """Create the archive or bring its schema to this version (Alembic)."""
    engine, _ = open_archive_or_fail(db, create=True)
    engine.dispose()
    click.echo(f"archive {database_url(db)} is at the current schema")
