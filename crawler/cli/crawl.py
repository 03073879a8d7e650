"""`newsarchive crawl`: crawl registered portals, or any portal by its home URL, into the archive."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from storage.cli.base import ArgumentProblem, Command, CommandFailed
from storage.cli.common import db_option, open_archive_or_fail
from storage.db import database_url


@click.command("crawl", cls=Command)
@click.argument("portal_keys", nargs=-1)
@click.option(
    "--start-url",
    "start_urls",
    multiple=True,
    metavar="URL",
    help="Home URL of a portal to crawl by generic discovery (no registry entry needed). Repeatable.",
)
@db_option
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Backfill: walk listing pagination and sitemaps back to this day (Vietnam time), then stop.",
)
@click.option("--wait", is_flag=True, help="Wait for other crawls of these portals to end, not skip them.")
@click.option("--force", is_flag=True, help="Crawl even portals another crawl holds the lease of.")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Scrapy setting, exactly like `scrapy crawl -s`. Repeatable.",
)
@click.option(
    "--registry",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Portal registry file (default $NEWSARCHIVE_PORTALS_FILE or crawler/portals.toml).",
)
def crawl_command(
    portal_keys: tuple[str, ...],
    start_urls: tuple[str, ...],
    db: str | None,
    since: Any,
    wait: bool,
    force: bool,
    overrides: tuple[str, ...],
    registry: Path | None,
) -> None:
    """Crawl registered portals (all when none is named) or portals given by --start-url.

    A recrawl fetches only what is new, changed (a newer sitemap lastmod or feed date) or due for a
    revisit. One crawl per portal at a time: a portal another crawl holds is skipped (--wait, --force).
    Exit status: 0 when every portal was reached, 1 when one could not be reached or yielded nothing
    (or the crawl failed), 2 for a usage error (an unknown portal, a bad --start-url or --set), 130/143
    when interrupted by SIGINT/SIGTERM (in-flight pages are written).

    \b
    Examples:
      newsarchive crawl ninhthuan khanhhoa
      newsarchive crawl ninhthuan --since 2024-01-01
      newsarchive crawl --start-url https://baolaocai.vn/ --set CLOSESPIDER_ITEMCOUNT=200
    """
    from scrapy.utils.project import get_project_settings

    from crawler.ops.run import crawl_summary, failure_message, run_crawl, wait_for_leases
    from crawler.portals import RegistryError, load_registry, resolve_portals

    url = database_url(db)
    try:
        portals = resolve_portals(list(portal_keys), list(start_urls), load_registry(registry))
    except RegistryError as exc:
        raise ArgumentProblem(str(exc)) from exc
    engine, _ = open_archive_or_fail(url, create=True)
    engine.dispose()
    settings = get_project_settings()
    settings.set("ARCHIVE_DATABASE_URL", url, priority="cmdline")
    settings.set("NEWSARCHIVE_LEASE_FORCE", force, priority="cmdline")
    if sys.stdout.isatty() and "NEWSARCHIVE_LOG_LEVEL" not in os.environ:
        settings.set("LOG_LEVEL", "WARNING", priority="project")  # the live progress table says the rest
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep or not name:
            raise ArgumentProblem(f"--set expects NAME=VALUE, got {override!r}")
        settings.set(name.strip(), value, priority="cmdline")
    if wait and not force:
        wait_for_leases(url, portals)
    result = run_crawl(
        settings,
        {
            "portal": ",".join(portal_keys) or None,
            "start_urls": ",".join(start_urls) or None,
            "registry": str(registry) if registry else None,
            "since": since.date().isoformat() if since else None,
        },
    )
    click.echo(crawl_summary(result.stats, result.portals, result.elapsed))
    if result.exit_status:
        failure = CommandFailed(failure_message(result.stats, result.status))
        if result.exit_status == failure.exit_code:
            raise failure
        failure.show()  # the one line of every failure, then the documented 130/143 of a signal
    raise SystemExit(result.exit_status)
