"""The command classes and errors every `newsarchive` command shares: one line on stderr, exit 1 or 2."""

from __future__ import annotations

import errno
import os
import sys
from typing import IO, Any

import click

from storage.safe_text import terminal_safe


def one_line(message: str) -> str:
    """Return ``message`` folded onto one line, its control characters shown as escapes."""
    return terminal_safe(" ".join(message.split()), multiline=False)


class CommandFailed(click.ClickException):
    """A failure (archive unavailable, crawl failed, nothing found) shown as ``error: ...`` on one line,
    exit status 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {one_line(self.format_message())}", file=file, err=True)


class ArgumentProblem(click.ClickException):
    """A usage error (bad option or argument, unknown portal, conflicting options) shown as
    ``error: ...`` on one line, exit status 2; click's own usage errors are turned into one."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {one_line(self.format_message())}", file=file, err=True)


class _OneLineUsageErrors:
    """Usage errors (bad option values, missing arguments, unknown commands) as one ArgumentProblem.

    A group run without a command still prints its help (click's NoArgsIsHelpError, exit 2).
    """

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)  # type: ignore[misc]
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            raise ArgumentProblem(exc.format_message()) from exc

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)  # type: ignore[misc]
            # Flushed here, not at exit: a full disk or a closed pipe is then one error line, not a
            # traceback printed while Python shuts down.
            sys.stdout.flush()
            return result
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            raise ArgumentProblem(exc.format_message()) from exc
        except OSError as exc:
            if exc.errno not in _OUTPUT_ERRORS:
                raise
            raise CommandFailed(_output_failure(exc)) from exc


# Errors of writing the output: a reader that closed the pipe (`| head`), a full disk or a quota, a
# file grown past its limit, an I/O error of the device.
_OUTPUT_ERRORS = frozenset({errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _output_failure(exc: OSError) -> str:
    """Return the one-line message of a failed write, after pointing stdout at /dev/null so that
    Python's own flush at exit (of what is still buffered) cannot fail a second time, with a traceback."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        descriptor = -1  # closed already, or not a file (a test runner's buffer): nothing flushes at exit
    if descriptor >= 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, descriptor)
        os.close(devnull)
    if exc.errno == errno.EPIPE:
        return "the output was closed before it was complete (broken pipe)"
    return f"cannot write the output: {exc.strerror or os.strerror(exc.errno or 0)}"


class Command(_OneLineUsageErrors, click.Command):
    """A `newsarchive` command: its usage errors are one line, exit 2 (ArgumentProblem)."""


class CommandGroup(_OneLineUsageErrors, click.Group):
    """A `newsarchive` command group: usage errors one line, exit 2, like Command; its ``@command`` and
    ``@group`` decorators make Commands and CommandGroups."""

    command_class = Command
    group_class = type  # subgroups of the same class
