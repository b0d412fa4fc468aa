"""Reading and writing a hash set's entries: upsert an import's entries, remove them as a new version, page
through them, and look them up by signal, id or category. Every function takes the caller's session, so the
caller decides the transaction (an import is one transaction, a listing a short read)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session

from netsafe.hashsets.model import Entry
from netsafe.hashsets.stage_rows import key_digest
from netsafe.signals.types import REGISTRY
from netsafe.store.convert import entry_values, now, row_to_entry
from netsafe.store.errors import StoreInputError
from netsafe.store.models import EntryRow, HashSetRow, RemovedEntryRow, VoteRow
from netsafe.store.repositories.sets import NotFoundError, next_version

# Rows per statement: large enough to amortise round trips, small enough for SQLite's parameter limit.
BATCH = 500


@dataclass(slots=True)
class Duplicate:
    """An entry whose key already appeared earlier in the same import."""

    entry: Entry
    first_record: int | None


@dataclass(slots=True)
class UpsertResult:
    added: int = 0
    updated: int = 0
    duplicates: list[Duplicate] | None = None


def upsert_entries(
    session: Session, hash_set_id: int, version: int, entries: Sequence[Entry]
) -> UpsertResult:
    """Add ``entries`` to the set, or replace the entries with the same key (keeping their ids and votes).

    An entry whose key was already written by this same import (``version``) is a duplicate within the
    file: it is not written and is returned for the caller to report. Memory is bounded by the batch.
    """
    result = UpsertResult(duplicates=[])
    assert result.duplicates is not None
    batch: dict[str, dict[str, Any]] = {}
    for entry in entries:
        values = entry_values(entry)
        digest = key_digest(hash_set_id, values["key_kind"], values["key_value"])
        if digest in batch:
            result.duplicates.append(Duplicate(entry, batch[digest]["origin_record"]))
            continue
        values["key_digest"] = digest
        batch[digest] = values
    if not batch:
        return result
    existing: dict[str, tuple[int, int, int | None]] = {}
    digests = list(batch)
    for start in range(0, len(digests), BATCH):
        rows = session.execute(
            select(EntryRow.key_digest, EntryRow.id, EntryRow.updated_version, EntryRow.origin_record).where(
                # The set's own rows (a digest covers its set anyway): PostgreSQL searches its partition.
                EntryRow.hash_set_id == hash_set_id,
                EntryRow.key_digest.in_(digests[start : start + BATCH]),
            )
        ).all()
        for digest, row_id, updated_version, origin in rows:
            existing[digest] = (row_id, updated_version, origin)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for key, values in batch.items():
        found = existing.get(key)
        if found is None:
            inserts.append(
                {**values, "hash_set_id": hash_set_id, "added_version": version, "updated_version": version}
            )
        elif found[1] == version:
            result.duplicates.append(Duplicate(_entry_of(values), found[2]))
        else:
            updates.append({**values, "id": found[0], "updated_version": version})
    # Core statements on the table: one executemany each (the ORM's bulk path splits rows into groups by
    # which values are None, which costs a statement every few rows).
    table = cast(Table, EntryRow.__table__)
    for start in range(0, len(inserts), BATCH):
        session.execute(insert(table), inserts[start : start + BATCH])
    if updates:
        columns = [c for c in updates[0] if c != "id"]
        statement = (
            update(table)
            .where(table.c.hash_set_id == hash_set_id, table.c.id == bindparam("_id"))
            .values({c: bindparam(c) for c in columns})
        )
        for start in range(0, len(updates), BATCH):
            chunk = [
                {**{k: v for k, v in u.items() if k != "id"}, "_id": u["id"]}
                for u in updates[start : start + BATCH]
            ]
            session.execute(statement, chunk)
    result.added, result.updated = len(inserts), len(updates)
    return result


# Store column of each signal a removal may name (PhotoDNA by its canonical hex form).
REMOVABLE_COLUMNS = {t.name: t.store_column for t in REGISTRY.values() if t.in_entries and t.store_column}


def entry_ids_by_signal(session: Session, hash_set_id: int, signal: str, values: Sequence[str]) -> list[int]:
    """Ids of the set's entries whose ``signal`` is one of ``values`` (canonical hex)."""
    col = getattr(EntryRow, REMOVABLE_COLUMNS[signal])
    wanted = list(dict.fromkeys(values))
    out: list[int] = []
    for start in range(0, len(wanted), BATCH):
        out.extend(
            int(i)
            for i in session.scalars(
                select(EntryRow.id).where(
                    EntryRow.hash_set_id == hash_set_id, col.in_(wanted[start : start + BATCH])
                )
            )
        )
    return out


def remove_entries(session: Session, row: HashSetRow, ids: Sequence[int]) -> int:
    """Remove the set's entries ``ids`` (with their votes) as a new version of the set; returns it.

    Raises :class:`NotFoundError` naming the first id that is not an entry of this set (nothing removed).
    Each removal leaves a ``removed_entries`` record so indexes built at older versions can forget the
    entry without a full rebuild.
    """
    wanted = sorted(set(int(i) for i in ids))
    if not wanted:
        raise StoreInputError("give at least one entry to remove")
    found: set[int] = set()
    for start in range(0, len(wanted), BATCH):
        found.update(
            int(i)
            for i in session.scalars(
                select(EntryRow.id).where(
                    EntryRow.hash_set_id == row.id, EntryRow.id.in_(wanted[start : start + BATCH])
                )
            )
        )
    missing = [i for i in wanted if i not in found]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise NotFoundError(f"hash set {row.name!r} has no entry with id {missing[0]}{more}; nothing removed")
    version = next_version(session, row)
    stamp = now()
    table = cast(Table, RemovedEntryRow.__table__)
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        session.execute(delete(VoteRow).where(VoteRow.entry_id.in_(chunk)))
        session.execute(delete(EntryRow).where(EntryRow.id.in_(chunk)))
        session.execute(
            insert(table),
            [{"hash_set_id": row.id, "entry_id": i, "version": version, "removed_at": stamp} for i in chunk],
        )
    return version


def removed_since(session: Session, hash_set_id: int, since_version: int) -> list[int]:
    """Ids of entries removed from the set after ``since_version``."""
    return [
        int(i)
        for i in session.scalars(
            select(RemovedEntryRow.entry_id).where(
                RemovedEntryRow.hash_set_id == hash_set_id, RemovedEntryRow.version > since_version
            )
        )
    ]


def tune_for_import(session: Session) -> None:
    """Make a long import's key lookups index lookups on PostgreSQL.

    The planner sizes ``entries`` from statistics taken before the import began; as the import's own rows
    pile up (invisible to autovacuum until commit) it keeps choosing a sequential scan for "which of these
    keys exist", which makes a large import quadratic. Scoped to this transaction.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL enable_seqscan = off"))


def _entry_of(values: dict[str, Any]) -> Entry:
    skip = ("key_kind", "key_value", "key_digest", "photodna_key")
    row = EntryRow(**{k: v for k, v in values.items() if k not in skip})
    return row_to_entry(row)


def iter_entries(
    session: Session, hash_set_id: int, since_version: int = 0, chunk: int = 1000
) -> Iterator[tuple[int, Entry]]:
    """``(entry_id, entry)`` in id order, by keyset pages: constant memory on every backend.

    Plain rows, not ORM objects: an ORM page of 2,000 entries took ~14 MB (identity map, instance state)
    and most of an export's CPU; a row carries the same attributes, by column name."""
    table = cast(Table, EntryRow.__table__)
    last = 0
    while True:
        rows = session.execute(
            select(*table.columns)
            .where(
                table.c.hash_set_id == hash_set_id,
                table.c.id > last,
                table.c.updated_version > since_version,
            )
            .order_by(table.c.id)
            .limit(chunk)
        ).all()
        if not rows:
            return
        for row in rows:
            yield row.id, row_to_entry(cast(EntryRow, row))
        last = rows[-1].id
        del rows


def iter_columns(
    session: Session, hash_set_id: int, columns: Sequence[str], since_version: int = 0, chunk: int = 50_000
) -> Iterator[list[tuple[Any, ...]]]:
    """Pages of ``(id, *columns)`` for building indexes without materialising whole entries."""
    table = cast(Table, EntryRow.__table__)  # Core columns: the ORM's per-row loading cost ~2.4 s a 1M
    cols = [table.c[c] for c in columns]
    last = 0
    while True:
        rows = session.execute(
            select(table.c.id, *cols)
            .where(
                table.c.hash_set_id == hash_set_id,
                table.c.id > last,
                table.c.updated_version > since_version,
            )
            .order_by(table.c.id)
            .limit(chunk)
        ).all()
        if not rows:
            return
        yield [tuple(r) for r in rows]
        last = rows[-1][0]


def entry_ids(session: Session, hash_set_id: int) -> list[int]:
    return list(session.scalars(select(EntryRow.id).where(EntryRow.hash_set_id == hash_set_id)))


def get_entry(session: Session, entry_id: int) -> tuple[str, Entry]:
    """The hash-set name and the entry with id ``entry_id``."""
    found = session.execute(
        select(HashSetRow.name, EntryRow).join(EntryRow.hash_set).where(EntryRow.id == entry_id)
    ).one_or_none()
    if found is None:
        raise NotFoundError(f"no entry with id {entry_id}")
    return found[0], row_to_entry(found[1])


def categories(session: Session, ids: Iterable[int]) -> dict[int, tuple[str | None, str | None]]:
    """``entry_id -> (category, source_id)`` for the given ids (what a match report shows)."""
    wanted = sorted(set(ids))
    out: dict[int, tuple[str | None, str | None]] = {}
    for start in range(0, len(wanted), BATCH):
        rows = session.execute(
            select(EntryRow.id, EntryRow.category, EntryRow.source_id).where(
                EntryRow.id.in_(wanted[start : start + BATCH])
            )
        ).all()
        for row_id, category, source_id in rows:
            out[int(row_id)] = (category, source_id)
    return out


def find_exact(
    session: Session, column: str, values: Sequence[str], hash_set_ids: Sequence[int] | None = None
) -> list[tuple[int, int, str]]:
    """``(entry_id, hash_set_id, value)`` of entries whose ``column`` equals one of ``values``."""
    col = getattr(EntryRow, column)
    query = select(EntryRow.id, EntryRow.hash_set_id, col).where(col.in_(list(values)))
    if hash_set_ids is not None:
        query = query.where(EntryRow.hash_set_id.in_(list(hash_set_ids)))
    return [(int(a), int(b), str(c)) for a, b, c in session.execute(query).all()]


def vpdq_frames(session: Session, ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """``entry_id -> vPDQ frames`` (as stored: frame, timestamp, quality, pdq) of those ids that have them."""
    wanted = sorted(set(ids))
    out: dict[int, list[dict[str, Any]]] = {}
    for start in range(0, len(wanted), BATCH):
        rows = session.execute(
            select(EntryRow.id, EntryRow.vpdq).where(
                EntryRow.id.in_(wanted[start : start + BATCH]), EntryRow.vpdq.is_not(None)
            )
        ).all()
        for row_id, frames in rows:
            if frames:
                out[int(row_id)] = list(frames)
    return out
