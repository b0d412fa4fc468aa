"""Counts per list entry, message variant and day: checks, warnings shown, help clicks. Nothing else.

A check is the public's traffic, not a person's lookup: it is counted, never audited one by one, and no
address, user agent, query text or cookie is written anywhere. Published figures suppress every cell under
``min_published_count``, as official statistics do.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from netsafe.deterrence.models import DeterrenceCountRow, DeterrenceEntryRow, DeterrenceListRow
from netsafe.store.db import Database

COLUMNS = ("checks", "warnings", "help_clicks")
NO_ENTRY = 0  # the cell of checks that matched nothing

Cell = tuple[int, str, date, str]  # entry id, variant, day, column


def add_all(session: Session, cells: dict[Cell, int]) -> None:
    """Add many cells' counts: one INSERT ... ON CONFLICT DO UPDATE for them all (SQLite and PostgreSQL).

    An UPDATE a cell (then an INSERT in a savepoint for a new cell), as before, cost 300-700 µs of CPU a
    cell; counts per list entry make thousands of cells a flush at a few thousand checks a second (each
    listed URL its own cell), and the flush took seconds of the worker's CPU every two seconds."""
    rows: dict[tuple[int, str, date], dict[str, Any]] = {}
    for (entry_id, variant, day, column), n in cells.items():
        row = rows.setdefault(
            (entry_id, variant, day),
            {"entry_id": entry_id, "variant": variant, "day": day} | dict.fromkeys(COLUMNS, 0),
        )
        row[column] += n
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = insert(DeterrenceCountRow)
    statement = statement.on_conflict_do_update(
        index_elements=["entry_id", "variant", "day"],
        set_={c: getattr(DeterrenceCountRow, c) + getattr(statement.excluded, c) for c in COLUMNS},
    )
    # In key order, so that two workers flushing at once take PostgreSQL's row locks in the same order.
    session.execute(statement, [rows[key] for key in sorted(rows)])


class Tally:
    """Counts held in memory and written together every ``flush_seconds`` (by the check that finds a flush
    due, and by the service's and the middleware's flusher when no check comes).

    A write per check made every check wait for the store's write lock (SQLite: one writer at a time):
    at 50 clients the p99 was seconds (benchmarks/README.md). Held here are the same cells the table
    keeps, nothing more; a crash loses at most ``flush_seconds`` of counts."""

    def __init__(self, flush_seconds: float = 1.0) -> None:
        self.flush_seconds = flush_seconds
        self._cells: dict[Cell, int] = {}
        self._lock = threading.Lock()
        self._flushed = time.monotonic()

    def add(self, entry_id: int, variant: str, day: date, column: str) -> None:
        key = (entry_id, variant, day, column)
        with self._lock:
            self._cells[key] = self._cells.get(key, 0) + 1

    def due(self) -> bool:
        return time.monotonic() - self._flushed >= self.flush_seconds

    def claim_flush(self) -> bool:
        """Whether a flush is due, and if so this caller's to start: the others carry on counting."""
        with self._lock:
            if time.monotonic() - self._flushed < self.flush_seconds:
                return False
            self._flushed = time.monotonic()
            return True

    def flush(self, db: Database) -> None:
        with self._lock:
            cells, self._cells = self._cells, {}
            self._flushed = time.monotonic()
        if not cells:
            return
        try:
            with db.session() as session:
                add_all(session, cells)
        except Exception:
            with self._lock:  # kept for the next flush rather than lost
                for key, n in cells.items():
                    self._cells[key] = self._cells.get(key, 0) + n
            raise


def counts(db: Database, published: bool = False, min_count: int = 10) -> list[dict[str, Any]]:
    """Every cell, newest day first: ``{"list", "entry_id", "variant", "day", "checks", "warnings",
    "help_clicks"}``; published, a count under ``min_count`` is ``None`` (suppressed)."""
    with db.session() as session:
        rows = session.execute(
            select(DeterrenceCountRow, DeterrenceListRow.name)
            .outerjoin(DeterrenceEntryRow, DeterrenceEntryRow.id == DeterrenceCountRow.entry_id)
            .outerjoin(DeterrenceListRow, DeterrenceListRow.id == DeterrenceEntryRow.list_id)
            .order_by(DeterrenceCountRow.day.desc(), DeterrenceCountRow.entry_id, DeterrenceCountRow.variant)
        ).all()
    out = []
    for cell, list_name in rows:
        row: dict[str, Any] = {
            "list": list_name,
            "entry_id": cell.entry_id or None,
            "variant": cell.variant or None,
            "day": cell.day.isoformat(),
        }
        for column in COLUMNS:
            value = int(getattr(cell, column))
            row[column] = None if published and value < min_count else value
        out.append(row)
    return out


def per_variant(rows: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, int | None]]]:
    """variant -> day -> {"warnings", "help_clicks"} summed over entries (for the curators' chart).

    Sums are of unsuppressed cells, so this reads ``counts(published=False)`` and suppresses afterwards."""
    out: dict[str, dict[str, dict[str, int | None]]] = {}
    for row in rows:
        if row["variant"] is None:
            continue
        day = out.setdefault(row["variant"], {}).setdefault(row["day"], {"warnings": 0, "help_clicks": 0})
        for column in ("warnings", "help_clicks"):
            day[column] = (day[column] or 0) + (row[column] or 0)
    return out
