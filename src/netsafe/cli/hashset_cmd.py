"""``netsafe hashset import|list|show|export|delete|remove``: hash lists in the store."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from netsafe.cli.common import audit_cli
from netsafe.cli.errors import EXIT_FAILURES, EXIT_USAGE, fail
from netsafe.hashsets.formats import FORMATS, FormatError
from netsafe.hashsets.formats import get as get_format
from netsafe.hashsets.model import HashSetError
from netsafe.hashsets.profiles import ProfileError, load_profile
from netsafe.services import hashsets as service
from netsafe.services.matcher import drop_index, index_key
from netsafe.store.db import Database, StoreError, open_database
from netsafe.store.repositories import NotFoundError

app = typer.Typer(
    name="hashset",
    help="Import, list, show, export and delete hash sets (CAID, Project VIC, IWF, your own bank).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

FORMAT_NAMES = ", ".join(FORMATS)
SHOWN_ISSUES = 10


def _error(message: str, code: int = EXIT_USAGE) -> NoReturn:
    fail(message, code, "netsafe hashset")


def _open() -> Database:
    try:
        return open_database()
    except StoreError as err:
        _error(str(err), EXIT_FAILURES)


def _json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")


@contextmanager
def _byte_progress(path: Path) -> Iterator[Callable[[int], None]]:
    """A bar on stderr over the file's bytes, only when stderr is a terminal (never in pipes or logs)."""
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
    json_out: bool = typer.Option(False, "--json", help="Print the outcome as one JSON object."),
) -> None:
    """Import a hash list into a hash set, all or nothing (one transaction) unless --skip-invalid.

    Exit status: 0 imported, 1 invalid records (nothing stored; with --skip-invalid: the rest stored),
    2 usage error (no such file, unknown format or profile).
    """
    if not file.is_file():
        _error(f"{file}: no such file")
    if profile is not None:
        try:
            load_profile(profile)
        except ProfileError as err:
            _error(str(err))
    db = _open()
    try:
        with _byte_progress(file) as on_progress:
            result = service.import_file(
                db, file, name, format=fmt, profile=profile, skip_invalid=skip_invalid, rejects=rejects,
                description=description, source=source, progress=on_progress,
            )  # fmt: skip
        _audit_import(db, name, result.as_dict(), "ok")
    except service.ImportFailedError as err:
        _audit_import(db, name, err.result.as_dict(), "failed")
        db.dispose()
        if len(err.result.issues) > 1:  # the error line itself names the first
            _report_issues(err.result)
        if json_out:
            _json(err.result.as_dict())
        _error(str(err), EXIT_FAILURES)
    except (FormatError, ProfileError, service.UsageError) as err:
        _error(str(err))
    except (StoreError, HashSetError) as err:
        _error(str(err), EXIT_FAILURES)
    finally:
        db.dispose()
    for warning in result.warning_samples[:SHOWN_ISSUES]:
        typer.echo(f"netsafe hashset: {warning}", err=True)
    if json_out:
        _json(result.as_dict())
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


def _audit_import(db: Database, name: str, result: dict[str, Any], outcome: str) -> None:
    keep = ("format", "profile", "version", "read", "added", "updated", "rejected", "warnings", "created")
    audit_cli(db, "hashset.import", f"hashset:{name}", {k: result.get(k) for k in keep}, outcome)


def _report_issues(result: service.ImportResult) -> None:
    for found in result.issues[:SHOWN_ISSUES]:
        typer.echo(f"netsafe hashset: {found}", err=True)
    if result.rejected > SHOWN_ISSUES:
        where = (
            f" in {result.rejects_path}" if result.rejects_path else " (use --rejects FILE to list them all)"
        )
        typer.echo(f"netsafe hashset: ... {result.rejected} rejected records in all{where}", err=True)


@app.command("list")
def list_command(
    json_out: bool = typer.Option(False, "--json", help="JSON Lines, one object per set."),
) -> None:
    """List the hash sets in the store."""
    db = _open()
    try:
        infos = service.list_sets(db)
    except StoreError as err:
        _error(str(err), EXIT_FAILURES)
    finally:
        db.dispose()
    if json_out:
        for info in infos:
            _json(service.info_dict(info))
        return
    table = Table(title=f"{len(infos)} hash sets")
    for col in ("name", "profile", "entries", "version", "updated", "description"):
        table.add_column(col, overflow="fold")
    for info in infos:
        table.add_row(
            info.name, info.profile, f"{info.entry_count:,}", str(info.version),
            info.updated.strftime("%Y-%m-%d %H:%M") if info.updated else "", info.description or "",
        )  # fmt: skip
    Console().print(table)


@app.command("show")
def show_command(
    name: str = typer.Argument(..., help="Hash set name."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Show a hash set: profile, version, entries by category and by signal."""
    db = _open()
    try:
        details = service.show_set(db, name)
    except NotFoundError as err:
        _error(str(err))
    except StoreError as err:
        _error(str(err), EXIT_FAILURES)
    finally:
        db.dispose()
    profile = load_profile(details.info.profile)
    categories = []
    for code in [*profile.codes, None]:
        count = details.categories.get(code, 0)
        if count or code is None:
            categories.append({"category": code, "label": profile.label(code), "entries": count})
    unknown = [c for c in details.categories if c is not None and not profile.has(c)]
    categories += [{"category": c, "label": c, "entries": details.categories[c]} for c in unknown]
    if json_out:
        _json({**service.info_dict(details.info), "categories": categories, "signals": details.signals})
        return
    info = details.info
    console = Console()
    console.print(
        f"[bold]{info.name}[/bold]  profile {info.profile}  version {info.version}  "
        f"{info.entry_count:,} entries"
    )
    if info.description or info.source:
        console.print(
            " ".join(x for x in (info.description, f"source: {info.source}" if info.source else None) if x)
        )
    table = Table(title="by category")
    for col in ("category", "label", "entries"):
        table.add_column(col)
    for c in categories:
        table.add_row(str(c["category"] or "-"), str(c["label"]), f"{c['entries']:,}")
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
    if json_out and output is None:
        _error("--json prints a summary on stdout, so the export needs --output FILE")
    try:
        spec = get_format(fmt)
        if profile is not None:
            load_profile(profile)
    except (FormatError, ProfileError) as err:
        _error(str(err))
    db = _open()
    try:
        if output is None:
            count = service.export_set(db, name, sys.stdout, spec.name, profile)
        else:
            tmp = output.with_name(output.name + ".partial")
            count = service.export_set(db, name, tmp, spec.name, profile)
            tmp.replace(output)  # never leave a half-written list under the real name
        audit_cli(
            db,
            "hashset.export",
            f"hashset:{name}",
            {"format": spec.name, "profile": profile, "entries": count},
        )
    except NotFoundError as err:
        _error(str(err))
    except (FormatError, ProfileError) as err:
        _error(str(err), EXIT_FAILURES)
    except (StoreError, HashSetError, OSError) as err:
        _error(str(err), EXIT_FAILURES)
    finally:
        db.dispose()
    if json_out:
        _json({"name": name, "format": spec.name, "entries": count, "output": str(output)})
    elif output is not None:
        typer.echo(f"{name}: {count} entries written to {output}", err=True)


@app.command("delete")
def delete_command(
    name: str = typer.Argument(..., help="Hash set name."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_out: bool = typer.Option(False, "--json", help="Print what was deleted as one JSON object."),
) -> None:
    """Delete a hash set with its entries and votes."""
    db = _open()
    try:
        if not yes:
            info = service.show_set(db, name).info
            if not sys.stdin.isatty():
                _error(f"refusing to delete {name!r} ({info.entry_count} entries) without --yes")
            typer.confirm(f"delete hash set {name!r} and its {info.entry_count:,} entries?", abort=True)
        key = index_key(db, name)
        deleted = service.delete_set(db, name)
        audit_cli(
            db,
            "hashset.delete",
            f"hashset:{name}",
            {"entries": deleted.entry_count, "version": deleted.version},
        )
        if key is not None:
            drop_index(db, key)
    except NotFoundError as err:
        _error(str(err))
    except StoreError as err:
        _error(str(err), EXIT_FAILURES)
    finally:
        db.dispose()
    if json_out:
        _json({"deleted": deleted.name, "entries": deleted.entry_count, "version": deleted.version})
    else:
        typer.echo(f"deleted {deleted.name} ({deleted.entry_count:,} entries)", err=True)


@app.command("remove")
def remove_command(
    name: str = typer.Argument(..., help="Hash set name."),
    entries: list[int] | None = typer.Option(
        None, "--entry", "-e", help="Entry id to remove (as `netsafe match` reports it); repeatable."
    ),
    hashes: list[str] | None = typer.Option(
        None, "--hash", help="Remove the entries carrying this hash (SIGNAL:HEX or bare hex); repeatable."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print what was removed as one JSON object."),
) -> None:
    """Remove single entries (and their votes) from a hash set, as one new version: all or nothing."""
    if not entries and not hashes:
        _error("give --entry ID or --hash HEX (repeatable) to say what to remove")
    db = _open()
    try:
        result = service.remove_entries(db, name, entries or [], hashes or [])
    except (NotFoundError, service.UsageError) as err:
        _error(str(err))
    except StoreError as err:
        _error(str(err), EXIT_FAILURES)
    finally:
        db.dispose()
    if json_out:
        _json(result.as_dict())
    else:
        typer.echo(
            f"removed {len(result.removed):,} entries from {result.name} (now version {result.version})",
            err=True,
        )


__all__ = ["app"]
