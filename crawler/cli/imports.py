"""`newsarchive import`: archive the pages of WARC files (ours, Common Crawl's, any archive's)."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from storage.cli.base import ArgumentProblem, Command, CommandFailed
from storage.cli.common import DAY, db_option, open_archive_or_fail
from storage.db import database_url

if TYPE_CHECKING:
    from crawler.imports.importer import Importer, ImportSummary
    from crawler.imports.pages import ImportedPage, Skipped
    from crawler.portals import Portal

# Records read between two yields to the event loop, so analyses and writes progress while reading.
_YIELD_EVERY = 8


def portal_options(function: Any) -> Any:
    """--portal, --start-url and --registry, as `newsarchive crawl` has them."""
    for option in reversed(
        (
            click.option("--portal", "portal_keys", multiple=True, metavar="KEY",
                         help="Only pages of this registered portal (its hosts and aliases). Repeatable."),
            click.option("--start-url", "start_urls", multiple=True, metavar="URL",
                         help="Only pages on this URL's site, as `crawl --start-url`. Repeatable."),
            click.option("--registry", type=click.Path(dir_okay=False, path_type=Path),
                         help="Portal registry file [default: $NEWSARCHIVE_PORTALS_FILE, the bundled one]."),
            click.option("--workers", type=click.IntRange(min=1), default=None,
                         help="Analysis worker processes [default: EXTRACTION_WORKERS, one per core]."),
        )
    ):  # fmt: skip
        function = option(function)
    return function


def chosen_portals(
    portal_keys: tuple[str, ...], start_urls: tuple[str, ...], registry: Path | None
) -> tuple[list[Portal], bool]:
    """The portals to import for, and whether the operator restricted the import to them."""
    from crawler.portals import RegistryError, load_registry, resolve_portals

    try:
        known = load_registry(registry)
        if portal_keys or start_urls:
            return resolve_portals(list(portal_keys), list(start_urls), known), True
    except RegistryError as exc:
        raise ArgumentProblem(str(exc)) from exc
    return list(known.values()), False


def importer_for(db: str | None, portals: list[Portal], restricted: bool, workers: int | None) -> Importer:
    """An Importer on the archive ``db`` with the project's settings; progress lines on stderr."""
    from scrapy.utils.project import get_project_settings

    from crawler.imports.importer import Importer

    url = database_url(db)
    engine, _ = open_archive_or_fail(url, create=True)
    engine.dispose()
    settings = get_project_settings()
    if workers:
        settings.set("EXTRACTION_WORKERS", workers, priority="cmdline")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return Importer(url, portals, settings, restricted=restricted, on_progress=_progress)


def _progress(summary: ImportSummary) -> None:
    click.echo(
        f"progress: read {summary.read}, skipped {sum(summary.skipped.values())}, archived "
        f"{summary.archived}, duplicate {summary.duplicate}, failed {summary.failed}",
        err=True,
    )


def finish(summary: ImportSummary) -> None:
    """Print the summary and the first failures; exit 1 when any page failed."""
    click.echo(summary.line())
    for error in summary.errors[:20]:
        click.echo(f"failed: {error}", err=True)
    if summary.failed:
        raise CommandFailed(
            f"{summary.failed} failed (listed above); run it again once fixed: what is archived stays"
        )


@click.command("import", cls=Command)
@db_option
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@portal_options
@click.option(
    "--source", metavar="NAME", default=None,
    help='Where the files come from, kept with each capture ("commoncrawl CC-NEWS", "wayback") '
    "[default: warc].",
)  # fmt: skip
def import_command(
    db: str | None,
    files: tuple[Path, ...],
    portal_keys: tuple[str, ...],
    start_urls: tuple[str, ...],
    registry: Path | None,
    workers: int | None,
    source: str | None,
) -> None:
    """Archive the HTML pages of WARC files (.warc or .warc.gz) of the registry's portals.

    Every HTTP 200 HTML response (and revisit) on a portal's hosts goes through the crawl's own
    analysis, dedup and archive stages, captured at its WARC-Date, with its own headers and bytes and
    its provenance (file, WARC-Record-ID, --source). Importing a file twice adds nothing. Our own
    `export --format warc` files name their portals, so they import without --portal.

    Exit status: 0 when every record was read and handled (skips included), 1 when a file could not
    be read on or a page failed to be archived.

    \b
    Examples:
      newsarchive import CC-NEWS-20240401*.warc.gz --source "commoncrawl CC-NEWS"
      newsarchive import ninhthuan-2024.warc.gz --portal ninhthuan --source wayback
    """
    from crawler.imports.warc import WarcReader

    portals, restricted = chosen_portals(portal_keys, start_urls, registry)
    importer = importer_for(db, portals, restricted, workers)
    max_body = importer.crawler.settings.getint("DOWNLOAD_MAXSIZE") or 50 * 1024 * 1024
    reader = WarcReader(source or "warc", max_body, wanted=importer.wants)
    summary = asyncio.run(_import_files(importer, reader, files))
    finish(summary)


async def _import_files(importer: Importer, reader: Any, files: tuple[Path, ...]) -> ImportSummary:
    async with importer:
        return await importer.run(_pages(importer, reader, files))


async def _pages(
    importer: Importer, reader: Any, files: tuple[Path, ...]
) -> AsyncIterator[ImportedPage | Skipped]:
    from crawler.imports.warc import WarcUnreadable

    for path in files:
        click.echo(f"reading {path}", err=True)
        records: Iterator[ImportedPage | Skipped] = reader.pages(path)
        count = 0
        while True:
            try:
                page = next(records)
            except StopIteration:
                break
            except WarcUnreadable as exc:
                importer.summary.fail(f"cannot read on: {exc}")
                break
            yield page
            count += 1
            if count % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
    if sys.stderr.isatty():
        click.echo("", err=True)


@click.command("backfill", cls=Command)
@db_option
@click.argument("key")
@click.option(
    "--cdx", required=True, metavar="URL",
    help="The CDX API: https://web.archive.org/cdx/search/cdx, or a pywb http://HOST/COLLECTION/cdx.",
)  # fmt: skip
@click.option("--since", type=DAY, help="Captures on or after this day (DD/MM/YYYY or YYYY-MM-DD).")
@click.option("--until", type=DAY, help="Captures on or before this day.")
@click.option("--source", metavar="NAME", help="Kept with each capture [default: the CDX server's host].")
@click.option("--delay", type=click.FloatRange(min=0), help="Seconds between two requests [BACKFILL_DELAY].")
@click.option("--concurrency", type=click.IntRange(min=1), help="Requests at once [BACKFILL_CONCURRENCY].")
@click.option(
    "--registry", type=click.Path(dir_okay=False, path_type=Path),
    help="Portal registry file [default: $NEWSARCHIVE_PORTALS_FILE, the bundled one].",
)  # fmt: skip
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Analysis worker processes.")
def backfill_command(
    db: str | None,
    key: str,
    cdx: str,
    since: Any,
    until: Any,
    source: str | None,
    delay: float | None,
    concurrency: int | None,
    registry: Path | None,
    workers: int | None,
) -> None:
    """Archive a portal's captures from a Wayback-style CDX server (a vanished or moved portal).

    Asks the CDX API for every HTML 200 capture under the portal's hosts (its own and its aliases),
    collapsed by digest; fetches each capture's original bytes (the id_ replay) unless the portal's
    URL rules call it a listing; archives them as `import` does, at their capture time. Polite (its own
    delay and concurrency), and resumable: captures the archive holds are not fetched again.

    Exit status: 0 when every listed capture was handled, 1 when the CDX server cannot be reached or
    a replay or page failed (run it again to retry those), 2 for an unknown portal.

    \b
    Examples:
      newsarchive backfill ninhthuan --cdx https://web.archive.org/cdx/search/cdx --until 01/07/2025
      newsarchive backfill ninhthuan --cdx http://127.0.0.1:8080/my-collection/cdx
    """
    from urllib.parse import urlsplit

    from crawler.imports.backfill import Backfill, CdxUnavailable, replay_base

    portals, _ = chosen_portals((key,), (), registry)
    portal = portals[0]
    parts = urlsplit(cdx)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ArgumentProblem(f"--cdx {cdx!r} is not an http(s) URL")
    try:
        replay_base(cdx)
    except ValueError as exc:
        raise ArgumentProblem(str(exc)) from exc
    importer = importer_for(db, [portal], True, workers)
    settings = importer.crawler.settings
    max_body = settings.getint("DOWNLOAD_MAXSIZE") or 50 * 1024 * 1024

    async def run() -> ImportSummary:
        async with importer:
            assert importer.reader is not None
            backfill = Backfill(
                portal, portal_hosts(portal), cdx, importer.reader, source=source or parts.netloc,
                since=since, until=until, max_body=max_body,
                delay=settings.getfloat("BACKFILL_DELAY") if delay is None else delay,
                concurrency=concurrency or settings.getint("BACKFILL_CONCURRENCY"),
                timeout=settings.getfloat("BACKFILL_TIMEOUT"),
            )  # fmt: skip
            return await importer.run(backfill.pages())

    try:
        summary = asyncio.run(run())
    except CdxUnavailable as exc:
        click.echo(importer.summary.line())
        raise CommandFailed(str(exc)) from exc
    finish(summary)


def portal_hosts(portal: Portal) -> list[str]:
    """The hosts a portal served from (its site keys: its home URL's, then its aliases), each queried
    as a prefix; a CDX server's URL keys ignore www., so one query covers both."""
    return list(portal.sites)
