"""The `newsarchive` command: one group, and every command registered in it once."""

from __future__ import annotations

import os

import click

from crawler.cli.crawl import crawl_command
from crawler.cli.evaluate import eval_group
from crawler.cli.imports import backfill_command, import_command
from crawler.cli.reextract import reextract_command
from crawler.cli.schedule import schedule_group
from crawler.cli.tools import extract_command, lang_command
from storage.cli.article import cite_command, show_command
from storage.cli.base import CommandGroup
from storage.cli.export import export_command
from storage.cli.health import health_command
from storage.cli.migrate import migrate_command
from storage.cli.runs import runs_command
from storage.cli.search import search_command
from storage.cli.serve import serve_command

# How every command reports errors, shown at the end of `newsarchive --help` (README says the same).
ERROR_STYLE = """Errors are one line on stderr starting "error: ". Exit status: 0 when the command
did its work; 1 for a failure (the archive cannot be opened, a crawl failed, an article or run not
found); 2 for a usage error (a bad, missing or conflicting option or argument, an unknown portal).
Besides: crawl exits 130/143 when SIGINT/SIGTERM stops it; health exits 1 for warnings and 2 for
errors found (a usage error prints no report); schedule run exits 1 when a crawl it started failed;
serve exits 3 when its port cannot be listened on (busy)."""


@click.group(
    "newsarchive",
    cls=CommandGroup,
    epilog=ERROR_STYLE,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="newsarchive")
def main() -> None:
    """Crawl Vietnamese provincial news portals into an archive, then search, read and export it.

    The archive is $ARCHIVE_DATABASE_URL, or sqlite:///archive.sqlite3 in the current directory;
    every command takes --db to choose another (e.g. postgresql://user@host/db).
    """
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")


# Every command, once. Those that only use the archive live in storage/cli (they never load Scrapy or
# the extractors); those that need the crawler or the extractors in crawler/cli.
COMMANDS: tuple[click.Command, ...] = (
    crawl_command,
    schedule_group,
    runs_command,
    health_command,
    reextract_command,
    import_command,
    backfill_command,
    migrate_command,
    search_command,
    show_command,
    cite_command,
    export_command,
    serve_command,
    extract_command,
    lang_command,
    eval_group,
)
for command in COMMANDS:
    main.add_command(command)
