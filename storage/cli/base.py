"""The command classes and errors every `newsarchive` command shares: one line on stderr, exit 1 or 2."""

from __future__ import annotations

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
            return super().invoke(ctx)  # type: ignore[misc]
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            raise ArgumentProblem(exc.format_message()) from exc


class Command(_OneLineUsageErrors, click.Command):
    """A `newsarchive` command: its usage errors are one line, exit 2 (ArgumentProblem)."""


class CommandGroup(_OneLineUsageErrors, click.Group):
    """A `newsarchive` command group: usage errors one line, exit 2, like Command; its ``@command`` and
    ``@group`` decorators make Commands and CommandGroups."""

    command_class = Command
    group_class = type  # subgroups of the same class
