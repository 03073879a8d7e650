"""`newsarchive crawl`: crawl registered portals, or any portal by its home URL, into the archive."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import click

from storage.cli.base import ArgumentProblem, Command, CommandFailed
from storage.cli.common import DAY, db_option, open_archive_or_fail
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
    type=DAY,
    help="Backfill: walk listing pagination and sitemaps back to this day (YYYY-MM-DD or DD/MM/YYYY, "
    "Vietnam time), then stop.",
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
@click.option("--verbose", "-v", is_flag=True, help="Scrapy's log (INFO: requests, stats) on stderr too.")
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE",
    help="Append Scrapy's log (INFO) to FILE instead of stderr.",
)
def crawl_command(
    portal_keys: tuple[str, ...],
    start_urls: tuple[str, ...],
    db: str | None,
    since: date | None,
    wait: bool,
    force: bool,
    overrides: tuple[str, ...],
    registry: Path | None,
    verbose: bool,
    log_file: Path | None,
) -> None:
    """Crawl registered portals (all when none is named) or portals given by --start-url.

    A recrawl fetches only what is new, changed (a newer sitemap lastmod or feed date) or due for a
    revisit. One crawl per portal at a time: a portal another crawl holds is skipped (--wait, --force).
    Output: on a terminal a live table per portal; otherwise one progress line per portal every 30
    seconds on stderr (--set NEWSARCHIVE_PROGRESS_INTERVAL=N). Then the summary on stdout. Scrapy's own
    log shows warnings and errors only, unless --verbose (or --log-file for a file, or
    $NEWSARCHIVE_LOG_LEVEL) asks for more.

    Exit status: 0 when every portal was reached, 1 when one could not be reached or yielded nothing
    (or the crawl failed), 2 for a usage error (an unknown portal, a bad --start-url or --set), 130/143
    when interrupted by SIGINT/SIGTERM (in-flight pages are written).

    \b
    Examples:
      newsarchive crawl ninhthuan khanhhoa
      newsarchive crawl ninhthuan --since 01/01/2024
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
    # Quiet by default, piped or not: the progress lines and the summary say what a crawl did; Scrapy's
    # INFO log (every stat, every extension) is for --verbose or a log file.
    level = os.environ.get("NEWSARCHIVE_LOG_LEVEL") or ("INFO" if verbose or log_file else "WARNING")
    settings.set("LOG_LEVEL", level, priority="cmdline")
    if log_file is not None:
        if not log_file.expanduser().parent.is_dir():
            raise ArgumentProblem(f"--log-file {log_file}: directory {log_file.parent} does not exist")
        settings.set("LOG_FILE", str(log_file.expanduser()), priority="cmdline")
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep or not name:
            raise ArgumentProblem(f"--set expects NAME=VALUE, got {override!r}")
        _check_setting(name.strip(), value, settings.get(name.strip()))
        settings.set(name.strip(), value, priority="cmdline")
    if wait and not force:
        wait_for_leases(url, portals)
    result = run_crawl(
        settings,
        {
            "portal": ",".join(portal_keys) or None,
            "start_urls": ",".join(start_urls) or None,
            "registry": str(registry) if registry else None,
            "since": since.isoformat() if since else None,
        },
    )
    click.echo(crawl_summary(result.stats, result.portals, result.elapsed))
    if result.exit_status:
        failure = CommandFailed(failure_message(result.stats, result.status))
        if result.exit_status == failure.exit_code:
            raise failure
        failure.show()  # the one line of every failure, then the documented 130/143 of a signal
    raise SystemExit(result.exit_status)


# What Scrapy's Settings.getbool reads as a flag, besides whole numbers.
_FLAGS = ("True", "true", "False", "false")


def _check_setting(name: str, value: str, current: object) -> None:
    """Refuse (usage error) a --set value that the setting's type cannot take, judged by its current
    value: DOWNLOAD_DELAY=abc was a crawl that failed at start with Twisted's tracebacks."""
    if isinstance(current, bool):
        if value.strip() not in _FLAGS and not value.strip().lstrip("-").isdigit():
            raise ArgumentProblem(f"--set {name}={value}: {name} is true or false (or 1 or 0)")
    elif isinstance(current, int | float):
        try:
            float(value)
        except ValueError:
            raise ArgumentProblem(f"--set {name}={value}: {name} is a number (now {current})") from None
