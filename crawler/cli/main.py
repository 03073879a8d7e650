"""The `newsarchive` command: operator commands here, archivist commands from storage.cli.commands."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from crawler.cli.evaluate import eval_group
from storage.cli.common import ArchivistCommand, db_url_option
from storage.db import ArchiveUnavailable, database_url, open_archive


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsarchive")
def main() -> None:
    """Crawl Vietnamese provincial news portals into an archive, then search, read and export it.

    The archive is $ARCHIVE_DATABASE_URL, or sqlite:///archive.sqlite3 in the current directory;
    every command takes --db to choose another (e.g. postgresql://user@host/db).
    """
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)


@main.command(cls=ArchivistCommand)
@click.argument("portal_keys", nargs=-1)
@click.option(
    "--start-url",
    "start_urls",
    multiple=True,
    metavar="URL",
    help="Home URL of a portal to crawl by generic discovery (no registry entry needed). Repeatable.",
)
@db_url_option
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
def crawl(
    portal_keys: tuple[str, ...],
    start_urls: tuple[str, ...],
    db_url: str | None,
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
    (or the crawl failed), 130/143 when interrupted by SIGINT/SIGTERM (in-flight pages are written).

    \b
    Examples:
      newsarchive crawl ninhthuan khanhhoa
      newsarchive crawl ninhthuan --since 2024-01-01
      newsarchive crawl --start-url https://baolaocai.vn/ --set CLOSESPIDER_ITEMCOUNT=200
    """
    from scrapy.utils.project import get_project_settings

    from crawler.ops.run import crawl_summary, run_crawl, wait_for_leases
    from crawler.portals import RegistryError, load_registry, resolve_portals

    url = database_url(db_url)
    try:
        portals = resolve_portals(list(portal_keys), list(start_urls), load_registry(registry))
    except RegistryError as exc:
        _fail(str(exc), 2)
    try:
        engine, _ = open_archive(url, create=True)
        engine.dispose()
    except ArchiveUnavailable as exc:
        _fail(str(exc))
    settings = get_project_settings()
    settings.set("ARCHIVE_DATABASE_URL", url, priority="cmdline")
    settings.set("NEWSARCHIVE_LEASE_FORCE", force, priority="cmdline")
    if sys.stdout.isatty() and "NEWSARCHIVE_LOG_LEVEL" not in os.environ:
        settings.set("LOG_LEVEL", "WARNING", priority="project")  # the live progress table says the rest
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep or not name:
            _fail(f"--set expects NAME=VALUE, got {override!r}", 2)
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
        reason = result.stats.get("finish_reason")
        click.echo(f"error: crawl {result.status} (finish reason: {reason})", err=True)
    raise SystemExit(result.exit_status)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The URL the page was fetched from (resolves links, picks rules).")
@click.option("--content-type", default=None, help="Content-Type header the page was served with, if known.")
@click.option(
    "--registry",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Portal registry whose prune_xpath hints apply (default $NEWSARCHIVE_PORTALS_FILE, then bundled).",
)
def extract(file: Path, url: str, content_type: str | None, registry: Path | None) -> None:
    """Print the extracted fields of one saved page as JSON, exactly as a crawl would extract them.

    The prune_xpath hints of the registered portal the URL belongs to are applied (stderr says which).

    \b
    Example:
      newsarchive extract saved.html --url https://baoninhthuan.com.vn/thoi-su/some-article-123.html
    """
    from crawler.portals import RegistryError, load_registry, portal_for_url
    from pipelines.analysis.job import PageJob, analyse_page
    from storage.urls import site_key

    if not url.startswith(("http://", "https://")) or not site_key(url):
        _fail(f"--url {url[:200]!r} is not an http(s) URL with a host", 2)
    try:
        portal = portal_for_url(url, load_registry(registry))
    except RegistryError as exc:
        _fail(str(exc), 2)
    hints = portal.prune_xpath if portal else ()
    if portal is not None:
        click.echo(f"portal {portal.key}: {len(hints)} prune_xpath hint(s) applied", err=True)
    result = analyse_page(PageJob(file.read_bytes(), url, content_type, prune_xpath=hints))
    if result.article is None or result.language is None:
        _fail(f"cannot extract {file}: {result.error}")
    record = result.article.to_dict()
    record.update(
        language=result.language.language,
        language_confidence=round(result.language.confidence, 4),
        portal=portal.key if portal else None,
    )
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


@main.command()
def lang() -> None:
    """Read text lines on stdin, print one JSON object per line: {"language": ..., "confidence": ...}.

    \b
    Example:
      echo "Ủy ban nhân dân tỉnh tổ chức hội nghị" | newsarchive lang
    """
    from pipelines.detect.langid import detect_language

    for line in sys.stdin:
        result = detect_language(line.rstrip("\n"))
        click.echo(json.dumps({"language": result.language, "confidence": round(result.confidence, 4)}))


@main.command(cls=ArchivistCommand)
@db_url_option
def migrate(db_url: str | None) -> None:
    """Create the archive or bring its schema to this version (Alembic)."""
    try:
        engine, _ = open_archive(database_url(db_url), create=True)
        engine.dispose()
    except ArchiveUnavailable as exc:
        _fail(str(exc))
    click.echo(f"archive {database_url(db_url)} is at the current schema")


@main.command(cls=ArchivistCommand)
@db_url_option
@click.option("--portal", metavar="KEY", help="Only captures of this portal.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%d/%m/%Y"]),
    metavar="DATE",
    help="Only pages captured on or after this day (YYYY-MM-DD or DD/MM/YYYY, Vietnam time).",
)
@click.option("--workers", type=int, default=os.cpu_count() or 2, show_default=True, help="Worker processes.")
def reextract(db_url: str | None, portal: str | None, since: Any, workers: int) -> None:
    """Re-run extraction on archived raw captures (after an upgrade or a fixed rule).

    An article whose result changes gets a new version; one that does not is untouched; a capture whose
    extraction failed before and now succeeds becomes an article.

    \b
    Example:
      newsarchive reextract --portal ninhthuan --since 2024-04-01
    """
    from crawler.portals import RegistryError, load_registry
    from pipelines.reextract import count_captures
    from pipelines.reextract import reextract as run_reextract
    from storage.timezone import VN_TZ

    try:
        engine, factory = open_archive(database_url(db_url), writer=True)
        reading_engine, reader = open_archive(database_url(db_url))
    except ArchiveUnavailable as exc:
        _fail(str(exc))
    since_at = since.replace(tzinfo=VN_TZ) if since else None
    try:
        hints = {key: p.prune_xpath for key, p in load_registry().items() if p.prune_xpath}
    except RegistryError as exc:
        _fail(str(exc), 2)
    total = count_captures(factory, portal=portal, since=since_at)
    with click.progressbar(length=total, label="re-extracting", file=sys.stderr) as bar:
        summary = run_reextract(
            factory,
            portal=portal,
            since=since_at,
            workers=workers,
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


def _register_archivist_commands() -> None:
    from storage.cli import commands as storage_cli
    from storage.cli.serve import serve_command

    for command in (
        storage_cli.export_command,
        storage_cli.search_command,
        storage_cli.show_command,
        storage_cli.runs_command,
        storage_cli.cite_command,
        serve_command,
    ):
        main.add_command(command)


def _register_operator_commands() -> None:
    from crawler.cli.schedule import health_command, schedule_group

    main.add_command(schedule_group)
    main.add_command(health_command)


_register_archivist_commands()
_register_operator_commands()
main.add_command(eval_group)
