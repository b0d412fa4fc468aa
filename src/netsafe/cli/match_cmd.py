"""``netsafe match PATH... [--hash HEX ...]``: look files and hashes up in the hash sets."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from netsafe.cli.common import audit_cli
from netsafe.cli.errors import EXIT_FAILURES, EXIT_USAGE, fail
from netsafe.cli.progress import HashProgress
from netsafe.hashing.options import HashOptions
from netsafe.hashing.record import FileRecord
from netsafe.hashing.runner import default_workers, hash_many
from netsafe.hashing.walk import walk
from netsafe.matching.pdq_index import DEFAULT_MAX_DISTANCE
from netsafe.services.matcher import Match, Matcher, MatchError, Query, parse_hash
from netsafe.signals.pdq import QUALITY_THRESHOLD
from netsafe.store.db import StoreError, open_database

# Files are hashed and looked up in chunks: output starts early and memory stays flat on large folders.
CHUNK = 256


def _error(message: str, code: int = EXIT_USAGE) -> NoReturn:
    fail(message, code, "netsafe match")


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
        DEFAULT_MAX_DISTANCE, "--max-distance", min=0, max=256, help="PDQ match threshold in bits."
    ),
    min_quality: int = typer.Option(
        QUALITY_THRESHOLD, "--min-quality", min=0, max=100, help="Skip PDQ matching below this quality."
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
    if not paths and not hashes:
        _error("give at least one PATH or --hash")
    missing = [str(p) for p in paths or [] if not os.path.lexists(p)]
    if missing:
        _error(f"no such file or folder: {', '.join(missing)}")
    try:
        hash_queries = [Query(query=h, signals=parse_hash(h)) for h in hashes or []]
    except MatchError as err:
        _error(str(err))
    names, set_distances = _split_hashsets(hashsets or [])
    try:
        db = open_database()
    except StoreError as err:
        _error(str(err), EXIT_FAILURES)
    matcher = Matcher(db)
    failures = 0
    rows: list[tuple[Query, list[Match]]] = []
    try:
        for chunk in _queries(hash_queries, paths or [], dihedral, exact, workers):
            results = matcher.match(chunk, names, max_distance, min_quality, dihedral, set_distances)
            # Who asked what and how many matched; never file contents (paths and hashes only).
            audit_cli(
                db,
                "match",
                None,
                {
                    "queries": [q.query for q in chunk][:100],
                    "hashsets": names,
                    "max_distance": max_distance,
                    "matches": sum(len(m) for m in results),
                },
            )
            for query, matches in zip(chunk, results, strict=True):
                failures += query.error is not None
                if json_out:
                    _write_json(query, matches, min_quality)
                else:
                    rows.append((query, matches))
    except MatchError as err:
        _error(str(err))
    except StoreError as err:
        _error(str(err), EXIT_FAILURES)
    finally:
        db.dispose()
    if not json_out:
        _write_table(rows)
    if failures:
        raise typer.Exit(EXIT_FAILURES)


def _split_hashsets(given: list[str]) -> tuple[list[str], dict[str, int]]:
    """``NAME`` or ``NAME:N`` (N = that set's PDQ distance)."""
    names: list[str] = []
    distances: dict[str, int] = {}
    for item in given:
        name, sep, tail = item.rpartition(":")
        if sep and tail.isdigit() and name:
            if int(tail) > 256:
                _error(f"--hashset {item}: a PDQ distance is at most 256")
            distances[name] = int(tail)
            names.append(name)
        else:
            names.append(item)
    return names, distances


def _queries(
    by_hash: list[Query], paths: list[Path], dihedral: bool, exact: bool, workers: int
) -> Iterator[list[Query]]:
    if by_hash:
        yield by_hash
    if not paths:
        return
    found = list(walk([str(p) for p in paths]))
    options = HashOptions(
        signals=frozenset({"md5", "sha1", "sha256", "pdq", "vpdq"}),
        pdq_mode="exact" if exact else "fast",
        dihedral=dihedral,
    )
    n_workers = 1 if len(found) < 4 else (workers or default_workers())
    chunk: list[Query] = []
    with HashProgress(len(found), sum(f.size for f in found)) as progress:
        for record in hash_many(found, options, n_workers, on_done=progress.done):
            chunk.append(_file_query(record))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _file_query(record: FileRecord) -> Query:
    signals = dict(record.digests)
    if record.pdq:
        signals["pdq"] = record.pdq
    return Query(
        query=record.path, path=record.path, signals=signals, pdq_quality=record.pdq_quality,
        pdq_dihedral=record.pdq_dihedral, vpdq=record.vpdq, error=record.error,
    )  # fmt: skip


def _write_json(query: Query, matches: list[Match], min_quality: int) -> None:
    obj: dict[str, Any] = {
        "query": query.query,
        "path": query.path,
        "signals": query.signals,
        "pdq_quality": query.pdq_quality,
        "pdq_skipped": query.pdq_quality is not None and query.pdq_quality < min_quality,
        "matches": [m.as_dict() for m in matches],
        "error": query.error,
    }
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _write_table(rows: list[tuple[Query, list[Match]]]) -> None:
    matched = sum(1 for _, m in rows if m)
    table = Table(title=f"netsafe match: {matched} of {len(rows)} queries matched")
    for col in ("query", "hash set", "entry", "signal", "distance", "category"):
        table.add_column(col, overflow="fold")
    for query, matches in rows:
        if query.error:
            table.add_row(query.query, "", "", "", "", f"[red]{query.error}[/red]")
        for m in matches:
            dist = str(m.distance) + (
                f" ({m.transform})" if m.transform and m.transform != "original" else ""
            )
            table.add_row(query.query, m.hashset, str(m.entry_id), m.signal, dist, f"{m.category_label}")
    Console().print(table)
