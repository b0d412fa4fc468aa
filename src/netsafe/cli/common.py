"""Helpers shared by CLI commands: store opening, password prompts, audit of command-line actions."""

from __future__ import annotations

import sys
from typing import Any

import typer

from netsafe.audit.service import Actor, record
from netsafe.cli.errors import exit_code, fail
from netsafe.store.db import Database, StoreError, open_database


def open_store(url: str | None = None) -> Database:
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


def audit_cli(
    db: Database, action: str, target: str | None, details: dict[str, Any], outcome: str = "ok"
) -> None:
    """Record what a person did from the command line in the hash-chained audit log.

    The web layer audits its own requests; commands that change hash sets or look things up call this so
    the log holds every change and every lookup, whichever door it came through.
    """
    with db.session() as session:
        record(session, Actor.cli(), action, target, details, outcome=outcome)
