"""``netsafe hash PATH...``: signals of files and folders."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

import typer

from netsafe.hashing.options import ALL_SIGNALS, HashOptions, OptionError, parse_signals
from netsafe.hashing.walk import walk
from netsafe.signals.defaults import DEFAULT_INTERVAL, DEFAULT_MAX_PIXELS


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def hash_command(
    paths: list[Path] = typer.Argument(..., help="Files or folders (folders are walked recursively)."),
    json_out: bool = typer.Option(False, "--json", help="JSON Lines on stdout, one object per file."),
    csv_out: bool = typer.Option(False, "--csv", help="CSV on stdout, one row per file."),
    signals: str = typer.Option(
        ",".join(ALL_SIGNALS), "--signals", help="Comma-separated signals to compute."
    ),
    exact: bool = typer.Option(
        False, "--exact", help="Hash the full-resolution decode (reference PDQ); default is fast mode."
    ),
    dihedral: bool = typer.Option(False, "--dihedral", help="Also output the 8 rotation/flip PDQ hashes."),
    workers: int = typer.Option(0, "--workers", min=0, help="Processes to use (default: all cores)."),
    max_pixels: int = typer.Option(
        DEFAULT_MAX_PIXELS, "--max-pixels", min=1, help="Refuse images declaring more pixels than this."
    ),
    vpdq_interval: float = typer.Option(
        DEFAULT_INTERVAL, "--vpdq-interval", min=0.0, help="Seconds between hashed video frames (0 = every)."
    ),
) -> None:
    """Compute MD5, SHA-1, SHA-256, PDQ (images) and vPDQ (videos) for files and folders.

    Exit status: 0 every file hashed, 1 some files could not be read or decoded, 2 usage error.
    """
    from netsafe.cli.output import write_csv, write_jsonl, write_table
    from netsafe.cli.progress import HashProgress
    from netsafe.hashing.runner import default_workers, hash_many

    if json_out and csv_out:
        raise typer.BadParameter("choose one of --json and --csv")
    try:
        chosen = parse_signals(signals)
    except OptionError as err:
        raise typer.BadParameter(str(err), param_hint="--signals") from None
    missing = [str(p) for p in paths if not os.path.lexists(p)]
    if missing:
        raise typer.BadParameter(f"no such file or folder: {', '.join(missing)}", param_hint="PATH")
    options = HashOptions(
        signals=chosen,
        pdq_mode="exact" if exact else "fast",
        dihedral=dihedral,
        max_pixels=max_pixels,
        vpdq_interval=vpdq_interval,
    )
    found = list(walk([str(p) for p in paths]))
    fmt = OutputFormat.json if json_out else OutputFormat.csv if csv_out else OutputFormat.table
    n_workers = workers or default_workers()
    # Small jobs are faster in-process than paying for worker start-up.
    if len(found) < 4:
        n_workers = 1
    errors = 0
    with HashProgress(len(found), sum(f.size for f in found)) as progress:
        records = hash_many(found, options, n_workers, on_done=progress.done)
        if fmt is OutputFormat.json:
            stream = write_jsonl(records)
        elif fmt is OutputFormat.csv:
            stream = write_csv(records)
        else:
            stream = write_table(records)
        for record in stream:
            errors += record.error is not None
    if errors:
        raise typer.Exit(1)
