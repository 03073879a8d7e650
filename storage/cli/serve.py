"""`newsarchive serve`: the read-only archive browser on a local port."""

from __future__ import annotations

import errno
import socket

import click

from storage.cli.base import Command, CommandFailed
from storage.cli.common import db_option
from storage.db import ArchiveUnavailable


class CannotListen(CommandFailed):
    """The address cannot be listened on (a busy port, no such address): one line, exit status 3."""

    exit_code = 3


def listening_socket(host: str, port: int) -> socket.socket:
    """Return a socket bound to ``host``:``port`` and listening; raise CannotListen (one line) when the
    port is busy or the address is not this machine's. Binding before the server starts is what lets
    the command say so before it prints anything else."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise CannotListen(
            f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}"
        ) from exc
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_REUSEADDR, 1
        )  # as uvicorn does: TIME_WAIT is no obstacle
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        hint = "; another server holds it: choose another --port" if exc.errno == errno.EADDRINUSE else ""
        raise CannotListen(
            f"cannot listen on {host}:{port}: {(exc.strerror or str(exc)).lower()}{hint}"
        ) from exc
    sock.set_inheritable(True)
    return sock


@click.command("serve", cls=Command)
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port to listen on (0: a free one, shown in the first line).",
)
def serve_command(db: str | None, host: str, port: int) -> None:
    """Browse the archive in a web browser: search with facets, articles with provenance, versions and
    diffs, the captured pages (sandboxed), portals and crawl runs. Read-only: the archive is opened
    read-only and every method other than GET and HEAD is refused. A port that cannot be listened on
    (another server holds it) is one `error:` line and exit status 3, before anything else is printed.

    \b
    Example:
        newsarchive serve --port 8080
        newsarchive serve --db postgresql://archivist@db/newsarchive --host 0.0.0.0
    """
    import uvicorn

    from storage.web.app import create_app

    try:
        app = create_app(db)
    except ArchiveUnavailable as exc:
        raise CommandFailed(str(exc)) from exc
    sock = listening_socket(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"serving the archive at http://{shown}:{bound}/ (Ctrl-C stops)", err=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
