"""One-line errors and the exit codes every netsafe command uses: 0 ok, 1 some failures, 2 usage."""

from __future__ import annotations

from typing import NoReturn

import typer

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_USAGE, command: str = "netsafe") -> NoReturn:
    """Print ``command: error: message`` (one line) on stderr and exit with ``code``."""
    text = " ".join(str(message).split())  # newlines in a message must not break the one-line rule
    typer.echo(f"{command}: error: {text}", err=True)
    raise typer.Exit(code)
