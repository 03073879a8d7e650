"""`newsarchive search`: full-text search of the archive, a page of results at a time."""

from __future__ import annotations

from typing import Any

import click

from storage.cli.base import ArgumentProblem, Command
from storage.cli.common import archive_session, build_filters, db_option, filter_options
from storage.cli.output import Column, emit, output_options
from storage.search.engine import SORTS, search_articles
from storage.search.query import SYNTAX_HELP, QueryError
from storage.timezone import local_iso

# Most results one page may hold: beyond this an archivist wants --csv/--json of an export instead.
MAX_LIMIT = 1000
SEARCH_FIELDS = ["id", "url", "portal", "portal_name", "title", "published_at", "snippet", "score"]
SEARCH_COLUMNS = [Column("id"), Column("published"), Column("portal"), Column("title", flexible=True),
                  Column("snippet", flexible=True)]  # fmt: skip


@click.command("search", cls=Command, epilog="Query syntax: " + SYNTAX_HELP)
@click.argument("words", nargs=-1, required=True, metavar="QUERY")
@db_option
@output_options
@filter_options
@click.option("--all", "any_status", is_flag=True, help="Any status (duplicates, other languages too).")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True,
              help="relevance (ties: newest first) or date (newest first).")  # fmt: skip
@click.option(
    "--limit", type=click.IntRange(1, MAX_LIMIT), default=20, show_default=True, help="Results per page."
)
@click.option(
    "--page", type=click.IntRange(min=1), default=1, show_default=True, help="Which page of results."
)
def search_command(
    words: tuple[str, ...], db: str | None, output: str | None, no_bom: bool, sort: str, limit: int,
    page: int, any_status: bool, **filter_values: Any,
) -> None:  # fmt: skip
    """Full-text search of archived articles, best matches first, with the number of matches.

    A match in the title counts more than in the sapo, which counts more than in the body; typed
    diacritics rank exact spellings first ("nồng độ cồn" before "nông đỗ còn"), a query without them
    matches every spelling; words that stand together rank higher. QUERY may be one quoted argument or
    several words (joined by spaces); a query starting with - goes after --.

    \b
    Example:
        newsarchive search "ủy ban nhân dân" --since 2024-01-01 --limit 5
        newsarchive search '"nồng độ cồn" -"quốc lộ"' --portal ninhbinh --json
        newsarchive search 'lũ OR bão' --sort date --page 2 --csv > storms.csv
        newsarchive search -- -bão lũ
    """
    query = " ".join(words)  # `search -- -bão lũ` is one query, as the shell split it
    with archive_session(db) as session:
        filters = build_filters(session, any_status=any_status, **filter_values)
        try:
            result = search_articles(session, query, filters, limit=limit, page=page, sort=sort)
        except QueryError as exc:
            raise ArgumentProblem(str(exc)) from exc
    items: list[dict[str, Any]] = []
    for hit in result.hits:
        items.append({
            "id": hit.id, "url": hit.url, "portal": hit.portal, "portal_name": hit.portal_name,
            "title": hit.title, "published_at": local_iso(hit.published_at),
            "published": hit.published_at, "snippet": hit.snippet, "score": round(hit.score, 6),
            "title_highlights": hit.title.spans(), "snippet_highlights": hit.snippet.spans(),
        })  # fmt: skip
    fields = SEARCH_FIELDS + (
        ["title_highlights", "snippet_highlights"] if output in ("json", "jsonl") else []
    )
    emit(items, output, SEARCH_COLUMNS, bom=not no_bom, fields=fields)
    first = (result.page - 1) * result.limit + 1
    if result.total == 0:
        click.echo("no matches", err=True)
    elif not items:
        last = f"page {result.page} is past the last page ({result.pages})"
        click.echo(f"{result.total_text} matches; {last}", err=True)
    else:
        more = f"; next: --page {result.page + 1}" if result.page < result.pages else ""
        of = f" of {result.pages}" if result.exact else ""
        click.echo(
            f"{result.total_text} matches; showing {first}-{first + len(items) - 1} "
            f"(page {result.page}{of}){more}",
            err=True,
        )
