"""Hash-set operations every door shares: list, show, create, import, add, remove, rename, export, delete.

Each operation takes the store and an actor and does the check, the change and its audit event in one
transaction (``with db.session()`` ... ``record(...)`` inside it), so the command line, the API and the
pages give the same answers and no change lands without its event. Errors are the kinds of
``netsafe.errors``; the doors only translate them (exit codes, statuses, page messages). Importing a file
lives in :mod:`netsafe.services.hashset_import`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from netsafe.audit.service import Actor, record
from netsafe.errors import InvalidInput
from netsafe.hashsets import formats
from netsafe.hashsets.formats import FormatError
from netsafe.hashsets.model import Entry, HashSetInfo
from netsafe.hashsets.profiles import (
    DEFAULT_PROFILE,
    GradingProfile,
    ProfileError,
    load_profile,
    map_category,
)
from netsafe.services.hashset_import import ImportFailedError, ImportResult, import_file, resolve_format
from netsafe.services.hashset_rules import InvalidNameError, UsageError, check_new_name, name_ok
from netsafe.services.indexes import drop_index, index_key
from netsafe.signals import types as signal_types
from netsafe.signals.codecs import HashFormatError
from netsafe.store import repositories as repo
from netsafe.store.db import Database, StoreError

# Entries one add request may carry: a bigger list is an import (streamed, with a rejects file).
MAX_ADD = 10_000
# Entry ids an audit event lists for a removal (the count is always recorded).
AUDITED_IDS = 100


def info_dict(info: HashSetInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "entries": info.entry_count,
        "version": info.version,
        "profile": info.profile,
        "kind": info.kind,
        "description": info.description,
        "source": info.source,
        "created": info.created.isoformat() if info.created else None,
        "updated": info.updated.isoformat() if info.updated else None,
    }


# --- list and show ---------------------------------------------------------------------------------------


def list_sets(db: Database) -> list[HashSetInfo]:
    with db.session() as session:
        return repo.set_infos(session)


@dataclass(slots=True)
class CategoryCount:
    category: str | None  # None: uncategorised
    label: str
    entries: int

    def as_dict(self) -> dict[str, Any]:
        return {"category": self.category, "label": self.label, "entries": self.entries}


@dataclass(slots=True)
class SetDetails:
    """A set with its counts: the one shape the CLI (``show --json``), the API and the page show."""

    info: HashSetInfo
    categories: list[CategoryCount]  # the profile's order, then codes outside it, uncategorised last
    signals: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            **info_dict(self.info),
            "categories": [c.as_dict() for c in self.categories],
            "signals": self.signals,
        }


def category_rows(profile_name: str, counts: dict[str | None, int]) -> list[CategoryCount]:
    """Every category of the profile (zero included) in its order, then codes the profile does not know
    (kept: a profile file may have changed since the import), then uncategorised."""
    found = dict(counts)
    profile: GradingProfile | None
    try:
        profile = load_profile(profile_name)
    except ProfileError:
        profile = None  # a custom profile no longer installed: the counts still show
    rows: list[CategoryCount] = []
    if profile is not None:
        rows += [CategoryCount(c.code, c.label, found.pop(c.code, 0)) for c in profile.categories]
    uncategorised = found.pop(None, 0)
    rows += [CategoryCount(code, "not in this profile", n) for code, n in sorted(found.items(), key=_text)]
    label = profile.uncategorised_label if profile is not None else "Uncategorised"
    rows.append(CategoryCount(None, label, uncategorised))
    return rows


def _text(item: tuple[str | None, int]) -> str:
    return str(item[0])


def show_set(db: Database, name: str) -> SetDetails:
    with db.session() as session:
        row = repo.get_set(session, name)
        info = repo.set_info_by_name(session, name)
        counts = repo.category_counts(session, row.id)
        signals = repo.signal_counts(session, row.id)
    return SetDetails(info, category_rows(info.profile, counts), signals)


# --- create, rename, delete ------------------------------------------------------------------------------


def create_set(
    db: Database,
    actor: Actor,
    name: str,
    profile: str = DEFAULT_PROFILE,
    description: str | None = None,
    source: str | None = None,
    kind: str = "match",
) -> HashSetInfo:
    """An empty set. Raises ``InvalidNameError``, ``ProfileError`` (unknown profile) or a Conflict.

    ``kind`` "ignore" makes a list of known-benign files: their matches are left out of review and counts."""
    check_new_name(name)
    load_profile(profile)
    with db.session() as session:
        row = repo.create_set(session, name, profile, description, source, kind)
        details: dict[str, Any] = {"profile": profile}
        if kind != "match":
            details["kind"] = kind
        record(session, actor, "hashset.create", f"hashset:{row.name}", details)
        return repo.set_info_by_name(session, row.name)


def rename_set(db: Database, actor: Actor, name: str, new_name: str) -> HashSetInfo:
    """Give set ``name`` (found by exact name, whatever rule it predates) a name under the rule.

    Its entries, version and persisted index stay as they are (the index is keyed by id, not name)."""
    check_new_name(new_name)
    with db.session() as session:
        row = repo.get_set(session, name)
        if new_name != name and repo.find_set(session, new_name) is not None:
            raise repo.AlreadyExistsError(f"a hash set named {new_name!r} exists already")
        row.name = new_name
        session.flush()
        record(session, actor, "hashset.rename", f"hashset:{new_name}", {"from": name, "to": new_name})
        return repo.set_info_by_name(session, new_name)


def delete_set(db: Database, actor: Actor, name: str) -> HashSetInfo:
    """Delete the set with its entries and votes, audited in the same transaction, and remove its persisted
    index folder (other processes drop theirs on their next refresh)."""
    key = index_key(db, name)
    with db.session() as session:
        info = repo.delete_set(session, name)
        record(
            session,
            actor,
            "hashset.delete",
            f"hashset:{info.name}",
            {"entries": info.entry_count, "version": info.version},
        )
    if key is not None:
        drop_index(db, key)
    return info


# --- export ----------------------------------------------------------------------------------------------


def export_set(
    db: Database,
    actor: Actor,
    name: str,
    out: str | Path | TextIO,
    format: str,
    profile: str | None = None,
) -> int:
    """Write every entry of ``name`` in ``format``; returns how many were written. Streams from the store;
    the export is audited in the transaction it reads in, so an export that fails is not logged as made."""
    spec = formats.get(format)
    if profile is not None:
        load_profile(profile)
    with db.session() as session:
        row = repo.get_set(session, name)
        target = profile or row.profile
        entries: Iterator[Entry] = (entry for _, entry in repo.iter_entries(session, row.id))
        if target != row.profile:
            entries = _mapped(entries, row.profile, target)
        count = spec.write(entries, out, profile=target)
        record(
            session,
            actor,
            "hashset.export",
            f"hashset:{row.name}",
            {"format": spec.name, "profile": profile, "entries": count},
        )
        return count


def _mapped(entries: Iterator[Entry], source: str, target: str) -> Iterator[Entry]:
    for entry in entries:
        entry.category = map_category(entry.category, source, target)
        yield entry


# --- add and remove entries ------------------------------------------------------------------------------


@dataclass(slots=True)
class NewEntry:
    """One entry to add, as a person or a client gives it; ``where`` names it in errors."""

    signals: dict[str, str]
    category: str | None = None
    source_id: str | None = None
    series: str | None = None
    tags: list[str] = field(default_factory=list)
    comments: str | None = None
    where: str = "entry"


@dataclass(slots=True)
class AddResult:
    name: str
    version: int
    added: int
    updated: int

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "added": self.added, "updated": self.updated}


def _entry_of(item: NewEntry, profile: GradingProfile, number: int) -> Entry:
    signals: dict[str, str] = {}
    for raw_name, value in item.signals.items():
        try:
            kind = signal_types.get(raw_name)
            if not kind.in_entries:
                raise HashFormatError(f"{kind.name}: cannot be given as one value")
            signals[kind.name] = signal_types.normalise(kind.name, value)
        except HashFormatError as err:
            raise InvalidInput(f"{item.where}: signals: {err}") from None
    if not signals:
        raise InvalidInput(
            f"{item.where}: signals: give at least one ({', '.join(signal_types.ENTRY_SIGNALS)})"
        )
    category = item.category if item.category not in ("", None) else None
    if not profile.has(category):
        raise InvalidInput(
            f"{item.where}: category: {category!r} is not in profile {profile.name} "
            f"(use one of {', '.join(profile.codes)}, or none for uncategorised)"
        )
    return Entry(
        signals=signals,
        source_id=item.source_id or None,
        category=category,
        series=item.series,
        tags=list(item.tags),
        comments=item.comments,
        origin_file="add",
        origin_record=number,
    )


def add_entries(db: Database, actor: Actor, name: str, items: Sequence[NewEntry]) -> AddResult:
    """Add entries to ``name`` (or update those with the same key) as one new version, all or nothing.

    Signals are read by the signal registry, categories checked against the set's profile, and two entries
    with one key in the same request are refused (InvalidInput naming the entry)."""
    if not items:
        raise InvalidInput("give at least one entry to add")
    if len(items) > MAX_ADD:
        raise InvalidInput(
            f"{len(items):,} entries in one request: at most {MAX_ADD:,} (import a larger list as a file)"
        )
    with db.session() as session:
        row = repo.get_set(session, name)
        profile = load_profile(row.profile)
        entries = [_entry_of(item, profile, n + 1) for n, item in enumerate(items)]
        version = repo.next_version(session, row)
        outcome = repo.upsert_entries(session, row.id, version, entries)
        if outcome.duplicates:
            dup = outcome.duplicates[0]
            again = items[(dup.entry.origin_record or 1) - 1].where
            first = items[dup.first_record - 1].where if dup.first_record else "an earlier entry"
            raise InvalidInput(f"{again}: the same entry as {first} in this request")
        record(
            session,
            actor,
            "hashset.add",
            f"hashset:{row.name}",
            {"version": version, "added": outcome.added, "updated": outcome.updated},
        )
        return AddResult(row.name, version, outcome.added, outcome.updated)


@dataclass(slots=True)
class RemoveResult:
    name: str
    version: int
    removed: list[int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "removed": len(self.removed),
            "entry_ids": self.removed,
        }


def remove_entries(
    db: Database,
    actor: Actor,
    name: str,
    entry_ids: Sequence[int] = (),
    hashes: Sequence[str] = (),
) -> RemoveResult:
    """Remove entries of ``name`` by id and/or by hash (``SIGNAL:HEX`` or bare hex) as one new version.

    All-or-nothing: an id not in the set or a hash no entry carries raises a NotFound; a malformed hash
    an InvalidInput. The change is audited in the same transaction.
    """
    parsed: list[tuple[str, dict[str, str]]] = []
    for text in hashes:
        try:
            parsed.append((text, signal_types.parse_typed(text)))
        except HashFormatError as err:
            raise UsageError(str(err)) from None
    if not entry_ids and not parsed:
        raise UsageError("give at least one entry id or hash to remove")
    with db.session() as session:
        row = repo.get_set(session, name)
        ids = {int(i) for i in entry_ids}
        for text, signals in parsed:
            found: list[int] = []
            for signal, value in signals.items():
                key = signal_types.get(signal).key(value)
                found.extend(repo.entry_ids_by_signal(session, row.id, signal, [key]))
            if not found:
                raise repo.NotFoundError(
                    f"hash set {name!r} has no entry with hash {text.strip()[:72]}; nothing removed"
                )
            ids.update(found)
        version = repo.remove_entries(session, row, sorted(ids))
        removed = sorted(ids)
        record(
            session,
            actor,
            "hashset.remove",
            f"hashset:{row.name}",
            {"version": version, "removed": len(removed), "entry_ids": removed[:AUDITED_IDS]},
        )
    return RemoveResult(row.name, version, removed)


__all__ = [
    "MAX_ADD",
    "AddResult",
    "CategoryCount",
    "FormatError",
    "ImportFailedError",
    "ImportResult",
    "InvalidNameError",
    "NewEntry",
    "RemoveResult",
    "SetDetails",
    "StoreError",
    "UsageError",
    "add_entries",
    "category_rows",
    "create_set",
    "delete_set",
    "export_set",
    "import_file",
    "info_dict",
    "list_sets",
    "name_ok",
    "remove_entries",
    "rename_set",
    "resolve_format",
    "show_set",
]
