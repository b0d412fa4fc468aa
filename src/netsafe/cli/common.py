"""Helpers shared by the service's CLI commands (user, token, audit, serve)."""

from __future__ import annotations

import sys

import typer

from netsafe.store.db import Database, StoreError, open_database


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def open_store(url: str | None = None) -> Database:
    try:
        return open_database(url)
    except StoreError as err:
        raise fail(str(err)) from None


def read_password(confirm: bool = True) -> str:
    """From the terminal (asked twice), or the first line of stdin when it is not a terminal."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    return password
