"""`newsarchive extract` and `newsarchive lang`: the extractor and the language check on one input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from storage.cli.base import ArgumentProblem, Command, CommandFailed


@click.command("extract", cls=Command)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The URL the page was fetched from (resolves links, picks rules).")
@click.option("--content-type", default=None, help="Content-Type header the page was served with, if known.")
@click.option(
    "--registry",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Portal registry whose prune_xpath hints apply (default $NEWSARCHIVE_PORTALS_FILE, then bundled).",
)
def extract_command(file: Path, url: str, content_type: str | None, registry: Path | None) -> None:
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
        raise ArgumentProblem(f"--url {url[:200]!r} is not an http(s) URL with a host")
    try:
        portal = portal_for_url(url, load_registry(registry))
    except RegistryError as exc:
        raise ArgumentProblem(str(exc)) from exc
    hints = portal.prune_xpath if portal else ()
    if portal is not None:
        click.echo(f"portal {portal.key}: {len(hints)} prune_xpath hint(s) applied", err=True)
    result = analyse_page(PageJob(file.read_bytes(), url, content_type, prune_xpath=hints))
    if result.article is None or result.language is None:
        raise CommandFailed(f"cannot extract {file}: {result.error}")
    record = result.article.to_dict()
    record.update(
        language=result.language.language,
        language_confidence=round(result.language.confidence, 4),
        portal=portal.key if portal else None,
    )
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


@click.command("lang", cls=Command)
def lang_command() -> None:
    """Read text lines on stdin, print one JSON object per line: {"language": ..., "confidence": ...}.

    \b
    Example:
      echo "Ủy ban nhân dân tỉnh tổ chức hội nghị" | newsarchive lang
    """
    from pipelines.detect.langid import detect_language

    for line in sys.stdin:
        result = detect_language(line.rstrip("\n"))
        click.echo(json.dumps({"language": result.language, "confidence": round(result.confidence, 4)}))
