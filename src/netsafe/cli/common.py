"""Helpers shared by CLI commands: store opening and password prompts."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from netsafe.cli.errors import exit_code, fail

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


def read_password(confirm: bool = True) -> str:
    """From the terminal (asked twice), or the first line of stdin when it is not a terminal."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    return password
