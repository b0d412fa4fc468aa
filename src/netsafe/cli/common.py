"""Helpers shared by CLI commands: store opening, JSON output and password prompts."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from netsafe.cli.errors import exit_code, fail, handled

if TYPE_CHECKING:
    from netsafe.store.db import Database

# True when this process is the `netsafe` command itself (set by netsafe.cli.main), not a program or a
# test that calls the commands in-process: only then may a command change the process's own priority.
RUNNING_AS_COMMAND = False


def open_store(url: str | None = None) -> Database:
    # SQLAlchemy is imported here, not at the top: `--help` and `hash` never open the store.
    from netsafe.store.db import StoreError, open_database

    try:
        return open_database(url)
    except StoreError as err:
        fail(str(err), exit_code(err))


@contextmanager
def command_store(command: str) -> Iterator[Database]:
    """The store, its errors turned into one line (named for ``command``) and the exit code of their kind,
    disposed on the way out."""
    from netsafe.store.db import open_database

    with handled(command):
        db = open_database()
        try:
            yield db
        finally:
            db.dispose()


def emit_json(obj: Any) -> None:
    """One JSON document on one line of standard output (what every ``--json`` prints)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")


def read_password(confirm: bool = True) -> str:
    """From the terminal (asked twice), or the first line of stdin when it is not a terminal."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    return password
