"""One-line errors and the exit codes every netsafe command uses: 0 ok, 1 some failures, 2 usage,
130 interrupted (Ctrl-C).

The kinds of error (``netsafe.errors``) map to exit codes here and nowhere else: a command lets a
``NetsafeError`` escape and :func:`main` (or :func:`handled`) prints its one line with the code its kind has.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

from netsafe.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NetsafeError,
    NotFound,
    Rejected,
    Unavailable,
    by_kind,
)

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report a process ended by SIGINT (128 + 2)

# First match in the exception's method resolution order wins, so the more specific kinds come first.
EXIT_CODES: dict[type[NetsafeError], int] = {
    Rejected: EXIT_FAILURES,  # the input was read; some records were invalid
    InvalidInput: EXIT_USAGE,
    NotFound: EXIT_USAGE,
    Forbidden: EXIT_USAGE,
    Conflict: EXIT_FAILURES,
    Unavailable: EXIT_FAILURES,
    NetsafeError: EXIT_FAILURES,
}


def exit_code(err: NetsafeError) -> int:
    return by_kind(err, EXIT_CODES, EXIT_FAILURES)


def fail(message: str, code: int = EXIT_USAGE, command: str = "netsafe") -> NoReturn:
    """Print ``command: error: message`` (one line) on stderr and exit with ``code``."""
    text = " ".join(str(message).split())  # newlines in a message must not break the one-line rule
    typer.echo(f"{command}: error: {text}", err=True)
    raise typer.Exit(code)


@contextmanager
def handled(command: str = "netsafe") -> Iterator[None]:
    """Turn a :class:`NetsafeError` raised inside the block into its one line and exit code."""
    try:
        yield
    except NetsafeError as err:
        fail(str(err), exit_code(err), command)
