"""`newsarchive reextract`: run extraction again on archived raw captures."""

from __future__ import annotations

import sys
from datetime import date

import click

from storage.cli.base import ArgumentProblem, Command
from storage.cli.common import DAY, archive_session, check_portal, db_option, open_archive_or_fail
from storage.timezone import day_start

# An upper bound on --workers: one process each, so a typo (--workers 40000) would start tens of
# thousands of processes and stall the machine; far above the cores any one host has.
MOST_WORKERS = 256


@click.command("reextract", cls=Command)
@db_option
@click.option("--portal", metavar="KEY", help="Only captures of this portal.")
@click.option(
    "--since",
    type=DAY,
    help="Only pages captured on or after this day (YYYY-MM-DD or DD/MM/YYYY, Vietnam time).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=MOST_WORKERS),
    default=None,
    help="Worker processes [default: one per CPU core, as a crawl's EXTRACTION_WORKERS].",
)
def reextract_command(db: str | None, portal: str | None, since: date | None, workers: int | None) -> None:
    """Re-run extraction on archived raw captures (after an upgrade or a fixed rule).

    An article whose result changes gets a new version; one that does not is untouched; a capture whose
    extraction failed before and now succeeds becomes an article.

    \b
    Example:
      newsarchive reextract --portal ninhthuan --since 2024-04-01
    """
    from crawler.portals import RegistryError, load_registry
    from pipelines import defaults
    from pipelines.reextract import count_captures
    from pipelines.reextract import reextract as run_reextract

    try:
        hints = {key: p.prune_xpath for key, p in load_registry().items() if p.prune_xpath}
    except RegistryError as exc:
        raise ArgumentProblem(str(exc)) from exc
    if portal is not None:
        with archive_session(db) as session:
            check_portal(session, portal)
    since_at = day_start(since) if since else None
    engine, factory = open_archive_or_fail(db, writer=True)
    reading_engine, reader = open_archive_or_fail(db)
    total = count_captures(factory, portal=portal, since=since_at)
    with click.progressbar(length=total, label="re-extracting", file=sys.stderr) as bar:
        summary = run_reextract(
            factory,
            portal=portal,
            since=since_at,
            workers=workers or defaults.EXTRACTION_WORKERS,
            hints=hints,
            on_progress=bar.update,
            reader=reader,
        )
    engine.dispose()
    reading_engine.dispose()
    click.echo(
        f"examined {summary.examined}: {summary.changed} changed (new version), "
        f"{summary.unchanged} unchanged, {summary.recovered} recovered from failed extraction, "
        f"{summary.still_failing} still failing, {summary.failed} failed now (kept as archived); "
        f"dedup linked {summary.linked}, {summary.detached} left their cluster"
    )
    for error in summary.errors[:20]:
        click.echo(f"kept as archived (re-extraction failed): {error}", err=True)
    if len(summary.errors) > 20:
        click.echo(f"... and {len(summary.errors) - 20} more", err=True)
