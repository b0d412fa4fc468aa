"""Usage errors in netsafe's one style: ``netsafe COMMAND: error: ...`` on one line, exit status 2.

Typer prints a usage error as a framed box under a usage line; every other netsafe error is one line
(cli/errors.py). The root group runs the commands itself and turns Typer's usage errors (a missing
argument, an unknown option, a bad value) into that line, and Ctrl-C anywhere into exit status 130.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer import Abort
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from netsafe.cli.errors import EXIT_INTERRUPTED, EXIT_USAGE


def command_name(ctx: Any) -> str:
    """``netsafe hashset import`` for a context, whatever the program was called (``python -m ...``)."""
    names: list[str] = []
    while ctx is not None and ctx.parent is not None:
        # A group's default command (``netsafe scan`` runs ``scan run``) is named as the person typed it.
        if ctx.info_name != getattr(ctx.parent.command, "default_command", None):
            names.append(str(ctx.info_name))
        ctx = ctx.parent
    return " ".join(["netsafe", *reversed(names)])


_ARGS = "netsafe.args"


def _innermost(ctx: Any) -> str:
    """The full name of the sub-command being run under the root context ``ctx``."""
    names = ["netsafe"]
    args = ctx.meta.get(_ARGS, [])
    group: Any = ctx.command
    for arg in args:
        sub = getattr(group, "commands", {}).get(arg)
        if sub is None:
            break
        names.append(arg)
        group = sub
    return " ".join(names)


class NetsafeGroup(TyperGroup):
    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        ctx.meta.setdefault(_ARGS, list(args))  # the root's: names the sub-command if it is interrupted
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # The store commits each change whole, so an interrupted command leaves nothing half-done.
            command = _innermost(ctx)
            typer.echo(f"\n{command}: error: interrupted (Ctrl-C): nothing unfinished was stored", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            code = super().main(
                args, prog_name, complete_var, standalone_mode=False, windows_expand_args=False, **extra
            )
        except NoArgsIsHelpError as err:
            err.show()  # the help itself, as asked for by giving nothing
            code = EXIT_USAGE
        except UsageError as err:
            command = command_name(err.ctx)
            text = " ".join(err.format_message().split())
            typer.echo(f"{command}: error: {text} (see '{command} --help')", err=True)
            code = EXIT_USAGE
        except ClickException as err:
            typer.echo(f"netsafe: error: {' '.join(err.format_message().split())}", err=True)
            code = err.exit_code
        except Abort:  # Ctrl-C or end of input at a prompt
            typer.echo("\nnetsafe: interrupted: nothing was changed", err=True)
            code = EXIT_INTERRUPTED
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code
