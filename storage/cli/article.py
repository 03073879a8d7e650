"""Archivist commands about one article: `show` (provenance, versions, diffs, raw capture) and `cite`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Any

import click
from sqlalchemy.orm import Session

from storage.captures import capture_body
from storage.cli.base import ArgumentProblem, Command, CommandFailed
from storage.cli.common import archive_session, db_option, human_time, parse_article_ref
from storage.cli.output import BOLD, RESET, use_bold, utf8_stdout
from storage.export import records
from storage.export.citation import STYLES, citation_for, render
from storage.export.files import UnsafeOutput, write_atomically
from storage.export.versions import DiffTooLarge, format_word_diff, get_version, line_diff, word_diff
from storage.models import Article, Capture
from storage.safe_text import json_safe, terminal_safe, truncate
from storage.timezone import local_iso


def load_article(session: Session, value: str) -> Article:
    """Return the article ``value`` names (id or URL). Raises ArgumentProblem / CommandFailed (one line)."""
    ref = parse_article_ref(value)
    article = records.find_article(session, ref)
    if article is not None:
        return article
    if isinstance(ref, str):
        capture = records.article_less_capture(session, ref)
        if capture is not None:
            raise CommandFailed(
                f"no article for {ref}: capture {capture.id} is {capture.status}"
                + (f" ({capture.reason})" if capture.reason else "")
            )
    raise CommandFailed(f"no article with id or URL {value!r}")


@click.command("show", cls=Command)
@click.argument("id_or_url")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Output one JSON object.")
@click.option("--version", "version", type=click.IntRange(min=1), default=None,
              help="Show the title and text of this earlier version.")  # fmt: skip
@click.option("--diff", "diff", type=(click.IntRange(min=1), click.IntRange(min=1)), default=None,
              metavar="A B", help="Show what changed from version A to version B, line by line.")  # fmt: skip
@click.option("--words", is_flag=True, help="With --diff: word by word, [-removed-]{+added+}.")
@click.option(
    "--raw",
    is_flag=True,
    help="Write the captured bytes exactly as fetched (of --version N's capture, else the newest).",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="With --raw: write to FILE (atomically) instead of stdout.")  # fmt: skip
def show_command(
    id_or_url: str, db: str | None, as_json: bool, version: int | None, diff: tuple[int, int] | None,
    words: bool, raw: bool, output: Path | None,
) -> None:  # fmt: skip
    """Show one article with its provenance: paper, captures, versions, cluster copies, then its text.

    ID_OR_URL is the article id, its URL or its canonical URL.

    \b
    Example:
        newsarchive show 1234
        newsarchive show 1234 --version 1
        newsarchive show 1234 --diff 1 2 --words
        newsarchive show 1234 --raw -o page.html
        newsarchive show https://baoninhbinh.org.vn/thoi-su/abc-123.htm --json
    """
    if sum(bool(x) for x in (version and not raw, diff, raw)) > 1:
        raise ArgumentProblem("choose one of --version, --diff and --raw (--raw may take --version)")
    if output is not None and not raw:
        raise ArgumentProblem("--output goes with --raw")
    if words and diff is None:
        raise ArgumentProblem("--words goes with --diff")
    if as_json and (raw or diff):
        raise ArgumentProblem(f"--json and {'--raw' if raw else '--diff'} conflict: choose one output")
    with archive_session(db) as session:
        article = load_article(session, id_or_url)
        try:
            if raw:
                _write_raw(session, article, version, output)
            elif diff is not None:
                _show_diff(article, diff, words)
            elif version is not None:
                _show_version(article, version, as_json)
            else:
                details = records.article_details(session, article)
                if as_json:
                    click.echo(json_safe(json.dumps(details, ensure_ascii=False, indent=2)))
                else:
                    click.echo(terminal_safe(format_article(details)))
        except (LookupError, DiffTooLarge) as exc:
            raise CommandFailed(str(exc.args[0])) from exc


def _show_version(article: Article, number: int, as_json: bool) -> None:
    row = get_version(article, number)
    details = {
        "id": article.id, "version": row.version, "of_versions": article.version, "title": row.title,
        "published_at": local_iso(row.published_at), "updated_at": local_iso(row.updated_at),
        "captured_at": local_iso(row.captured_at), "capture_id": row.capture_id,
        "content_hash": row.content_hash, "text": row.text,
    }  # fmt: skip
    if as_json:
        click.echo(json_safe(json.dumps(details, ensure_ascii=False, indent=2)))
        return
    lines = [
        f"article {article.id}, version {row.version} of {article.version}",
        f"  captured:      {human_time(row.captured_at)}  (capture {row.capture_id})",
        f"  published:     {human_time(row.published_at) or 'unknown'}",
        f"  content hash:  {row.content_hash}",
        "", row.title or "(no title)", "", row.text,
    ]  # fmt: skip
    click.echo(terminal_safe("\n".join(lines)))


def _show_diff(article: Article, versions: tuple[int, int], words: bool) -> None:
    old, new = versions
    bold = use_bold()
    if words:
        text = terminal_safe(format_word_diff(word_diff(article, old, new)))
        click.echo(text)
        return
    for line in line_diff(article, old, new):
        safe = terminal_safe(line, multiline=False)
        if bold and line[:1] in "+-" and not line.startswith(("+++", "---")):
            safe = f"{BOLD}{safe}{RESET}"
        click.echo(safe)


def _newest_capture(session: Session, article: Article, version: int | None) -> Capture:
    capture_id = get_version(article, version or article.version).capture_id
    capture = session.get(Capture, capture_id) if capture_id is not None else None
    if capture is None:
        raise CommandFailed(
            f"article {article.id} has no stored capture for version {version or article.version}"
        )
    return capture


def _write_raw(session: Session, article: Article, version: int | None, output: Path | None) -> None:
    capture = _newest_capture(session, article, version)
    body = capture_body(capture)
    if output is None:
        if sys.stdout.isatty():
            raise ArgumentProblem(
                "refusing to write raw capture bytes to a terminal; use --output FILE or a pipe"
            )
        sys.stdout.flush()
        binary_stdout: IO[bytes] = sys.stdout.buffer
        binary_stdout.write(body)
        binary_stdout.flush()
        return
    try:
        write_atomically(output, lambda stream: stream.write(body), binary=True)
    except UnsafeOutput as exc:
        raise ArgumentProblem(str(exc)) from exc
    except OSError as exc:
        raise CommandFailed(f"cannot write {output}: {exc.strerror or exc}") from exc
    click.echo(
        f"wrote {len(body)} bytes of capture {capture.id} (sha256 {capture.body_sha256}) to "
        f"{terminal_safe(str(output), multiline=False)}",
        err=True,
    )


@click.command("cite", cls=Command)
@click.argument("id_or_url")
@db_option
@click.option(
    "--style", type=click.Choice(STYLES), default="plain", show_default=True, help="Citation format."
)
@click.option("--version", "version", type=click.IntRange(min=1), default=None,
              help="Cite this version [default: the current one].")  # fmt: skip
def cite_command(id_or_url: str, db: str | None, style: str, version: int | None) -> None:
    """Print a citation of an archived article: paper, title, author, published date, URL, capture time,
    archive id and version.

    \b
    Example:
        newsarchive cite 1234
        newsarchive cite 1234 --style bibtex >> refs.bib
        newsarchive cite 1234 --version 1 --style csl-json
    """
    with archive_session(db) as session:
        article = load_article(session, id_or_url)
        try:
            citation = citation_for(session, article, version)
        except LookupError as exc:
            raise CommandFailed(str(exc.args[0])) from exc
    text = render(citation, style)
    if sys.stdout.isatty():
        text = terminal_safe(text)
    with utf8_stdout() as stream:
        stream.write(text + "\n")


def format_article(details: dict[str, Any]) -> str:
    """Return the readable provenance-then-text view of an article_details() dict."""
    d = details
    status = d["status"] + (f" ({d['reason']})" if d["reason"] else "")
    published = human_time(d["published_at"]) or "unknown"
    if d["date_raw"] or d["date_source"]:
        published += f"  (raw {d['date_raw']!r} from {d['date_source'] or '?'})"
    lines = [
        f"article {d['id']}",
        f"  paper:         {d['portal_name'] or ''} ({d['portal'] or ''})",
        f"  url:           {d['url']}",
        f"  canonical url: {d['canonical_url']}",
        f"  status:        {status}",
    ]
    if d["removed_at"]:
        lines.append(
            f"  removed:       taken down by the portal (HTTP {d['removed_http_status']}) at "
            f"{human_time(d['removed_at'])}; the text below is the archived copy"
        )
    lines += [
        f"  published:     {published}",
        f"  updated:       {human_time(d['updated_at'])}",
    ]
    if d["date_warnings"]:
        lines.append(f"  date warnings: {'; '.join(d['date_warnings'])}")
    lines += [
        f"  author:        {d['author'] or ''}",
        f"  language:      {d['language']} ({d['language_confidence']:.2f})",
        f"  content hash:  {d['content_hash']}",
        f"  captured:      first {human_time(d['first_captured_at'])}, latest {human_time(d['captured_at'])}",
        f"  version:       {d['version']}",
    ]
    if d["duplicate_of"] is not None:
        lines.append(f"  duplicate of:  article {d['duplicate_of']}")
    lines.append("versions:")
    for v in d["versions"]:
        lines.append(
            f"  v{v['version']}  captured {human_time(v['captured_at'])}  hash {v['content_hash'][:12]}"
            f"  capture {v['capture_id']}  {truncate(' '.join((v['title'] or '').split()), 60)}"
            f"  [{v['source'] or 'capture not kept'}]"
        )
    lines.append("captures:")
    for c in d["captures"]:
        lines.append(
            f"  #{c['id']}  fetched {human_time(c['fetched_at'])}  last {human_time(c['last_fetched_at'])}"
            f"  x{c['fetch_count']}"
            f"  HTTP {c['http_status']}  via {c['discovered_via'] or '?'}  sha256 {c['body_sha256'][:16]}"
            f"  {c['size']} bytes  source {c['source']}"
        )
        if c["canonical_claim"] is not None:  # the page's word, shown as a claim with the archive's verdict
            lines.append(f"      canonical claim: {c['canonical_claim']} ({c['canonical_verdict']})")
    cluster = d["cluster"]
    if cluster is not None:
        origin = " (this article is the origin)" if cluster["is_origin"] else ""
        lines.append(f"cluster {cluster['id']}{origin}:")
        for other in cluster["others"]:
            mark = "  [origin]" if other["origin"] else ""
            lines.append(f"  #{other['id']}  {other['portal'] or ''}  {human_time(other['published_at'])}  "
                         f"{other['url']}{mark}")  # fmt: skip
    # One-line fields must not smuggle line breaks into the header.
    lines = [line.replace("\n", " ").replace("\r", " ") for line in lines]
    lines += ["", d["title"] or "(no title)", ""]
    if d["sapo"]:
        lines += [d["sapo"], ""]
    lines.append(d["text"])
    return "\n".join(lines)
