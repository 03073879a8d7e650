"""`newsarchive serve`: the read-only archive browser on a local port."""

from __future__ import annotations

import click

from storage.cli.base import Command, CommandFailed
from storage.cli.common import db_option
from storage.db import ArchiveUnavailable


@click.command("serve", cls=Command)
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port to listen on."
)
def serve_command(db: str | None, host: str, port: int) -> None:
    """Browse the archive in a web browser: search with facets, articles with provenance, versions and
    diffs, the captured pages (sandboxed), portals and crawl runs. Read-only: the archive is opened
    read-only and every method other than GET and HEAD is refused.

    \b
    Example:
        newsarchive serve --port 8080
        newsarchive serve --db postgresql://archivist@db/newsarchive --host 0.0.0.0
    """
    import uvicorn

    from storage.web.app import create_app

    try:
        app = create_app(db)
    except ArchiveUnavailable as exc:
        raise CommandFailed(str(exc)) from exc
    click.echo(f"serving the archive at http://{host}:{port}/ (Ctrl-C stops)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
