"""The `newsarchive` command: operator commands here, archivist commands from storage.cli."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from crawler.cli_eval import eval_group
from storage.db import ArchiveUnavailable, database_url, open_archive


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsarchive")
def main() -> None:
    """Crawl Vietnamese provincial news portals into an archive, then search, read and export it.

    The archive is $ARCHIVE_DATABASE_URL, or sqlite:///archive.sqlite3 in the current directory;
    every command takes --db to choose another (e.g. postgresql://user@host/db).
    """
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)


@main.command()
@click.argument("portal_keys", nargs=-1)
@click.option(
    "--start-url",
    "start_urls",
    multiple=True,
    metavar="URL",
    help="Home URL of a portal to crawl by generic discovery (no registry entry needed). Repeatable.",
)
@click.option(
    "--db", "db_url", metavar="DBURL", help="Archive URL (default $ARCHIVE_DATABASE_URL or SQLite)."
)
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
    overrides: tuple[str, ...],
    registry: Path | None,
) -> None:
    """Crawl registered portals (all when none is named) or portals given by --start-url.

    \b
    Examples:
      newsarchive crawl ninhthuan khanhhoa
      newsarchive crawl --start-url https://baolaocai.vn/ --set CLOSESPIDER_ITEMCOUNT=200
    """
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawler.portals import RegistryError, load_registry, select_portals

    url = database_url(db_url)
    try:
        if portal_keys or not start_urls:
            select_portals(list(portal_keys), load_registry(registry))
    except RegistryError as exc:
        _fail(str(exc), 2)
    try:
        engine, _ = open_archive(url, create=True)
        engine.dispose()
    except ArchiveUnavailable as exc:
        _fail(str(exc))
    settings = get_project_settings()
    settings.set("ARCHIVE_DATABASE_URL", url, priority="cmdline")
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep or not name:
            _fail(f"--set expects NAME=VALUE, got {override!r}", 2)
        settings.set(name.strip(), value, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler("portal")
    started = time.monotonic()
    process.crawl(
        crawler,
        portal=",".join(portal_keys) or None,
        start_urls=",".join(start_urls) or None,
        registry=str(registry) if registry else None,
    )
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    elapsed = time.monotonic() - started
    spider = crawler.spider
    portals = sorted(getattr(spider, "portals", {})) if spider else []
    click.echo(crawl_summary(stats, portals, elapsed))
    reason = stats.get("finish_reason")
    if reason not in ("finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"):
        _fail(f"crawl did not finish cleanly (finish reason: {reason})")


def crawl_summary(stats: dict[str, Any], portals: list[str], elapsed: float) -> str:
    """Return the human summary of one crawl from its Scrapy stats."""
    pages = stats.get("downloader/response_count", 0)
    rows = [
        ("portals", ", ".join(portals) or "-"),
        ("pages fetched", pages),
        ("articles archived", stats.get("archive/stored", 0)),
        ("new versions", stats.get("archive/version", 0)),
        ("unchanged revisits", stats.get("archive/revisit", 0)),
        ("exact duplicates", stats.get("archive/duplicate", 0)),
        ("near duplicates", stats.get("archive/near_duplicate", 0)),
        ("off-language", stats.get("archive/off_language", 0)),
        ("failures", stats.get("archive/failed", 0)),
        ("robots.txt refusals", stats.get("discovery/robots_forbidden", 0)),
        ("elapsed", f"{elapsed:.1f} s ({pages / elapsed if elapsed else 0:.1f} pages/s)"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The URL the page was fetched from (resolves links, picks rules).")
@click.option("--content-type", default=None, help="Content-Type header the page was served with, if known.")
def extract(file: Path, url: str, content_type: str | None) -> None:
    """Print the extracted fields of one saved page as JSON.

    \b
    Example:
      newsarchive extract saved.html --url https://baoninhthuan.com.vn/thoi-su/some-article-123.html
    """
    from pipelines.article_extractor import ExtractionError, extract_article
    from pipelines.langid import detect_language

    try:
        article = extract_article(file.read_bytes(), url, content_type=content_type)
    except ExtractionError as exc:
        _fail(f"cannot extract {file}: {exc}")
    record = article.to_dict()
    sample = "\n".join(part for part in (article.title, article.sapo, article.text) if part)
    language = detect_language(sample, article.declared_language)
    record.update(language=language.language, language_confidence=round(language.confidence, 4))
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


@main.command()
def lang() -> None:
    """Read text lines on stdin, print one JSON object per line: {"language": ..., "confidence": ...}.

    \b
    Example:
      echo "Ủy ban nhân dân tỉnh tổ chức hội nghị" | newsarchive lang
    """
    from pipelines.langid import detect_language

    for line in sys.stdin:
        result = detect_language(line.rstrip("\n"))
        click.echo(json.dumps({"language": result.language, "confidence": round(result.confidence, 4)}))


@main.command()
@click.option(
    "--db", "db_url", metavar="DBURL", help="Archive URL (default $ARCHIVE_DATABASE_URL or SQLite)."
)
def migrate(db_url: str | None) -> None:
    """Create the archive or bring its schema to this version (Alembic)."""
    try:
        engine, _ = open_archive(database_url(db_url), create=True)
        engine.dispose()
    except ArchiveUnavailable as exc:
        _fail(str(exc))
    click.echo(f"archive {database_url(db_url)} is at the current schema")


@main.command()
@click.option(
    "--db", "db_url", metavar="DBURL", help="Archive URL (default $ARCHIVE_DATABASE_URL or SQLite)."
)
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
    from zoneinfo import ZoneInfo

    from crawler.portals import RegistryError, load_registry
    from pipelines.reextract import count_captures
    from pipelines.reextract import reextract as run_reextract

    try:
        engine, factory = open_archive(database_url(db_url))
    except ArchiveUnavailable as exc:
        _fail(str(exc))
    since_at = since.replace(tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")) if since else None
    try:
        hints = {key: p.prune_xpath for key, p in load_registry().items() if p.prune_xpath}
    except RegistryError as exc:
        _fail(str(exc), 2)
    total = count_captures(factory, portal=portal, since=since_at)
    with click.progressbar(length=total, label="re-extracting", file=sys.stderr) as bar:
        summary = run_reextract(
            factory, portal=portal, since=since_at, workers=workers, hints=hints, on_progress=bar.update
        )
    engine.dispose()
    click.echo(
        f"examined {summary.examined}: {summary.changed} changed (new version), "
        f"{summary.unchanged} unchanged, {summary.recovered} recovered from failed extraction, "
        f"{summary.still_failing} still failing"
    )
    for error in summary.errors[:20]:
        click.echo(f"kept as archived (re-extraction failed): {error}", err=True)


def _register_archivist_commands() -> None:
    from storage import cli as storage_cli
    from storage.web.cli import serve_command

    for command in (
        storage_cli.export_command,
        storage_cli.search_command,
        storage_cli.show_command,
        storage_cli.runs_command,
        storage_cli.cite_command,
        serve_command,
    ):
        main.add_command(command)


_register_archivist_commands()
main.add_command(eval_group)
