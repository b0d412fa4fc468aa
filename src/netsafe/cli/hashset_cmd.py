"""``netsafe hashset import|list|show|export|delete``: hash lists in the store.

The commands only translate: options in, ``netsafe.services.hashsets`` called with the command-line actor,
errors out as one line with the exit code of their kind (``cli/errors.py``). Changing a set's entries
(create, add, remove, rename) is in ``hashset_edit_cmd.py``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from netsafe.cli import common
from netsafe.cli.common import command_store, emit_json
from netsafe.cli.errors import EXIT_FAILURES, fail, handled

if TYPE_CHECKING:
    from netsafe.services import hashsets as service
    from netsafe.store.db import Database

COMMAND = "netsafe hashset"

app = typer.Typer(
    name="hashset",
    help="Create, import, list, show, add to, export, rename and delete hash sets (CAID, Project VIC, IWF, "
    "your own bank).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Spelled out, not read from netsafe.hashsets.formats, which loads every reader (0.04 s) for the help
# text alone; tests/cli/test_startup_imports.py checks it names the registry's formats, in order.
FORMAT_NAMES = "vics, csv, hashdeep, md5sum, sha1sum, sha256sum, tx"
SHOWN_ISSUES = 10


def store() -> AbstractContextManager[Database]:
    return command_store(COMMAND)


@contextmanager
def _byte_progress(path: Path) -> Iterator[Callable[[int], None]]:
    """A bar on stderr over the file's bytes, only when stderr is a terminal (never in pipes or logs)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    size = path.stat().st_size
    progress = Progress(
        TextColumn("[bold]importing"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not sys.stderr.isatty(),
        transient=True,
    )
    task = progress.add_task("import", total=size or None)
    with progress:
        yield lambda done: progress.update(task, completed=done)


# How far below normal a command-line import runs: a bulk job that takes minutes should leave the CPU to a
# service answering /match on the same machine (issue 18: p99 130.6 ms during a 1M-entry import at normal
# priority, benchmarks/README.md "Matching during an import"); on an idle machine it costs nothing.
IMPORT_NICENESS = 10


def _yield_cpu() -> None:
    # Only when this process is the command: a program (or a test) that calls the CLI in-process keeps its
    # own priority. Not POSIX, or not allowed: run at the priority given.
    if common.RUNNING_AS_COMMAND:
        with contextlib.suppress(AttributeError, OSError):
            os.nice(IMPORT_NICENESS)


@app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="The hash list to import.", show_default=False),
    name: str = typer.Option(..., "--name", help="Hash set to import into (created if new)."),
    fmt: str | None = typer.Option(
        None, "--format", help=f"File format ({FORMAT_NAMES}); detected from the content if left out."
    ),
    profile: str | None = typer.Option(
        None, "--profile", help="Grading profile of a new set (uk-caid, vic-us, ...; default uk-caid)."
    ),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Import the valid records and write the invalid ones to --rejects."
    ),
    rejects: Path | None = typer.Option(
        None, "--rejects", help="Where rejected records go (JSON Lines; default FILE.rejects.jsonl here)."
    ),
    description: str | None = typer.Option(None, "--description", help="Description of a new set."),
    source: str | None = typer.Option(None, "--source", help="Where a new set comes from (CAID, IWF, ...)."),
    column: list[str] | None = typer.Option(
        None,
        "--column",
        metavar="FIELD=HEADER",
        help="CSV: the column holding a field, when its header is not one netsafe knows "
        "(--column md5=Hash --column category=Grade; repeatable).",
    ),
    category: str | None = typer.Option(
        None,
        "--category",
        metavar="CODE",
        help="Grade every entry the list leaves ungraded (a plain md5sum list) in this category (A, B...).",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the outcome as one JSON object."),
) -> None:
    """Import a hash list into a hash set, all or nothing (one transaction) unless --skip-invalid.

    Exit status: 0 imported, 1 invalid records (nothing stored; with --skip-invalid: the rest stored, or
    nothing if every record was invalid), 2 usage error (no such file, unknown format or profile, bad name).
    """
    from netsafe.audit.service import Actor
    from netsafe.services import hashsets as service

    with handled(COMMAND):
        if file.is_dir():
            raise service.UsageError(f"{file} is a folder: give the hash-list file itself")
        if not file.is_file():
            raise service.UsageError(f"{file}: no such file")
        if profile is not None:
            from netsafe.hashsets.profiles import load_profile

            load_profile(profile)
        columns = _columns(column or [])
    _yield_cpu()
    with store() as db:
        try:
            with _byte_progress(file) as on_progress:
                result = service.import_file(
                    db, Actor.cli(), file, name, format=fmt, profile=profile, skip_invalid=skip_invalid,
                    rejects=rejects, description=description, source=source, progress=on_progress,
                    columns=columns, category=category,
                )  # fmt: skip
        except service.ImportFailedError as err:
            if len(err.result.issues) > 1:  # the error line itself names the first
                _report_issues(err.result)
            if json_out:
                emit_json(err.result.as_dict())
            raise
    for warning in result.warning_samples[:SHOWN_ISSUES]:
        typer.echo(f"{COMMAND}: {warning}", err=True)
    if json_out:
        emit_json(result.as_dict())
    else:
        typer.echo(
            f"{result.name}: version {result.version}, {result.read} records read, {result.added} added, "
            f"{result.updated} updated, {result.rejected} rejected"
            + (f" (see {result.rejects_path})" if result.rejected and result.rejects_path else ""),
            err=True,
        )
    if result.rejected:
        _report_issues(result)
        raise typer.Exit(EXIT_FAILURES)


def _columns(pairs: list[str]) -> dict[str, str]:
    """``["md5=Hash"]`` -> ``{"md5": "Hash"}``."""
    from netsafe.services import hashsets as service

    out: dict[str, str] = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep or not field.strip() or not header:
            raise service.UsageError(f"--column {pair!r}: expected FIELD=HEADER, e.g. --column md5=Hash")
        out[field.strip().lower()] = header
    return out


def _report_issues(result: service.ImportResult) -> None:
    for found in result.issues[:SHOWN_ISSUES]:
        typer.echo(f"{COMMAND}: {found}", err=True)
    if result.rejected > SHOWN_ISSUES:
        where = (
            f" in {result.rejects_path}" if result.rejects_path else " (use --rejects FILE to list them all)"
        )
        typer.echo(f"{COMMAND}: ... {result.rejected} rejected records in all{where}", err=True)


@app.command("list")
def list_command(
    json_out: bool = typer.Option(False, "--json", help="JSON Lines, one object per set."),
) -> None:
    """List the hash sets in the store (names made before the name rule are marked, with a hint)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from netsafe.services import hashsets as service

    with store() as db:
        infos = service.list_sets(db)
    old_names = [info.name for info in infos if not service.name_ok(info.name)]
    if json_out:
        for info in infos:
            emit_json(service.info_dict(info))
    else:
        table = Table(title=f"{len(infos)} hash sets")
        for col in ("name", "profile", "entries", "version", "updated", "description"):
            table.add_column(col, overflow="fold")
        for info in infos:
            table.add_row(
                escape(info.name) + (" (rename)" if not service.name_ok(info.name) else ""), info.profile,
                f"{info.entry_count:,}", str(info.version),
                info.updated.strftime("%Y-%m-%d %H:%M") if info.updated else "", info.description or "",
            )  # fmt: skip
        Console().print(table)
    if old_names:
        shown = ", ".join(repr(n) for n in old_names[:5]) + (" ..." if len(old_names) > 5 else "")
        typer.echo(
            f"{COMMAND}: {len(old_names)} set name(s) break the name rule (letters, digits, '-', '_', '.', "
            f"not starting with '.'): {shown}; the API and pages cannot reach them: "
            "rename with `netsafe hashset rename OLD NEW`",
            err=True,
        )


@app.command("show")
def show_command(
    name: str = typer.Argument(..., help="Hash set name."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Show a hash set: profile, version, entries by category and by signal."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from netsafe.services import hashsets as service

    with store() as db:
        details = service.show_set(db, name)
    if json_out:
        emit_json(details.as_dict())
        return
    info = details.info
    console = Console()
    console.print(
        f"[bold]{escape(info.name)}[/bold]  profile {info.profile}  version {info.version}  "
        f"{info.entry_count:,} entries",
        markup=True,
    )
    if info.description or info.source:
        console.print(
            " ".join(x for x in (info.description, f"source: {info.source}" if info.source else None) if x),
            markup=False,
        )
    table = Table(title="by category")
    for col in ("category", "label", "entries"):
        table.add_column(col)
    for c in details.categories:
        table.add_row(c.category or "-", c.label, f"{c.entries:,}")
    console.print(table)
    console.print("signals: " + ", ".join(f"{k} {v:,}" for k, v in details.signals.items() if v))


@app.command("export")
def export_command(
    name: str = typer.Argument(..., help="Hash set name."),
    fmt: str = typer.Option(..., "--format", help=f"Output format ({FORMAT_NAMES})."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write (default: stdout)."),
    profile: str | None = typer.Option(
        None, "--profile", help="Write categories in another profile (mapped as the profiles define)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print a JSON summary (needs --output)."),
) -> None:
    """Export a hash set (VICS 2.0 JSON, CSV, hashdeep, md5sum, ThreatExchange text)."""
    from netsafe.audit.service import Actor
    from netsafe.services import hashsets as service

    if json_out and output is None:
        fail("--json prints a summary on stdout, so the export needs --output FILE", command=COMMAND)
    with handled(COMMAND):
        from netsafe.hashsets.formats import get as get_format

        spec = get_format(fmt)
        if profile is not None:
            from netsafe.hashsets.profiles import load_profile

            load_profile(profile)
    with store() as db:
        try:
            if output is None:
                count = service.export_set(db, Actor.cli(), name, sys.stdout, spec.name, profile)
            else:
                tmp = output.with_name(output.name + ".partial")
                count = service.export_set(db, Actor.cli(), name, tmp, spec.name, profile)
                tmp.replace(output)  # never leave a half-written list under the real name
        except OSError as err:
            fail(f"{output or 'stdout'}: cannot write: {err.strerror}", EXIT_FAILURES, COMMAND)
    if json_out:
        emit_json({"name": name, "format": spec.name, "entries": count, "output": str(output)})
    elif output is not None:
        typer.echo(f"{name}: {count} entries written to {output}", err=True)


@app.command("delete")
def delete_command(
    name: str = typer.Argument(..., help="Hash set name."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_out: bool = typer.Option(False, "--json", help="Print what was deleted as one JSON object."),
) -> None:
    """Delete a hash set with its entries, votes and saved match index."""
    from netsafe.audit.service import Actor
    from netsafe.services import hashsets as service

    with store() as db:
        if not yes:
            info = service.show_set(db, name).info
            if not sys.stdin.isatty():
                fail(
                    f"refusing to delete {name!r} ({info.entry_count} entries) without --yes", command=COMMAND
                )
            typer.confirm(f"delete hash set {name!r} and its {info.entry_count:,} entries?", abort=True)
        deleted = service.delete_set(db, Actor.cli(), name)
    if json_out:
        emit_json({"deleted": deleted.name, "entries": deleted.entry_count, "version": deleted.version})
    else:
        typer.echo(f"deleted {deleted.name} ({deleted.entry_count:,} entries)", err=True)


__all__ = ["COMMAND", "app", "emit_json", "store"]
