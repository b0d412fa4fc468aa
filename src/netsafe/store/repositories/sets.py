"""Reading and writing hash sets: create, find, version, describe, count and delete them. Every function takes
the caller's session, so the caller decides the transaction."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from netsafe.errors import Conflict, NotFound
from netsafe.hashsets.model import HashSetInfo
from netsafe.hashsets.profiles import load_profile
from netsafe.signals.types import REGISTRY
from netsafe.store import partitions
from netsafe.store.convert import now, set_info
from netsafe.store.db import StoreError
from netsafe.store.errors import StoreInputError
from netsafe.store.models import EntryRow, HashSetRow, RemovedEntryRow, VoteRow

MAX_NAME = 200


class NotFoundError(NotFound, StoreError):
    """No hash set (or entry) by that name/id."""


class AlreadyExistsError(Conflict, StoreError):
    """A hash set by that name exists already."""


def check_name(name: str) -> str:
    clean = name.strip()
    if not clean or len(clean) > MAX_NAME or any(ord(c) < 32 for c in clean):
        raise StoreInputError(f"hash set name must be 1-{MAX_NAME} printable characters, got {name!r}")
    return clean


# --- hash sets -------------------------------------------------------------------------------------------


def find_set(session: Session, name: str) -> HashSetRow | None:
    return session.scalars(select(HashSetRow).where(HashSetRow.name == name)).one_or_none()


def get_set(session: Session, name: str) -> HashSetRow:
    row = find_set(session, name)
    if row is None:
        raise NotFoundError(f"no hash set named {name!r} (see `netsafe hashset list`)")
    return row


SET_KINDS = ("match", "ignore", "self-reported")


def create_set(
    session: Session,
    name: str,
    profile: str,
    description: str | None = None,
    source: str | None = None,
    kind: str = "match",
    bare: bool = False,
) -> HashSetRow:
    """A new, empty set. On PostgreSQL its partition of ``entries`` is made with it, attached, or with
    ``bare`` not yet: a bulk import loads it first and attaches it (:mod:`netsafe.store.partitions`)."""
    name = check_name(name)
    load_profile(profile)  # raises ProfileError for an unknown one
    if kind not in SET_KINDS:
        raise StoreInputError(f"hash set kind must be one of {', '.join(SET_KINDS)}, got {kind!r}")
    if find_set(session, name) is not None:
        raise AlreadyExistsError(f"a hash set named {name!r} exists already")
    stamp = now()
    row = HashSetRow(
        name=name,
        profile=profile,
        kind=kind,
        description=description,
        source=source,
        version=0,
        created=stamp,
        updated=stamp,
    )
    session.add(row)
    session.flush()
    partitions.create(session, row.id, attach=not bare)
    return row


def next_version(session: Session, row: HashSetRow) -> int:
    """Claim the next version of ``row`` for an import (an UPDATE, so concurrent imports serialise)."""
    result = session.execute(
        update(HashSetRow)
        .where(HashSetRow.id == row.id)
        .values(version=HashSetRow.version + 1, updated=now())
        .returning(HashSetRow.version)
    )
    version = int(result.scalar_one())
    session.refresh(row)
    return version


def entry_count(session: Session, hash_set_id: int) -> int:
    return int(session.scalar(select(func.count()).where(EntryRow.hash_set_id == hash_set_id)) or 0)


def set_infos(session: Session) -> list[HashSetInfo]:
    counts = select(EntryRow.hash_set_id, func.count().label("n")).group_by(EntryRow.hash_set_id).subquery()
    rows = session.execute(
        select(HashSetRow, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.hash_set_id == HashSetRow.id)
        .order_by(HashSetRow.name)
    ).all()
    return [set_info(row, int(n)) for row, n in rows]


def set_info_by_name(session: Session, name: str) -> HashSetInfo:
    row = get_set(session, name)
    return set_info(row, entry_count(session, row.id))


def delete_set(session: Session, name: str) -> HashSetInfo:
    row = get_set(session, name)
    info = set_info(row, entry_count(session, row.id))
    # Bulk deletes in dependency order: no ORM loading of a million entries, and no reliance on the
    # database honouring ON DELETE CASCADE (SQLite only does with foreign_keys=ON).
    entry_ids = select(EntryRow.id).where(EntryRow.hash_set_id == row.id)
    session.execute(delete(VoteRow).where(VoteRow.entry_id.in_(entry_ids)))
    if partitions.partitioned(session):
        partitions.drop(session, row.id)  # its entries with it, at once
    else:
        session.execute(delete(EntryRow).where(EntryRow.hash_set_id == row.id))
    session.execute(delete(RemovedEntryRow).where(RemovedEntryRow.hash_set_id == row.id))
    session.execute(delete(HashSetRow).where(HashSetRow.id == row.id))
    session.expunge(row)
    return info


# --- summaries -------------------------------------------------------------------------------------------


def category_counts(session: Session, hash_set_id: int) -> dict[str | None, int]:
    rows = session.execute(
        select(EntryRow.category, func.count())
        .where(EntryRow.hash_set_id == hash_set_id)
        .group_by(EntryRow.category)
    ).all()
    return {category: int(n) for category, n in rows}


def signal_counts(session: Session, hash_set_id: int) -> dict[str, int]:
    """How many entries carry each signal (vPDQ included)."""
    names = tuple(t.name for t in REGISTRY.values())
    row = session.execute(
        select(*(func.count(getattr(EntryRow, n)) for n in names)).where(EntryRow.hash_set_id == hash_set_id)
    ).one()
    return {name: int(n) for name, n in zip(names, row, strict=True)}
