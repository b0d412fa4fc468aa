"""``netsafe match PATH... [--hash HEX ...]``: look files and hashes up in the hash sets."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from netsafe.cli.errors import EXIT_FAILURES, fail, handled
from netsafe.errors import InvalidInput
from netsafe.signals.defaults import QUALITY_THRESHOLD
from netsafe.signals.types import COMPUTED_SIGNALS, REGISTRY

if TYPE_CHECKING:
    from netsafe.services.lookup import LookupResult
    from netsafe.services.matcher import Query

COMMAND = "netsafe match"
# Files are hashed and looked up in chunks: output starts early and memory stays flat on large folders.
CHUNK = 256


def match_command(
    paths: list[Path] | None = typer.Argument(None, help="Files or folders to hash and look up."),
    hashes: list[str] | None = typer.Option(
        None,
        "--hash",
        help="A hash to look up (MD5/SHA-1/SHA-256/PDQ by length, or SIGNAL:VALUE); repeatable.",
    ),
    hashsets: list[str] | None = typer.Option(
        None,
        "--hashset",
        help="Only these hash sets (repeatable; default: all). NAME:N gives that set its own PDQ distance.",
    ),
    max_distance: int = typer.Option(
        REGISTRY["pdq"].default_threshold, "--max-distance", help="PDQ match threshold in bits (0-64)."
    ),
    min_quality: int = typer.Option(
        QUALITY_THRESHOLD, "--min-quality", help="Skip PDQ matching below this quality (0-100)."
    ),
    dihedral: bool = typer.Option(False, "--dihedral", help="Also match rotated and mirrored copies (PDQ)."),
    exact: bool = typer.Option(
        False, "--exact", help="Hash the full-resolution decode (reference PDQ); default is fast mode."
    ),
    json_out: bool = typer.Option(False, "--json", help="JSON Lines on stdout, one object per query."),
    workers: int = typer.Option(0, "--workers", min=0, help="Processes for hashing (default: all cores)."),
) -> None:
    """Hash files (MD5, SHA-1, SHA-256, PDQ, vPDQ) and report which hash-set entries they match.

    Exit status: 0 every query looked up, 1 some files could not be read or hashed, 2 usage error.
    """
    from netsafe.audit.service import Actor
    from netsafe.services.lookup import lookup, lookup_options, store_lookup

    if not paths and not hashes:
        fail("give at least one PATH or --hash", command=COMMAND)
    missing = [str(p) for p in paths or [] if not os.path.lexists(p)]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}", command=COMMAND)
    failures = 0
    rows: list[LookupResult] = []
    with handled(COMMAND):
        hash_queries = [_typed(h) for h in hashes or []]
        options = lookup_options(hashsets, max_distance, min_quality, dihedral)
        with store_lookup() as (matcher, audit):
            actor = Actor.cli()
            for chunk in _queries(hash_queries, paths or [], dihedral, exact, workers):
                for result in lookup(matcher, audit, actor, chunk, options):
                    failures += result.query.error is not None
                    if json_out:
                        sys.stdout.write(
                            json.dumps(result.as_dict(), ensure_ascii=False, separators=(",", ":"))
                        )
                        sys.stdout.write("\n")
                        sys.stdout.flush()
                    else:
                        rows.append(result)
    if not json_out:
        _write_table(rows)
    if failures:
        raise typer.Exit(EXIT_FAILURES)


def _typed(text: str) -> Query:
    from netsafe.services.lookup import typed_query

    try:
        return typed_query(text)
    except InvalidInput as err:  # name the option: the service's message names only the hash
        raise InvalidInput(f"--hash {err}") from None


def _queries(
    by_hash: list[Query], paths: list[Path], dihedral: bool, exact: bool, workers: int
) -> Iterator[list[Query]]:
    from netsafe.cli.progress import HashProgress
    from netsafe.hashing.options import HashOptions
    from netsafe.hashing.runner import default_workers, hash_many
    from netsafe.hashing.walk import walk
    from netsafe.services.lookup import file_query

    if by_hash:
        yield by_hash
    if not paths:
        return
    found = list(walk([str(p) for p in paths]))
    options = HashOptions(
        signals=frozenset(COMPUTED_SIGNALS), pdq_mode="exact" if exact else "fast", dihedral=dihedral
    )
    n_workers = 1 if len(found) < 4 else (workers or default_workers())
    chunk: list[Query] = []
    with HashProgress(len(found), sum(f.size for f in found)) as progress:
        for record in hash_many(found, options, n_workers, on_done=progress.done):
            chunk.append(file_query(record))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _write_table(rows: list[LookupResult]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    matched = sum(1 for r in rows if r.matches)
    table = Table(title=f"netsafe match: {matched} of {len(rows)} queries matched")
    for col in ("query", "hash set", "entry", "signal", "distance", "category"):
        table.add_column(col, overflow="fold")
    for result in rows:
        query = escape(result.query.query)
        if result.query.error:
            table.add_row(query, "", "", "", "", f"[red]{escape(result.query.error)}[/red]")
        for m in result.matches:
            dist = str(m.distance) + (
                f" ({m.transform})" if m.transform and m.transform != "original" else ""
            )
            table.add_row(
                query, escape(m.hashset), escape(m.list_id), m.signal, dist, escape(m.category_label)
            )
    Console().print(table)
