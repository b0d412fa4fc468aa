"""Printing hash records: a readable table, JSON Lines, or CSV."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

from rich.console import Console
from rich.table import Table

from netsafe.hashing.record import JSON_FIELDS, FileRecord
from netsafe.textsafe import csv_cell, readable

CSV_FIELDS = (*(f for f in JSON_FIELDS if f not in ("pdq_dihedral", "vpdq")), "vpdq_frames")


def write_jsonl(records: Iterable[FileRecord], out: TextIO | None = None) -> Iterator[FileRecord]:
    out = out or sys.stdout
    for record in records:
        out.write(json.dumps(record.as_dict(), separators=(",", ":")) + "\n")
        out.flush()
        yield record


def write_csv(records: Iterable[FileRecord], out: TextIO | None = None) -> Iterator[FileRecord]:
    out = out or sys.stdout
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for record in records:
        row = record.as_dict()
        row["vpdq_frames"] = len(record.vpdq) if record.vpdq is not None else None
        # Paths and error texts come from the evidence: no cell may become a live spreadsheet formula.
        writer.writerow({key: csv_cell(value) for key, value in row.items()})
        yield record


def write_table(records: Iterable[FileRecord], console: Console | None = None) -> Iterator[FileRecord]:
    """Collects rows and prints one table at the end (hashes are shortened; use --json for full ones)."""
    console = console or Console()
    rows = list(records)
    root = _common_root([r.path for r in rows])
    table = Table(title=f"netsafe hash: {len(rows)} files" + (f" under {root}" if root else ""))
    table.add_column("path", overflow="fold", min_width=min(24, max(4, console.width // 4)))
    # sha256 only where it fits: --json and --csv always carry every full hash.
    wide = console.width >= 100
    columns = ("kind", "size", "sha256", "pdq", "q")  # signal-list: ok, the columns shown
    for col in columns if wide else tuple(c for c in columns if c != "sha256"):
        table.add_column(col, no_wrap=True)
    table.add_column("note", overflow="fold", min_width=10)
    for record in rows:
        note = record.error or ""
        if record.pdq_low_quality:
            note = note or "low PDQ quality (<50)"
        if record.vpdq is not None:
            note = note or f"vPDQ: {len(record.vpdq)} frames"
        cells = [
            readable(os.path.relpath(record.path, root) if root else record.path),
            record.kind or "",
            _size(record.size),
            _short(record.digests.get("sha256")),
            _short(record.pdq or (record.vpdq[0].pdq if record.vpdq else None)),
            "" if record.pdq_quality is None else str(record.pdq_quality),
            f"[red]{note}[/red]" if record.error else note,
        ]
        table.add_row(*(cells if wide else cells[:3] + cells[4:]))
        yield record
    console.print(table)


def _common_root(paths: list[str]) -> str:
    if len(paths) < 2:
        return ""
    try:
        root = os.path.commonpath([os.path.dirname(p) or "." for p in paths])
    except ValueError:  # mixed absolute and relative paths
        return ""
    return "" if root in ("", ".") else root


def _short(value: str | None) -> str:
    return "" if not value else value[:8] + "…"


def _size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return str(size)
