"""`newsarchive runs` and `runs show`: the crawl runs recorded in the archive, with their stats."""

from __future__ import annotations

import json

import click

from storage.cli.base import CommandFailed, CommandGroup
from storage.cli.common import archive_session, check_portal, db_option, human_time
from storage.cli.output import Column, emit, json_default, output_options, utf8_stdout
from storage.export import records
from storage.frontier.backlog import backlog_by_key
from storage.models import MAX_ID, RunStatus
from storage.safe_text import json_safe, terminal_safe

RUN_STATUS_CHOICES = [status.value for status in RunStatus]


@click.group("runs", cls=CommandGroup, invoke_without_command=True)
@db_option
@output_options
# Bounded like an id: a limit past SQLite's 64-bit INTEGER raised OverflowError in the query (traceback).
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=MAX_ID),
    default=20,
    show_default=True,
    help="Most runs to list.",
)
@click.option(
    "--portal", "portal", metavar="KEY", help="Only runs that crawled this portal, with its outcome."
)
@click.option("--status", "status", type=click.Choice(RUN_STATUS_CHOICES), help="Only runs in this state.")
@click.pass_context
def runs_command(
    ctx: click.Context, db: str | None, output: str | None, no_bom: bool, limit: int, portal: str | None,
    status: str | None,
) -> None:  # fmt: skip
    """List crawl runs, newest first, with their key stats; `runs show ID` shows one run in full.

    Times are Vietnam time: dd/mm/yyyy HH:MM (GMT+7) in the table, ISO 8601 with the +07:00 offset in
    JSON and CSV. pages = downloader/response_count; stored,
    duplicate, near_dup, revisits, off_language, failed = archive/* (0 when none). Statuses: running,
    finished, failed (a portal unreachable or yielding nothing), interrupted (SIGINT/SIGTERM), abandoned
    (its heartbeat stopped: killed).

    \b
    Example:
        newsarchive runs --limit 5
        newsarchive runs --portal ninhthuan --status failed
        newsarchive runs show 42
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"db": db}
        return
    with archive_session(db) as session:
        if portal is not None:
            check_portal(session, portal)
        runs = records.run_summaries(session, limit=limit, portal=portal, status=status)
    columns = ["id", "started_at", "finished_at", "status"]
    columns += ["outcome"] if portal is not None else ["portals"]
    columns += [label for label, _ in records.RUN_STATS]
    if output in (None, "table"):
        for run in runs:
            run["started_at"] = human_time(run["started_at"])
            run["finished_at"] = human_time(run["finished_at"])
            if isinstance(run["elapsed_s"], float):
                run["elapsed_s"] = round(run["elapsed_s"], 1)
        if not runs:
            click.echo("no crawl runs", err=True)
    emit(runs, output, [Column(c, flexible=c == "portals") for c in columns], bom=not no_bom,
         fields=[] if output in ("json", "jsonl") else None)  # fmt: skip


@runs_command.command("show")
@click.argument("run_id", type=click.IntRange(1, MAX_ID))
@db_option
@click.option("--json", "as_json", is_flag=True, help="Output one JSON object.")
@click.pass_context
def runs_show_command(ctx: click.Context, run_id: int, db: str | None, as_json: bool) -> None:
    """Show one crawl run in full: status and finish reason, where it ran, each portal's outcome (with
    the URLs it left for the next crawl), each portal's frontier backlog now (never fetched, failed
    awaiting a retry, waiting since) and every stat the crawl recorded.

    \b
    Example:
        newsarchive runs show 42
        newsarchive runs show 42 --json --db postgresql://archive@db/news
    """
    if ctx.get_parameter_source("db") is click.core.ParameterSource.DEFAULT and ctx.obj:
        db = ctx.obj["db"]  # `runs --db URL show ID`
    with archive_session(db) as session:
        details = records.run_details(session, run_id)
        # What the frontier owes each portal now (each outcome has its backlog at the run's end).
        keys = (details["portals"] or sorted(details["outcomes"])) if details else []
        owed = backlog_by_key(session, keys)
    if details is None:
        raise CommandFailed(f"no crawl run {run_id}")
    details["backlog"] = {key: value.as_dict() for key, value in owed.items()}
    if as_json:
        with utf8_stdout() as stream:
            stream.write(json_safe(json.dumps(details, ensure_ascii=False, indent=2, default=json_default)))
            stream.write("\n")
        return
    lines = [
        ("run", details["id"]), ("status", details["status"]), ("finish reason", details["finish_reason"]),
        ("started", human_time(details["started_at"])), ("finished", human_time(details["finished_at"])),
        ("heartbeat", human_time(details["heartbeat_at"])),
        ("ran on", " ".join(f"{k}={v}" for k, v in (("host", details["host"]), ("pid", details["pid"]),
                            ("node", details["node"]), ("job", details["job_id"])) if v is not None)),
    ]  # fmt: skip
    for key in details["portals"] or sorted(details["outcomes"]):
        outcome = details["outcomes"].get(key)
        if isinstance(outcome, dict):
            figures = ", ".join(f"{k} {v}" for k, v in outcome.items() if k != "outcome")
            lines.append(
                (f"portal {key}", f"{outcome.get('outcome')}" + (f" ({figures})" if figures else ""))
            )
        else:
            lines.append((f"portal {key}", "no outcome recorded"))
    lines += [(f"backlog {key}", value.describe()) for key, value in owed.items()]
    lines += [(key, value) for key, value in details["stats"].items()]
    width = max(len(label) for label, _ in lines)
    with utf8_stdout() as stream:
        for label, value in lines:
            text = "" if value is None else str(value)
            stream.write(f"{label.ljust(width)}  {terminal_safe(text, multiline=False)}\n")
